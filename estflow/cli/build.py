"""The Estimator a config describes: a canned one by name, or a user's `module:function` factory.

Canned classes are looked up by name at run time in the estimator modules that define
them (`estflow/estimators/linear.py`, `dnn.py`, `dnn_linear_combined.py`, `baseline.py`), so
the CLI offers whichever of them this install has. A canned estimator gets its feature
columns (`feature_columns`, or `linear_feature_columns` / `dnn_feature_columns` for the
DNNLinearCombined pair), `config` (the RunConfig) and `[estimator.params]` as keyword
arguments. A factory is called with the arguments it declares among `feature_columns`,
`linear_feature_columns`, `dnn_feature_columns`, `columns` ({name: column}), `config`,
`model_dir` and `params`, and returns an Estimator.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys

from estflow.cli.columns import build_columns, pick, top_level
from estflow.cli.config import Config, ConfigError
from estflow.estimators.estimator import Estimator
from estflow.estimators.run_config import RunConfig

CANNED_MODULES = {
    "LinearClassifier": "linear", "LinearRegressor": "linear",
    "DNNClassifier": "dnn", "DNNRegressor": "dnn",
    "DNNLinearCombinedClassifier": "dnn_linear_combined", "DNNLinearCombinedRegressor": "dnn_linear_combined",
    "BaselineClassifier": "baseline", "BaselineRegressor": "baseline",
}


def canned_class(name: str):
    """The canned Estimator class called `name`; ConfigError when unknown or not in this install."""
    module = CANNED_MODULES.get(name)
    if module is None:
        raise ConfigError(f"estimator.name {name!r} is no canned estimator; use one of "
                          f"{', '.join(CANNED_MODULES)} or estimator.factory = \"module:function\"")
    try:
        return getattr(importlib.import_module(f"estflow.estimators.{module}"), name)
    except (ImportError, AttributeError):
        raise ConfigError(f"estimator.name {name!r}: this estflow has no {name} yet "
                          f"(estflow.estimators.{module}); use estimator.factory = \"module:function\" "
                          f"for your own Estimator") from None


def load_factory(spec: str, config: Config):
    """The callable `module:function` names (the config's folder and the working directory on sys.path)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"--estimator {spec!r}: write module:function, e.g. my_model:make_estimator")
    for folder in (os.getcwd(), config.base_dir):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ConfigError(f"estimator factory {spec!r}: cannot import {module_name!r} ({e})") from None
    factory = module
    for part in attribute.split("."):
        if not hasattr(factory, part):
            raise ConfigError(f"estimator factory {spec!r}: {module_name} has no {attribute!r}")
        factory = getattr(factory, part)
    if not callable(factory):
        raise ConfigError(f"estimator factory {spec!r} is not callable")
    return factory


def run_config(config: Config) -> RunConfig:
    run = config.run
    kwargs = dict(model_dir=config.path(run.model_dir) if run.model_dir else None,
                  tf_random_seed=run.tf_random_seed, save_summary_steps=run.save_summary_steps,
                  keep_checkpoint_max=run.keep_checkpoint_max, log_step_count_steps=run.log_step_count_steps)
    if run.save_checkpoints_steps is not None or run.save_checkpoints_secs is not None:
        kwargs.update(save_checkpoints_steps=run.save_checkpoints_steps,
                      save_checkpoints_secs=run.save_checkpoints_secs)
    return RunConfig(**kwargs)


def feature_columns(config: Config) -> dict:
    """The feature columns the estimator takes, by keyword, and {name: column} under "columns"."""
    built = build_columns(config)
    est = config.estimator
    wide_deep = bool(est.linear_feature_columns or est.dnn_feature_columns)
    combined = est.name.startswith("DNNLinearCombined")
    if combined and not wide_deep:
        raise ConfigError(f"{est.name} needs estimator.linear_feature_columns and/or "
                          f"estimator.dnn_feature_columns (feature names)")
    if est.name and not combined and wide_deep:
        raise ConfigError("estimator.linear_feature_columns / dnn_feature_columns are for DNNLinearCombined*; "
                          "use estimator.feature_columns")
    out = {"columns": built}
    if wide_deep:
        out["linear_feature_columns"] = pick(built, est.linear_feature_columns)
        out["dnn_feature_columns"] = pick(built, est.dnn_feature_columns)
    if est.feature_columns or not wide_deep:
        out["feature_columns"] = pick(built, est.feature_columns) if est.feature_columns else top_level(config,
                                                                                                         built)
    return out


_COLUMN_ARGS = ("feature_columns", "linear_feature_columns", "dnn_feature_columns")


def all_columns(kwargs: dict) -> list:
    """Every column of `feature_columns(...)`'s lists, each once."""
    seen = []
    for column in (c for key in _COLUMN_ARGS for c in kwargs.get(key, [])):
        if not any(column is other for other in seen):
            seen.append(column)
    return seen


def build_estimator(config: Config, columns: dict, factory_spec: str = "") -> Estimator:
    """The Estimator of the config (`factory_spec`, from --estimator, wins over the config's)."""
    est = config.estimator
    spec = factory_spec or est.factory
    config_run = run_config(config)
    if spec:
        factory = load_factory(spec, config)
        offered = {"feature_columns": columns.get("feature_columns") or all_columns(columns),
                   "linear_feature_columns": columns.get("linear_feature_columns", []),
                   "dnn_feature_columns": columns.get("dnn_feature_columns", []),
                   "columns": columns["columns"], "config": config_run,
                   "model_dir": config_run.model_dir, "params": dict(est.params)}
        try:
            parameters = inspect.signature(factory).parameters
        except (TypeError, ValueError):
            parameters = {}
        if any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
            kwargs = offered
        else:
            kwargs = {k: v for k, v in offered.items() if k in parameters}
        estimator = factory(**kwargs)
        if not isinstance(estimator, Estimator):
            raise ConfigError(f"estimator factory {spec!r} returned {type(estimator).__name__}, "
                              f"not a tf.estimator.Estimator")
        return estimator
    if not est.name:
        raise ConfigError("no estimator: write estimator.name = \"DNNClassifier\" (or another canned estimator) "
                          "or estimator.factory = \"module:function\", or pass --estimator module:function")
    cls = canned_class(est.name)
    accepted = inspect.signature(cls).parameters  # Baseline* take no feature columns
    kwargs = {k: v for k, v in columns.items() if k != "columns" and k in accepted}
    try:
        return cls(**kwargs, config=config_run, **est.params)
    except TypeError as e:
        raise ConfigError(f"[estimator.params] for {est.name}: {e}") from None
