"""`tf.estimator.LatestExporter`, `BestExporter`, `FinalExporter`: SavedModel exports during
`train_and_evaluate`, called after each evaluation as

    exporter.export(estimator, export_path, checkpoint_path, eval_result, is_the_final_export)

with `export_path` = `<model_dir>/export/<exporter.name>`. Each export is a timestamped
SavedModel folder there; `exports_to_keep` keeps the newest N (None: all).

BestExporter exports when `compare_fn(best_eval_result, current_eval_result)` says the new
evaluation is better (default: smaller `loss`). It reads the best result so far from the
evaluation event files (`eval/*.tfevents.*` under model_dir) on first use, as TF1 does;
unlike TF1 it always makes its first export when `export_path` holds none yet (TF1's
event files already held the current evaluation, which then never beat itself, so a
model that never improved was never exported).
"""

from __future__ import annotations

import abc
import glob
import inspect
import logging
import os
import shutil

from estflow.training.summary_iterator import summary_iterator

_logger = logging.getLogger("estflow")


class Exporter(abc.ABC):
    """The interface train_and_evaluate's exporters implement: a `name` and `export(...)`."""

    @property
    @abc.abstractmethod
    def name(self):
        """The folder under `<model_dir>/export/` this exporter writes to."""
        raise NotImplementedError

    @abc.abstractmethod
    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        """Export (or not); returns the export's path (bytes) or None."""
        raise NotImplementedError


class _SavedModelExporter(Exporter):
    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False):
        self._name = name
        self._serving_input_receiver_fn = serving_input_receiver_fn
        self._assets_extra = assets_extra
        self._as_text = as_text

    @property
    def name(self):
        return self._name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        del eval_result, is_the_final_export
        return estimator.export_saved_model(export_path, self._serving_input_receiver_fn,
                                            assets_extra=self._assets_extra, as_text=self._as_text,
                                            checkpoint_path=checkpoint_path)


def _check_exports_to_keep(exports_to_keep) -> None:
    if exports_to_keep is not None and exports_to_keep <= 0:
        raise ValueError(f"`exports_to_keep`, if provided, must be a positive number. Got {exports_to_keep}")


def _export_versions(export_dir_base) -> list[tuple[int, str]]:
    """(version, path) of the export folders (10-digit timestamps, as TF1 recognizes them), oldest first."""
    try:
        names = os.listdir(os.fsdecode(export_dir_base))
    except OSError:
        return []
    return sorted((int(n), os.path.join(os.fsdecode(export_dir_base), n)) for n in names
                  if len(n) == 10 and n.isdigit())


def _garbage_collect_exports(export_dir_base, exports_to_keep) -> None:
    if exports_to_keep is None:
        return
    versions = _export_versions(export_dir_base)
    for _, path in versions[:max(0, len(versions) - exports_to_keep)]:
        try:
            shutil.rmtree(path)
        except OSError as e:
            _logger.warning("Can not delete %s recursively: %s", path, e)


def _loss_smaller(best_eval_result, current_eval_result) -> bool:
    """Whether the current evaluation's `loss` is smaller than the best one's (BestExporter's default)."""
    key = "loss"
    if not best_eval_result or key not in best_eval_result:
        raise ValueError("best_eval_result cannot be empty or no loss is found in it.")
    if not current_eval_result or key not in current_eval_result:
        raise ValueError("current_eval_result cannot be empty or no loss is found in it.")
    return best_eval_result[key] > current_eval_result[key]


def _verify_compare_fn_args(compare_fn) -> None:
    args = set(inspect.signature(compare_fn).parameters)
    if "best_eval_result" not in args:
        raise ValueError(f"compare_fn ({compare_fn}) must include best_eval_result argument.")
    if "current_eval_result" not in args:
        raise ValueError(f"compare_fn ({compare_fn}) must include current_eval_result argument.")
    others = sorted(args - {"best_eval_result", "current_eval_result"})
    if others:
        raise ValueError(f"compare_fn ({compare_fn}) has following not expected args: {others}")


class LatestExporter(Exporter):
    """Exports after every evaluation, keeping the newest `exports_to_keep`."""

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False, exports_to_keep=5):
        self._saved_model_exporter = _SavedModelExporter(name, serving_input_receiver_fn, assets_extra, as_text)
        _check_exports_to_keep(exports_to_keep)
        self._exports_to_keep = exports_to_keep

    @property
    def name(self):
        return self._saved_model_exporter.name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        result = self._saved_model_exporter.export(estimator, export_path, checkpoint_path, eval_result,
                                                   is_the_final_export)
        _garbage_collect_exports(export_path, self._exports_to_keep)
        return result


class FinalExporter(Exporter):
    """Exports once, after the last evaluation of train_and_evaluate."""

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False):
        self._saved_model_exporter = _SavedModelExporter(name, serving_input_receiver_fn, assets_extra, as_text)

    @property
    def name(self):
        return self._saved_model_exporter.name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        if not is_the_final_export:
            return None
        _logger.info("Performing the final export in the end of training.")
        return self._saved_model_exporter.export(estimator, export_path, checkpoint_path, eval_result,
                                                 is_the_final_export)


class BestExporter(Exporter):
    """Exports when an evaluation beats the best so far (`compare_fn`); see the module docstring."""

    def __init__(self, name="best_exporter", serving_input_receiver_fn=None, event_file_pattern="eval/*.tfevents.*",
                 compare_fn=_loss_smaller, assets_extra=None, as_text=False, exports_to_keep=5):
        if compare_fn is None:
            raise ValueError("`compare_fn` must not be None.")
        _verify_compare_fn_args(compare_fn)
        self._compare_fn = compare_fn
        self._saved_model_exporter = _SavedModelExporter(name, serving_input_receiver_fn, assets_extra, as_text)
        self._event_file_pattern = event_file_pattern
        self._model_dir = None
        self._best_eval_result = None
        _check_exports_to_keep(exports_to_keep)
        self._exports_to_keep = exports_to_keep

    @property
    def name(self):
        return self._saved_model_exporter.name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        if self._model_dir != estimator.model_dir and self._event_file_pattern:
            _logger.info("Loading best metric from event files.")
            self._model_dir = estimator.model_dir
            self._best_eval_result = self._get_best_eval_result(
                os.path.join(self._model_dir, self._event_file_pattern))
        first = not _export_versions(export_path)
        if (first or self._best_eval_result is None
                or self._compare_fn(best_eval_result=self._best_eval_result, current_eval_result=eval_result)):
            _logger.info("Performing best model export.")
            self._best_eval_result = eval_result
            result = self._saved_model_exporter.export(estimator, export_path, checkpoint_path, eval_result,
                                                       is_the_final_export)
            _garbage_collect_exports(export_path, self._exports_to_keep)
            return result
        return None

    def _get_best_eval_result(self, event_files):
        if not event_files:
            return None
        best = None
        for event_file in sorted(glob.glob(event_files)):
            for event in summary_iterator(event_file):
                if not event.HasField("summary"):
                    continue
                result = {value.tag: value.simple_value for value in event.summary.value
                          if value.HasField("simple_value")}
                if result and (best is None or self._compare_fn(best_eval_result=best, current_eval_result=result)):
                    best = result
        return best
