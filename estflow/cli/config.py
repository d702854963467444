"""The `estflow` config file: a TOML description of the data, feature columns, estimator and run.

    [data]
    train = "train.csv"            # CSV, Parquet or TFRecord paths (a string or a list; globs allowed)
    eval = "eval.csv"
    label = "income"
    [data.types]                   # column -> "float" | "int" | "string" (CSV/Parquet: checked; TFRecord: parsed)
    age = "float"

    [[features]]                   # one table per feature column, in order
    type = "numeric"
    key = "age"

    [estimator]
    name = "DNNLinearCombinedClassifier"   # a canned estimator, or factory = "module:function"
    [estimator.params]
    dnn_hidden_units = [16, 8]

    [run]                          # RunConfig
    model_dir = "model"
    [train]
    batch_size = 32
    epochs = 5

The schema is dataclasses: each section is one, each key one field, so loading, the
`--set section.key=value` overrides, validation and `--print-config` (`to_toml`) read one
list. A mistake raises ConfigError naming the key and what to write instead.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field


class ConfigError(ValueError):
    """A config value the CLI cannot use; the message names the key and what to write."""


FORMATS = ("csv", "parquet", "tfrecord")
TYPES = ("float", "int", "string")
FEATURE_TYPES = {
    # type -> (required keys, optional keys)
    "numeric": (("key",), ("shape", "default_value", "dtype", "normalize")),
    "bucketized": (("source", "boundaries"), ()),
    "vocabulary_list": (("key", "vocabulary"), ("num_oov_buckets", "default_value", "dtype")),
    "vocabulary_file": (("key", "vocabulary_file"), ("vocabulary_size", "num_oov_buckets", "default_value",
                                                      "dtype")),
    "hash_bucket": (("key", "hash_bucket_size"), ("dtype",)),
    "identity": (("key", "num_buckets"), ("default_value",)),
    "crossed": (("keys", "hash_bucket_size"), ()),
    "embedding": (("source", "dimension"), ("combiner",)),
    "indicator": (("source",), ()),
}


@dataclass
class DataConfig:
    """[data]: where the examples are and what their columns hold."""
    train: list[str] = field(default_factory=list)
    eval: list[str] = field(default_factory=list)
    predict: list[str] = field(default_factory=list)
    format: str = ""  # "": from the file extension
    label: str = ""
    header: bool = True  # CSV: the first line names the columns
    columns: list[str] = field(default_factory=list)  # CSV without a header: the column names, in order
    types: dict[str, str] = field(default_factory=dict)
    compression: str = ""  # TFRecord: "", "GZIP" or "ZLIB"


@dataclass
class EstimatorConfig:
    """[estimator]: a canned estimator by `name`, or a user's `factory = "module:function"`."""
    name: str = ""
    factory: str = ""
    feature_columns: list[str] = field(default_factory=list)  # feature names; empty: every top-level feature
    linear_feature_columns: list[str] = field(default_factory=list)  # wide part of DNNLinearCombined*
    dnn_feature_columns: list[str] = field(default_factory=list)  # deep part of DNNLinearCombined*
    params: dict[str, typing.Any] = field(default_factory=dict)


@dataclass
class RunSection:
    """[run]: the RunConfig."""
    model_dir: str = ""
    tf_random_seed: int | None = None
    save_summary_steps: int = 100
    save_checkpoints_steps: int | None = None
    save_checkpoints_secs: int | None = None
    keep_checkpoint_max: int = 5
    log_step_count_steps: int = 100


@dataclass
class TrainConfig:
    """[train]: batches, epochs and steps of `estflow train`."""
    batch_size: int = 128
    epochs: int = 1  # passes over the training data (0: repeat until steps / max_steps)
    steps: int | None = None
    max_steps: int | None = None
    shuffle: bool = True


@dataclass
class EvalConfig:
    """[eval]: batches and steps of `estflow evaluate`."""
    batch_size: int = 256
    steps: int | None = None
    name: str = ""


@dataclass
class PredictConfig:
    """[predict]: batches and output of `estflow predict`."""
    batch_size: int = 256
    keys: list[str] = field(default_factory=list)  # prediction keys to write; empty: all


@dataclass
class ExportConfig:
    """[export]: where `estflow export` writes SavedModels and what their serving input is."""
    dir: str = "export"  # SavedModels go to <dir>/<timestamp>/
    receiver: str = "raw"  # "raw": one input per feature (REST rows); "parsing": serialized tf.Example


@dataclass
class Config:
    """The whole file: [data], [[features]], [estimator], [run], [train], [eval], [predict], [export]."""
    data: DataConfig = field(default_factory=DataConfig)
    features: list[dict[str, typing.Any]] = field(default_factory=list)
    estimator: EstimatorConfig = field(default_factory=EstimatorConfig)
    run: RunSection = field(default_factory=RunSection)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    predict: PredictConfig = field(default_factory=PredictConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    base_dir: str = field(default=".", repr=False, compare=False)  # relative paths are read from here

    def path(self, value: str) -> str:
        """`value` as a path: relative ones against the config file's folder."""
        value = os.path.expanduser(value)
        return value if os.path.isabs(value) else os.path.normpath(os.path.join(self.base_dir, value))


_SECTIONS = {f.name: f for f in dataclasses.fields(Config) if f.name != "base_dir"}


# --- reading -----------------------------------------------------------------------------

def _type_name(tp) -> str:
    origin = typing.get_origin(tp)
    if origin in (list,):
        return "a list"
    if origin in (dict,):
        return "a table"
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _type_name(args[0])
    return {int: "an integer", str: "a string", bool: "true or false", float: "a number"}.get(tp, str(tp))


def _coerce(key: str, value, tp):
    """`value` as type `tp` (TOML gives the types already; strings from --set are parsed first)."""
    args = typing.get_args(tp)
    if type(None) in args:
        if value is None:
            return None
        tp = next(a for a in args if a is not type(None))
    origin = typing.get_origin(tp)
    if origin is list:
        if isinstance(value, str) and key.split(".")[0] == "data" and key.split(".")[-1] in (
                "train", "eval", "predict"):
            return [value]  # one path
        if not isinstance(value, list):
            raise ConfigError(f"{key} must be {_type_name(tp)}, got {value!r}; write e.g. {key} = [...]")
        (item_type,) = typing.get_args(tp)
        if item_type is str and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} must be a list of strings, got {value!r}; quote each item")
        return list(value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a table, got {value!r}; write [{key}] with key = value lines")
        return dict(value)
    if tp is typing.Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}; quote it: {key} = \"...\"")
        return value
    raise AssertionError(f"unhandled config type {tp!r} for {key}")


def _section_from(name: str, values, cls):
    if not isinstance(values, dict):
        raise ConfigError(f"[{name}] must be a table, got {values!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown key {name}.{key}; [{name}] takes {', '.join(sorted(known))}")
        kwargs[key] = _coerce(f"{name}.{key}", value, hints[key])
    return cls(**kwargs)


def from_dict(values: dict, base_dir: str = ".") -> Config:
    """A validated Config from the TOML tables (a ConfigError names the first wrong key)."""
    unknown = sorted(set(values) - set(_SECTIONS))
    if unknown:
        raise ConfigError(f"unknown section [{unknown[0]}]; the sections are "
                          f"{', '.join('[' + s + ']' for s in _SECTIONS)}")
    kwargs = {}
    hints = typing.get_type_hints(Config)
    for name, value in values.items():
        if name == "features":
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ConfigError("features must be an array of tables: write each one as [[features]] "
                                  "with type = \"numeric\", key = \"...\"")
            kwargs[name] = [dict(v) for v in value]
        else:
            kwargs[name] = _section_from(name, value, hints[name])
    config = Config(**kwargs, base_dir=base_dir)
    validate(config)
    return config


def load(path: str, overrides=()) -> Config:
    """Read the TOML file at `path`, apply `--set key=value` overrides, validate."""
    try:
        with open(path, "rb") as f:
            values = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None
    for override in overrides:
        apply_override(values, override)
    base_dir = os.path.dirname(os.path.abspath(path))
    return from_dict(values, base_dir)


def parse_value(text: str):
    """A --set value: TOML syntax where it parses (numbers, true/false, [lists], "strings"), else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(values: dict, override: str) -> None:
    """Apply `section.key=value` (or `features.N.key=value`, `estimator.params.x=value`) to the raw tables."""
    key, sep, text = override.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {override!r}: write --set section.key=value, e.g. --set train.batch_size=64")
    parts = key.split(".")
    if parts[0] not in _SECTIONS:
        raise ConfigError(f"--set {key}: unknown section {parts[0]!r}; the sections are {', '.join(_SECTIONS)}")
    if len(parts) < 2:
        raise ConfigError(f"--set {key}: name a key inside [{parts[0]}], e.g. {parts[0]}.<key>=value")
    target = values
    for i, part in enumerate(parts[:-1]):
        if isinstance(target, list):
            if not part.isdigit() or int(part) >= len(target):
                raise ConfigError(f"--set {key}: {'.'.join(parts[:i])} has {len(target)} entries; "
                                  f"index them 0..{len(target) - 1}")
            target = target[int(part)]
        else:
            target = target.setdefault(part, [] if part == "features" else {})
    if isinstance(target, list):
        raise ConfigError(f"--set {key}: name an entry and a key, e.g. features.0.key=value")
    target[parts[-1]] = None if text.strip() in ("none", "None", "null") else parse_value(text.strip())


# --- checking ----------------------------------------------------------------------------

def validate(config: Config) -> None:
    """Raise ConfigError for the first value the CLI cannot use, naming the key."""
    data = config.data
    if data.format and data.format not in FORMATS:
        raise ConfigError(f"data.format must be one of {', '.join(FORMATS)}, got {data.format!r}")
    for column, kind in data.types.items():
        if kind not in TYPES:
            raise ConfigError(f"data.types.{column} must be one of {', '.join(TYPES)}, got {kind!r}")
    if data.compression not in ("", "GZIP", "ZLIB"):
        raise ConfigError(f"data.compression must be \"\", \"GZIP\" or \"ZLIB\", got {data.compression!r}")
    names = set()
    for index, feature in enumerate(config.features):
        where = f"features.{index}"
        kind = feature.get("type")
        if kind not in FEATURE_TYPES:
            raise ConfigError(f"{where}.type must be one of {', '.join(FEATURE_TYPES)}, got {kind!r}")
        required, optional = FEATURE_TYPES[kind]
        for key in required:
            if key not in feature:
                raise ConfigError(f"{where} ({kind}) needs {key}; write {key} = ... in its [[features]] table")
        allowed = set(required) | set(optional) | {"type", "name"}
        for key in feature:
            if key not in allowed:
                raise ConfigError(f"unknown key {where}.{key} for a {kind} feature; it takes "
                                  f"{', '.join(sorted(allowed))}")
        name = feature_name(feature)
        if name in names:
            raise ConfigError(f"{where}: a feature named {name!r} is already defined; give this one name = \"...\"")
        names.add(name)
    for index, feature in enumerate(config.features):
        for ref in ([feature["source"]] if "source" in feature else []):
            if ref not in names:
                raise ConfigError(f"features.{index}.source names {ref!r}, which is no feature above; "
                                  f"the features are {', '.join(sorted(names))}")
    est = config.estimator
    if est.name and est.factory:
        raise ConfigError("estimator.name and estimator.factory are both set; keep one")
    if est.factory and ":" not in est.factory:
        raise ConfigError(f"estimator.factory must be \"module:function\", got {est.factory!r}")
    for key in ("feature_columns", "linear_feature_columns", "dnn_feature_columns"):
        for name in getattr(est, key):
            if name not in names:
                raise ConfigError(f"estimator.{key} names {name!r}, which is no feature; the features are "
                                  f"{', '.join(sorted(names)) or '(none)'}")
    for section, keys in (("train", ("batch_size", "epochs", "steps", "max_steps")), ("eval", ("batch_size", "steps")),
                          ("predict", ("batch_size",)),
                          ("run", ("save_summary_steps", "keep_checkpoint_max", "log_step_count_steps",
                                   "save_checkpoints_steps", "save_checkpoints_secs"))):
        for key in keys:
            value = getattr(getattr(config, section), key)
            positive = key in ("batch_size", "steps", "max_steps")
            if value is not None and (value <= 0 if positive else value < 0):
                raise ConfigError(f"{section}.{key} must be {'positive' if positive else 'non-negative'}, "
                                  f"got {value}")
    if config.export.receiver not in ("raw", "parsing"):
        raise ConfigError(f"export.receiver must be \"raw\" (one input per feature) or \"parsing\" "
                          f"(serialized tf.Example), got {config.export.receiver!r}")
    if config.run.save_checkpoints_steps is not None and config.run.save_checkpoints_secs is not None:
        raise ConfigError("run.save_checkpoints_steps and run.save_checkpoints_secs are both set; keep one")


def feature_name(feature: dict) -> str:
    """A [[features]] entry's name: `name`, else its key (bucketized/embedding/indicator: derived from source)."""
    if "name" in feature:
        return feature["name"]
    kind = feature["type"]
    if kind in ("bucketized", "embedding", "indicator"):
        return f"{feature['source']}_{kind}"
    if kind == "crossed":
        return "_X_".join(feature["keys"])
    return feature["key"]


def require(config: Config, *keys: str) -> None:
    """Raise ConfigError when a dotted key a command needs is empty (`data.train`, `run.model_dir`...)."""
    for key in keys:
        section, name = key.split(".")
        if not getattr(getattr(config, section), name):
            hint = {"data.train": "data.train = \"train.csv\"", "data.eval": "data.eval = \"eval.csv\"",
                    "data.label": "data.label = \"<label column>\"", "run.model_dir": "run.model_dir = \"model\"",
                    }.get(key, f"{key} = ...")
            raise ConfigError(f"{key} is not set; write {hint} in the config or pass --set {key}=...")


# --- writing -----------------------------------------------------------------------------

def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is JSON's escaping
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise ConfigError(f"cannot write {value!r} ({type(value).__name__}) to TOML")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def to_dict(config: Config) -> dict:
    """The config as plain tables (None values left out, as TOML has no null)."""
    out = {}
    for name in _SECTIONS:
        value = getattr(config, name)
        if name == "features":
            out[name] = [dict(v) for v in value]
        else:
            out[name] = {k: v for k, v in dataclasses.asdict(value).items() if v is not None}
    return out


def to_toml(config: Config) -> str:
    """The resolved config as a TOML file that `load` reads back to an equal Config."""
    lines = []
    tables = to_dict(config)
    for name, section in tables.items():
        if name == "features":
            for feature in section:
                lines += ["[[features]]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in feature.items()] + [""]
            continue
        nested = {k: v for k, v in section.items() if isinstance(v, dict)}
        lines.append(f"[{name}]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in section.items() if k not in nested]
        lines.append("")
        for key, table in nested.items():
            lines.append(f"[{name}.{key}]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
            lines.append("")
    return "\n".join(lines)
