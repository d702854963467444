"""`tf.data.experimental.ignore_errors`: a dataset without the elements that failed.

A failed element (runtime.py: a map function raising on it, a corrupted record, a CSV
record that does not parse) is dropped and the elements after it come as usual, as TF's
IgnoreErrorsDataset does. An error a stage cannot get past (a file that cannot be
opened: TF retries it forever, so its ignore_errors would never return) is not a failed
element: it is raised, not ignored.

    ds = tf.data.TFRecordDataset(files).apply(tf.data.experimental.ignore_errors())
"""

from __future__ import annotations

import logging

from estflow.data import runtime
from estflow.data.runtime import ElementError
from estflow.data.transformations import _UnaryDataset


class IgnoreErrorsDataset(_UnaryDataset):
    """The input's elements, without the failed ones (logged as warnings when `log_warning`)."""

    def __init__(self, input_dataset, log_warning=False):
        super().__init__(input_dataset)
        self._log_warning = bool(log_warning)

    def _drop(self, items):
        for item in items:
            if item.__class__ is ElementError:
                if self._log_warning:
                    logging.getLogger("estflow").warning("Error raised with error message %s", item.error.message)
                continue
            yield item

    def _elements(self, env):
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        return self._drop(self._input._elements(env))

    def _chunks(self, env, hint):
        return self._drop(runtime.chunks_of(self._input, env, hint))


def ignore_errors(log_warning=False):
    """`dataset.apply(tf.data.experimental.ignore_errors())`: drops the elements that fail.

        ds = tf.data.Dataset.from_tensor_slices([1., 2., 0., 4.])
        ds = ds.map(lambda x: tf.debugging.check_numerics(1. / x, "error"))
        ds = ds.apply(tf.data.experimental.ignore_errors())   # 1., 0.5, 0.25
    """
    return lambda dataset: IgnoreErrorsDataset(dataset, log_warning)
