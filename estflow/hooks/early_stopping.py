"""Early stopping for Estimator training (`tf.estimator.experimental`), as TF1's `early_stopping`.

    hook = tf.estimator.experimental.stop_if_no_decrease_hook(estimator, "loss", max_steps_without_decrease=1000)
    tf.estimator.train_and_evaluate(estimator, tf.estimator.TrainSpec(input_fn, hooks=[hook]), eval_spec)

The chief's hook reads the evaluation events in `estimator.eval_dir()` every
`run_every_secs` (or `run_every_steps`), and when the predicate holds it sets the
`signal_early_stopping/STOP` variable and stops; other workers' hooks stop once they read
that variable set. Only duck-typed access to the estimator (`config.is_chief`,
`eval_dir()`) is used, so this layer does not depend on the Estimator's.
"""

from __future__ import annotations

import collections
import glob
import logging
import operator
import os

from estflow.core import dtypes
from estflow.core.graph import GraphKeys
from estflow.core.init_ops import Constant
from estflow.core.variable_scope import AUTO_REUSE, get_variable, variable_scope
from estflow.core.variables import assign
from estflow.hooks.basic_session_run_hooks import SecondOrStepTimer
from estflow.hooks.session_run_hook import SessionRunArgs, SessionRunHook
from estflow.training import training_util
from estflow.training.summary_iterator import summary_iterator

_logger = logging.getLogger("tensorflow")
_EVENT_FILE_GLOB_PATTERN = "events.out.tfevents.*"


def _check_estimator(estimator) -> None:
    if not (hasattr(estimator, "config") and hasattr(estimator, "eval_dir")):
        raise TypeError(f"`estimator` must have type `tf.estimator.Estimator`. Got: {type(estimator)}")


def make_early_stopping_hook(estimator, should_stop_fn, run_every_secs=60, run_every_steps=None):
    """A hook that stops training once `should_stop_fn()` returns True (checked every N secs or steps)."""
    _check_estimator(estimator)
    if estimator.config.is_chief:
        return _StopOnPredicateHook(should_stop_fn, run_every_secs, run_every_steps)
    return _CheckForStoppingHook()


def stop_if_higher_hook(estimator, metric_name, threshold, eval_dir=None, min_steps=0, run_every_secs=60,
                        run_every_steps=None):
    """Stop once an evaluation at step >= min_steps has `metric_name` above `threshold`."""
    return _stop_if_threshold_crossed_hook(estimator, metric_name, threshold, True, eval_dir, min_steps,
                                           run_every_secs, run_every_steps)


def stop_if_lower_hook(estimator, metric_name, threshold, eval_dir=None, min_steps=0, run_every_secs=60,
                       run_every_steps=None):
    """Stop once an evaluation at step >= min_steps has `metric_name` below `threshold`."""
    return _stop_if_threshold_crossed_hook(estimator, metric_name, threshold, False, eval_dir, min_steps,
                                           run_every_secs, run_every_steps)


def stop_if_no_increase_hook(estimator, metric_name, max_steps_without_increase, eval_dir=None, min_steps=0,
                             run_every_secs=60, run_every_steps=None):
    """Stop once `metric_name` has not increased for `max_steps_without_increase` global steps of evaluations."""
    return _stop_if_no_metric_improvement_hook(estimator, metric_name, max_steps_without_increase, True, eval_dir,
                                               min_steps, run_every_secs, run_every_steps)


def stop_if_no_decrease_hook(estimator, metric_name, max_steps_without_decrease, eval_dir=None, min_steps=0,
                             run_every_secs=60, run_every_steps=None):
    """Stop once `metric_name` has not decreased for `max_steps_without_decrease` global steps of evaluations."""
    return _stop_if_no_metric_improvement_hook(estimator, metric_name, max_steps_without_decrease, False, eval_dir,
                                               min_steps, run_every_secs, run_every_steps)


def read_eval_metrics(eval_dir):
    """{global step: {tag: simple value}} of every event file in `eval_dir`, by step."""
    metrics_by_step = collections.defaultdict(dict)
    for event in _summaries(eval_dir):
        if not event.HasField("summary"):
            continue
        metrics = {v.tag: v.simple_value for v in event.summary.value if v.HasField("simple_value")}
        if metrics:
            metrics_by_step[event.step].update(metrics)
    return collections.OrderedDict(sorted(metrics_by_step.items()))


def _summaries(eval_dir):
    if os.path.isdir(eval_dir):
        for event_file in sorted(glob.glob(os.path.join(eval_dir, _EVENT_FILE_GLOB_PATTERN))):
            yield from summary_iterator(event_file)


def _stop_if_threshold_crossed_hook(estimator, metric_name, threshold, higher_is_better, eval_dir, min_steps,
                                    run_every_secs, run_every_steps):
    _check_estimator(estimator)
    eval_dir = eval_dir or estimator.eval_dir()
    is_lhs_better = operator.gt if higher_is_better else operator.lt
    greater_or_lesser = "greater than" if higher_is_better else "less than"

    def stop_if_threshold_crossed_fn():
        for step, metrics in read_eval_metrics(eval_dir).items():
            if step < min_steps:
                continue
            value = metrics[metric_name]
            if is_lhs_better(value, threshold):
                _logger.info('At step %s, metric "%s" has value %s which is %s the configured threshold (%s) for '
                             "early stopping.", step, metric_name, value, greater_or_lesser, threshold)
                return True
        return False

    return make_early_stopping_hook(estimator, stop_if_threshold_crossed_fn, run_every_secs, run_every_steps)


def _stop_if_no_metric_improvement_hook(estimator, metric_name, max_steps_without_improvement, higher_is_better,
                                        eval_dir, min_steps, run_every_secs, run_every_steps):
    _check_estimator(estimator)
    eval_dir = eval_dir or estimator.eval_dir()
    is_lhs_better = operator.gt if higher_is_better else operator.lt
    increase_or_decrease = "increase" if higher_is_better else "decrease"

    def stop_if_no_metric_improvement_fn():
        best_value = best_step = None
        for step, metrics in read_eval_metrics(eval_dir).items():
            if step < min_steps:
                continue
            value = metrics[metric_name]
            if best_value is None or is_lhs_better(value, best_value):
                best_value, best_step = value, step
            if step - best_step >= max_steps_without_improvement:
                _logger.info('No %s in metric "%s" for %s steps, which is greater than or equal to max steps (%s) '
                             "configured for early stopping.", increase_or_decrease, metric_name, step - best_step,
                             max_steps_without_improvement)
                return True
        return False

    return make_early_stopping_hook(estimator, stop_if_no_metric_improvement_fn, run_every_secs, run_every_steps)


def _get_or_create_stop_var():
    with variable_scope("signal_early_stopping", values=[], reuse=AUTO_REUSE):
        return get_variable("STOP", shape=[], dtype=dtypes.bool, initializer=Constant(False),
                            collections=[GraphKeys.GLOBAL_VARIABLES], trainable=False)


class _StopOnPredicateHook(SessionRunHook):
    """The chief's hook: checks the predicate on its timer; on True sets the stop variable and stops."""

    def __init__(self, should_stop_fn, run_every_secs=60, run_every_steps=None):
        if not callable(should_stop_fn):
            raise TypeError("`should_stop_fn` must be callable.")
        self._should_stop_fn = should_stop_fn
        self._timer = SecondOrStepTimer(every_secs=run_every_secs, every_steps=run_every_steps)
        self._global_step_tensor = None
        self._stop_var = None
        self._stop_op = None

    def begin(self) -> None:
        self._global_step_tensor = training_util.get_global_step()
        self._stop_var = _get_or_create_stop_var()
        self._stop_op = assign(self._stop_var, True)

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values) -> None:
        global_step = run_values.results
        if self._timer.should_trigger_for_step(global_step):
            self._timer.update_last_triggered_step(global_step)
            if self._should_stop_fn():
                _logger.info("Requesting early stopping at global step %d", global_step)
                run_context.session.run(self._stop_op)
                run_context.request_stop()


class _CheckForStoppingHook(SessionRunHook):
    """A worker's hook: stops once the chief has set the stop variable."""

    def __init__(self):
        self._stop_var = None

    def begin(self) -> None:
        self._stop_var = _get_or_create_stop_var()

    def before_run(self, run_context):
        return SessionRunArgs(self._stop_var)

    def after_run(self, run_context, run_values) -> None:
        if run_values.results:
            _logger.info("Early stopping requested, suspending run.")
            run_context.request_stop()
