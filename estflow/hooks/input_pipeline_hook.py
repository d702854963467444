"""`tf.data.experimental.CheckpointInputPipelineHook`: the input pipeline's position saved beside the model's.

The hook saves every iterator of the graph (TF's "iterators" collection) to
`model_dir/input.ckpt-<step>` on the Estimator's checkpoint schedule, with its own state
file `checkpoint_input`, and on the first step of a later `train` call restores the latest
one, so the pipeline continues where the last call stopped instead of starting over. See
estflow/data/iterator_checkpoint.py for what an iterator's saved state is.
"""

from __future__ import annotations

from estflow.core.graph import get_default_graph
from estflow.data.iterator_checkpoint import IteratorSaveable, _policy
from estflow.data.iterator_ops import GLOBAL_ITERATORS
from estflow.hooks.basic_session_run_hooks import CheckpointSaverHook
from estflow.hooks.session_run_hook import SessionRunHook
from estflow.training import checkpoint_management
from estflow.training.saver import Saver


class _CustomSaver(Saver):
    """A Saver whose state file is `latest_filename` (`checkpoint_input`), apart from the model's `checkpoint`."""

    def __init__(self, var_list, latest_filename, sharded=False):
        super().__init__(var_list, sharded=sharded)
        self._latest_filename = latest_filename

    def save(self, sess, save_path, global_step=None, latest_filename=None, meta_graph_suffix="meta",
             write_meta_graph=True, write_state=True, strip_default_attrs=False, save_debug_info=False):
        return super().save(sess, save_path, global_step, latest_filename or self._latest_filename, meta_graph_suffix,
                            write_meta_graph, write_state, strip_default_attrs, save_debug_info)


class CheckpointInputPipelineHook(SessionRunHook):
    """Saves the input pipeline's position with the Estimator's checkpoints and restores it in the next `train`.

        est.train(input_fn, hooks=[tf.data.experimental.CheckpointInputPipelineHook(est)], steps=100)
        est.train(input_fn, hooks=[tf.data.experimental.CheckpointInputPipelineHook(est)], steps=100)
        # the second call reads on from element 100 * batch_size instead of starting over

    `external_state_policy` ('fail' by default, 'warn', 'ignore') says what saving a pipeline
    with state estflow cannot replay exactly (Dataset.from_generator) does.
    """

    def __init__(self, estimator, external_state_policy=None):
        self._external_state_policy = _policy("fail" if external_state_policy is None else external_state_policy)
        config = estimator.config
        checkpoint_prefix = "input"
        if config.num_worker_replicas > 1:
            checkpoint_prefix += f"_{config.task_type}_{config.task_id}"
        self._checkpoint_saver_hook = CheckpointSaverHook(
            estimator.model_dir, save_secs=config.save_checkpoints_secs, save_steps=config.save_checkpoints_steps,
            checkpoint_basename=checkpoint_prefix + ".ckpt", save_graph_def=False)
        self._latest_filename = "checkpoint_" + checkpoint_prefix
        self._first_run = True

    def begin(self) -> None:
        hook = self._checkpoint_saver_hook
        if hook._saver is None and hook._scaffold is None:
            iterators = get_default_graph().get_collection(GLOBAL_ITERATORS)
            saveables = [IteratorSaveable(i, i.name, external_state_policy=self._external_state_policy)
                         for i in iterators]
            hook._saver = _CustomSaver(saveables, self._latest_filename, sharded=True)
        hook.begin()

    def after_create_session(self, session, coord) -> None:
        self._first_run = True

    def _restore_or_save_initial_ckpt(self, session) -> None:
        hook = self._checkpoint_saver_hook
        latest = checkpoint_management.latest_checkpoint(hook._checkpoint_dir, latest_filename=self._latest_filename)
        if latest:
            hook._get_saver().restore(session, latest)
        else:
            # The first checkpoint only once the iterators exist: before the first step, not at session creation.
            global_step = int(session.run(hook._global_step_tensor))
            hook._save(session, global_step)
            hook._timer.update_last_triggered_step(global_step)

    def before_run(self, run_context):
        if self._first_run:
            self._restore_or_save_initial_ckpt(run_context.session)
            self._first_run = False
        return self._checkpoint_saver_hook.before_run(run_context)

    def after_run(self, run_context, run_values) -> None:
        self._checkpoint_saver_hook.after_run(run_context, run_values)

    def end(self, session) -> None:
        self._checkpoint_saver_hook.end(session)
