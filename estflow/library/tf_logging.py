"""`tf.logging` as TF1 has it (`tf.compat.v1.logging`): Python logging under the logger named "tensorflow".

TF1 logs through `logging.getLogger("tensorflow")`; levels are Python logging's (`DEBUG` 10,
`INFO` 20, `WARN` 30, `ERROR` 40, `FATAL` 50). On first use, when the root logger has no
handler, the "tensorflow" logger gets one writing `INFO:tensorflow:message` (logging's
BASIC_FORMAT) to stderr (stdout, at level INFO, in an interactive interpreter), as TF1's
`get_logger` does; when the root logger is configured, records only propagate to it.
Records name the caller's file and line, never this module's.
"""

from __future__ import annotations

import logging as _logging
import sys as _sys
import threading as _threading
from logging import DEBUG, ERROR, FATAL, INFO, WARN

__all__ = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL", "TaskLevelStatusMessage", "debug", "error", "fatal", "flush",
           "get_logger", "get_verbosity", "info", "log", "log_every_n", "log_first_n", "log_if", "set_verbosity",
           "vlog", "warn", "warning"]

_logger: _logging.Logger | None = None
_logger_lock = _threading.Lock()
_counts: dict[tuple[str, int], int] = {}  # log_every_n / log_first_n calls per call site (file, line)
_counts_lock = _threading.Lock()


def get_logger() -> _logging.Logger:
    """The "tensorflow" logger, given TF1's handler on first use when the root logger has none."""
    global _logger
    if _logger is not None:
        return _logger
    with _logger_lock:
        if _logger is None:
            logger = _logging.getLogger("tensorflow")
            if not _logging.getLogger().handlers:
                interactive = hasattr(_sys, "ps1") or bool(_sys.flags.interactive)
                if interactive:
                    logger.setLevel(INFO)
                handler = _logging.StreamHandler(_sys.stdout if interactive else _sys.stderr)
                handler.setFormatter(_logging.Formatter(_logging.BASIC_FORMAT, None))
                logger.addHandler(handler)
            _logger = logger
    return _logger


def log(level, msg, *args, **kwargs):
    """Log `msg % args` at `level`."""
    get_logger().log(level, msg, *args, stacklevel=2, **kwargs)


def debug(msg, *args, **kwargs):
    get_logger().debug(msg, *args, stacklevel=2, **kwargs)


def info(msg, *args, **kwargs):
    get_logger().info(msg, *args, stacklevel=2, **kwargs)


def warning(msg, *args, **kwargs):
    get_logger().warning(msg, *args, stacklevel=2, **kwargs)


def warn(msg, *args, **kwargs):
    get_logger().warning(msg, *args, stacklevel=2, **kwargs)


def error(msg, *args, **kwargs):
    get_logger().error(msg, *args, stacklevel=2, **kwargs)


def fatal(msg, *args, **kwargs):
    """Log at FATAL (logging's CRITICAL); like TF1's, it does not exit."""
    get_logger().critical(msg, *args, stacklevel=2, **kwargs)


def vlog(level, msg, *args, **kwargs):
    """Log `msg % args` at `level` (TF1's vlog is `log`)."""
    get_logger().log(level, msg, *args, stacklevel=2, **kwargs)


def log_if(level, msg, condition, *args):
    """Log `msg % args` at `level` only if `condition` holds."""
    if condition:
        get_logger().log(level, msg, *args, stacklevel=2)


def _next_count() -> int:
    """How many times the call site two frames up (the caller of log_every_n/log_first_n) has logged before."""
    frame = _sys._getframe(2)
    site = (frame.f_code.co_filename, frame.f_lineno)
    with _counts_lock:
        count = _counts.get(site, 0)
        _counts[site] = count + 1
    return count


def log_every_n(level, msg, n, *args):
    """Log `msg % args` at `level` on the 1st, (n+1)th, (2n+1)th... call from this call site."""
    if not _next_count() % n:
        get_logger().log(level, msg, *args, stacklevel=2)


def log_first_n(level, msg, n, *args):
    """Log `msg % args` at `level` on the first `n` calls from this call site only."""
    if _next_count() < n:
        get_logger().log(level, msg, *args, stacklevel=2)


def TaskLevelStatusMessage(msg):  # noqa: N802 - TF1's name
    """Log `msg` at ERROR, as TF1 does."""
    get_logger().error(msg, stacklevel=2)


def flush():
    """Flush the handlers of the "tensorflow" logger (TF1's raises NotImplementedError)."""
    for handler in get_logger().handlers:
        handler.flush()


def get_verbosity() -> int:
    """The effective level of the "tensorflow" logger (WARN, 30, by default)."""
    return get_logger().getEffectiveLevel()


def set_verbosity(v):
    """Log records at level `v` and above (`tf.logging.set_verbosity(tf.logging.INFO)`)."""
    get_logger().setLevel(v)
