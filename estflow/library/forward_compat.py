"""`tf.compat.forward_compatible` and `forward_compatibility_horizon`: TF 2.15.1's forward-compatibility date.

Graph producers gate new op types on a date: `forward_compatible(y, m, d)` is True once the
horizon (TF 2.15.1's, 2023-10-10, moved on by `TF_FORWARD_COMPATIBILITY_DELTA_DAYS` days) is
past that date, meaning every consumer understands what was added by then. estflow writes the
graphs TF 2.15.1 writes, so it answers with TF 2.15.1's horizon.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os

_logger = logging.getLogger("estflow")

_FORWARD_COMPATIBILITY_HORIZON = datetime.date(2023, 10, 10)
_DELTA_DAYS_VARIABLE = "TF_FORWARD_COMPATIBILITY_DELTA_DAYS"
_date_number = None


def _to_number(year: int, month: int, day: int) -> int:
    return (year << 9) | (month << 5) | day


def _update_date_number(date_to_override=None) -> None:
    global _date_number
    date = date_to_override
    if not date:
        date = _FORWARD_COMPATIBILITY_HORIZON
        delta_days = os.getenv(_DELTA_DAYS_VARIABLE)
        if delta_days:
            date += datetime.timedelta(days=int(delta_days))
    if date < _FORWARD_COMPATIBILITY_HORIZON:
        _logger.warning("Trying to set the forward compatibility date to the past date %s. This will be ignored by "
                        "TensorFlow.", date)
        return
    _date_number = _to_number(date.year, date.month, date.day)


_update_date_number()


def forward_compatible(year, month, day) -> bool:
    """Whether the forward-compatibility window for (year, month, day) has passed, as
    `tf.compat.forward_compatible`: graphs may then use what TF added by that date.

        tf.compat.forward_compatible(2023, 1, 1)   # True: before TF 2.15.1's horizon
    """
    return _date_number > _to_number(year, month, day)


@contextlib.contextmanager
def forward_compatibility_horizon(year, month, day):
    """Within the block, `forward_compatible` answers as if today were (year, month, day) (for tests).

        with tf.compat.forward_compatibility_horizon(2030, 1, 2):
            assert tf.compat.forward_compatible(2030, 1, 1)
    """
    try:
        _update_date_number(datetime.date(year, month, day))
        yield
    finally:
        _update_date_number()
