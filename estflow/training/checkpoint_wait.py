"""`tf.train.checkpoints_iterator`: yield each new checkpoint of a directory as it appears (evaluation loops)."""

from __future__ import annotations

import logging
import time

from estflow.training import checkpoint_management

_logger = logging.getLogger("estflow")


def wait_for_new_checkpoint(checkpoint_dir, last_checkpoint=None, seconds_to_sleep=1, timeout=None):
    """The latest checkpoint of `checkpoint_dir` once it differs from `last_checkpoint`; None after `timeout` s."""
    _logger.info("Waiting for new checkpoint at %s", checkpoint_dir)
    stop_time = time.time() + timeout if timeout is not None else None
    while True:
        checkpoint_path = checkpoint_management.latest_checkpoint(checkpoint_dir)
        if checkpoint_path is None or checkpoint_path == last_checkpoint:
            if stop_time is not None and time.time() + seconds_to_sleep > stop_time:
                return None
            time.sleep(seconds_to_sleep)
        else:
            _logger.info("Found new checkpoint at %s", checkpoint_path)
            return checkpoint_path


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
    """Each new checkpoint path of `checkpoint_dir`, as `tf.train.checkpoints_iterator`.

    Yields at most one path every `min_interval_secs`. When no new checkpoint comes within
    `timeout` seconds, the iterator ends, or, with a `timeout_fn`, ends only if it returns True
    and otherwise waits again.

        for path in tf.train.checkpoints_iterator(model_dir, timeout=600):
            evaluate(path)
    """
    checkpoint_path = None
    while True:
        new_checkpoint_path = wait_for_new_checkpoint(checkpoint_dir, checkpoint_path, timeout=timeout)
        if new_checkpoint_path is None:
            if not timeout_fn:
                _logger.info("Timed-out waiting for a checkpoint.")
                return
            if timeout_fn():
                return
            continue  # the caller wants to keep waiting
        start = time.time()
        checkpoint_path = new_checkpoint_path
        yield checkpoint_path
        time_to_next_eval = start + min_interval_secs - time.time()
        if time_to_next_eval > 0:
            time.sleep(time_to_next_eval)
