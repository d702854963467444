"""Feature columns from the config's [[features]] tables.

Each table is one column, built in order, so a `source` (bucketized, embedding, indicator)
or a crossed `keys` entry may name a feature defined above it (a bucketized or crossed
feature is crossed as a column, any other as its raw input key); any other crossed key is
a raw input column. A column's dtype comes from `dtype` in its table, else from
`data.types` of its key ("int" -> int64, "string" -> string, "float" -> float32).
"""

from __future__ import annotations

from estflow.cli.config import Config, ConfigError, feature_name
from estflow.core import dtypes
from estflow.feature_columns import categorical, crossed, dense, numeric, vocabulary
from estflow.feature_columns.base import CategoricalColumn

_DTYPES = {"float": dtypes.float32, "int": dtypes.int64, "string": dtypes.string}


def _dtype(config: Config, feature: dict, default=None):
    kind = feature.get("dtype") or config.data.types.get(feature.get("key", ""))
    if kind is None:
        return default
    if kind not in _DTYPES:
        raise ConfigError(f"dtype of feature {feature_name(feature)!r} must be one of {', '.join(_DTYPES)}, "
                          f"got {kind!r}")
    return _DTYPES[kind]


def _normalizer(name: str, normalize):
    """`normalize = [mean, stddev]`: the column feeds (x - mean) / stddev, in the graph (so exports keep it)."""
    if normalize is None:
        return None
    if (not isinstance(normalize, list) or len(normalize) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in normalize)
            or normalize[1] <= 0):
        raise ConfigError(f"normalize of feature {name!r} must be [mean, stddev] with stddev > 0, "
                          f"got {normalize!r}")
    mean, stddev = float(normalize[0]), float(normalize[1])
    return lambda x: (x - mean) / stddev


def _cross_key(config: Config, name: str, built: dict):
    """A crossed key: a bucketized or crossed feature's column, else a raw input key (TF crosses raw strings).

    A feature of another type that a cross names contributes its input key, as TF's census
    tutorial crosses "education" and "occupation" (hashing before crossing is refused by TF).
    """
    for feature in config.features:
        if feature_name(feature) == name and name in built:
            return built[name] if feature["type"] in ("bucketized", "crossed") else feature["key"]
    return name


def _build(config: Config, feature: dict, built: dict):
    kind = feature["type"]
    name = feature_name(feature)
    if kind == "numeric":
        shape = feature.get("shape", 1)
        return numeric.numeric_column(feature["key"], shape=tuple(shape) if isinstance(shape, list) else (shape,),
                                      default_value=feature.get("default_value"),
                                      normalizer_fn=_normalizer(name, feature.get("normalize")))
    if kind == "bucketized":
        return numeric.bucketized_column(built[feature["source"]], [float(b) for b in feature["boundaries"]])
    if kind == "vocabulary_list":
        return vocabulary.categorical_column_with_vocabulary_list(
            feature["key"], list(feature["vocabulary"]), dtype=_dtype(config, feature),
            default_value=feature.get("default_value", -1), num_oov_buckets=feature.get("num_oov_buckets", 0))
    if kind == "vocabulary_file":
        return vocabulary.categorical_column_with_vocabulary_file(
            feature["key"], config.path(feature["vocabulary_file"]), vocabulary_size=feature.get("vocabulary_size"),
            num_oov_buckets=feature.get("num_oov_buckets", 0), default_value=feature.get("default_value"),
            dtype=_dtype(config, feature, dtypes.string))
    if kind == "hash_bucket":
        return categorical.categorical_column_with_hash_bucket(feature["key"], feature["hash_bucket_size"],
                                                               dtype=_dtype(config, feature, dtypes.string))
    if kind == "identity":
        return categorical.categorical_column_with_identity(feature["key"], feature["num_buckets"],
                                                            default_value=feature.get("default_value"))
    if kind == "crossed":
        keys = [_cross_key(config, key, built) for key in feature["keys"]]
        return crossed.crossed_column(keys, feature["hash_bucket_size"])
    source = built[feature["source"]]
    if not isinstance(source, CategoricalColumn):
        raise ConfigError(f"feature {name!r} ({kind}) needs a categorical source; {feature['source']!r} is not "
                          f"one (use vocabulary_list, hash_bucket, identity, bucketized or crossed)")
    if kind == "embedding":
        return dense.embedding_column(source, feature["dimension"], combiner=feature.get("combiner", "mean"))
    return dense.indicator_column(source)


def build_columns(config: Config) -> dict:
    """{feature name: feature column}, in the config's order."""
    built = {}
    for index, feature in enumerate(config.features):
        try:
            built[feature_name(feature)] = _build(config, feature, built)
        except ConfigError:
            raise
        except (ValueError, TypeError) as e:
            raise ConfigError(f"features.{index} ({feature_name(feature)}): {e}") from None
    return built


def top_level(config: Config, built: dict) -> list:
    """The columns no other feature uses as its `source`: what an estimator takes when the config names none."""
    used = {feature["source"] for feature in config.features if "source" in feature}
    return [column for name, column in built.items() if name not in used]


def pick(built: dict, names: list[str]) -> list:
    return [built[name] for name in names]


def raw_keys(columns) -> set[str]:
    """The input columns the feature columns read (their parse spec's keys)."""
    keys = set()
    for column in columns:
        keys |= set(column.parse_example_spec)
    return keys
