"""`SessionRunHook`: code that runs around every `MonitoredSession.run` call, as TF1's.

The life cycle of a hook, as the monitored session drives it:

    hook.begin()                       # graph still open: add ops here
    graph.finalize()
    sess = session_creator.create_session()
    hook.after_create_session(sess, coord)
    while not stop_requested:
        args = [hook.before_run(run_context) for hook in hooks]   # SessionRunArgs or None
        results = sess.run(merge(fetches, args), merge(feed_dict, args))
        for hook in hooks:
            hook.after_run(run_context, SessionRunValues(results of this hook's args))
        # any hook may call run_context.request_stop()
    for hook in hooks:
        hook.end(sess)                 # skipped when the loop ended on an exception other
                                       # than OutOfRangeError / StopIteration

`before_run` may not fetch or feed anything the caller already feeds; a hook's results come
back in the same structure as its `SessionRunArgs.fetches`. `end` may still run the session
(FinalOpsHook, a last checkpoint); `after_run` is skipped for a step that raised.
"""

from __future__ import annotations

import collections


class SessionRunHook:
    """Base class for hooks on `MonitoredSession.run`; every method does nothing by default.

        class CountSteps(tf.train.SessionRunHook):
            def begin(self): self.n = 0
            def after_run(self, run_context, run_values): self.n += 1
    """

    def begin(self) -> None:
        """Called once before the session is used; the graph may still change here."""

    def after_create_session(self, session, coord) -> None:
        """Called when the session is created (or recreated); the graph is finalized."""

    def before_run(self, run_context):
        """Called before each run: return a `SessionRunArgs` to add fetches, feeds and options, or None."""
        return None

    def after_run(self, run_context, run_values) -> None:
        """Called after each run that succeeded, with the results of this hook's `SessionRunArgs`."""

    def end(self, session) -> None:
        """Called once at the end of the session (also when the input ran out)."""


class SessionRunArgs(collections.namedtuple("SessionRunArgs", ["fetches", "feed_dict", "options"],
                                            defaults=(None, None))):
    """What a hook adds to a run: `fetches` (any nest), `feed_dict`, `options` (a RunOptions)."""

    __slots__ = ()


class SessionRunContext:
    """The run being made (`original_args`, `session`); a hook calls `request_stop()` to end the loop."""

    def __init__(self, original_args, session):
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self) -> SessionRunArgs:
        """The `SessionRunArgs` the caller passed to `MonitoredSession.run` (before hooks added theirs)."""
        return self._original_args

    @property
    def session(self):
        """The raw session the step runs in (hooks may run extra ops on it)."""
        return self._session

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def request_stop(self) -> None:
        """Ask the monitored session to stop after this step: `should_stop()` becomes True."""
        self._stop_requested = True


class SessionRunValues(collections.namedtuple("SessionRunValues", ["results", "options", "run_metadata"])):
    """What a hook gets back: `results` shaped as its fetches, the run's `options` and `run_metadata`."""

    __slots__ = ()
