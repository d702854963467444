"""`tf.estimator.inputs.numpy_input_fn`: an input_fn over in-memory numpy arrays.

TF1 fed these through queues row by row; here a small source dataset cuts whole batches
from the arrays (slices when not shuffling, one gather per batch with a permutation per
epoch when shuffling), batches running on across epoch boundaries as TF's queues did.
`queue_capacity` and `num_threads` are accepted for compatibility and do nothing.
"""

from __future__ import annotations

import collections

import numpy as np

from estflow.core.random_seed import get_seed
from estflow.core.tensor_shape import TensorShape
from estflow.data import structure
from estflow.data.dataset_ops import Dataset
from estflow.data.iterator_ops import make_one_shot_iterator

_TARGET_KEY = "__target_key__"
_DIRECT_KEY = "__direct_np_input__"


def check_shuffle(shuffle) -> None:
    if not isinstance(shuffle, bool):
        raise ValueError("shuffle must be provided and explicitly set as boolean (it is recommended to set it as "
                         f"True for training); got {shuffle}")


class ArrayBatchDataset(Dataset):
    """Batches cut from equal-length arrays (a tuple element), over `num_epochs` epochs (None: forever)."""

    def __init__(self, arrays, batch_size: int, num_epochs, shuffle: bool):
        self._arrays = tuple(arrays)
        self._batch_size = int(batch_size)
        if self._batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size}.")
        self._num_epochs = num_epochs
        self._shuffle = shuffle
        self._seed = get_seed(None)
        batch_dim = self._batch_size if num_epochs is None else None
        self._spec = tuple(structure.TensorSpec(TensorShape([batch_dim]).concatenate(a.shape[1:]),
                                                structure.spec_of(a).dtype) for a in self._arrays)

    def _rng(self, env) -> np.random.Generator:
        seed, seed2 = self._seed
        if seed is None:
            return np.random.default_rng()
        return np.random.Generator(np.random.Philox(np.random.SeedSequence([seed, seed2])))

    def _elements(self, env):
        arrays, batch = self._arrays, self._batch_size
        n = len(arrays[0])
        rng = self._rng(env) if self._shuffle else None
        # shuffled rows are gathered a block at a time (one gather per array, not per array and batch)
        row_bytes = sum(a.itemsize * (a.size // n) for a in arrays) if n else 0
        block_rows = max(batch, _GATHER_BYTES // max(row_bytes, 1))
        carry, carry_rows, epoch = None, 0, 0
        while n and (self._num_epochs is None or epoch < self._num_epochs):
            order = rng.permutation(n) if rng is not None else None
            source, base, block_end = arrays, 0, (n if order is None else 0)  # row pos is source[pos - base]
            pos = 0
            while pos < n:
                if pos == block_end:
                    block_end = min(n, pos + block_rows)
                    source, base = [a[order[pos:block_end]] for a in arrays], pos
                k = min(batch - carry_rows, block_end - pos)
                part = [a[pos - base:pos - base + k] for a in source]
                pos += k
                if carry_rows == 0 and k == batch:
                    yield part
                    continue
                carry = part if carry is None else [np.concatenate([c, p]) for c, p in zip(carry, part, strict=False)]
                carry_rows += k
                if carry_rows == batch:
                    yield carry
                    carry, carry_rows = None, 0
            epoch += 1
        if carry is not None:
            yield carry


_GATHER_BYTES = 1 << 22  # about how much of the shuffled arrays one gather takes at a time


def shared_strings(column: np.ndarray) -> np.ndarray:
    """A string column whose equal `bytes` values are one object each (a new array; other values kept as they are).

    The values and their order are the same; what changes is where they live: a shuffled
    batch of a column of few distinct strings (a census column's categories) gathers
    pointers to a handful of objects instead of one object per row scattered in memory, and
    their hashes, once computed, are reused by every lookup that follows.
    """
    if column.dtype != object or not column.size:
        return column
    canonical: dict = {}
    out = np.empty(column.shape, dtype=object)
    out.ravel()[:] = [canonical.setdefault(v, v) if v.__class__ is bytes else v for v in column.ravel().tolist()]
    return out


def batches_from_arrays(arrays, batch_size, num_epochs, shuffle):
    """The next batch of `arrays` (a tuple of equal-length arrays) as tensors, from a one-shot iterator."""
    dataset = ArrayBatchDataset(arrays, batch_size, num_epochs, shuffle)
    return make_one_shot_iterator(dataset).get_next()


def _validate_and_convert_features(x):
    if isinstance(x, dict):
        if not x:
            raise ValueError("x cannot be an empty dict")
        return collections.OrderedDict(sorted(x.items(), key=lambda t: t[0]))
    if isinstance(x, np.ndarray):
        if x.size == 0:
            raise ValueError("x cannot be an empty array")
        return collections.OrderedDict({_DIRECT_KEY: x})
    raise TypeError(f"x must be a dict or array; got {type(x).__name__}")


def _unique_target_key(features) -> str:
    key = _TARGET_KEY
    while key in features:
        key += "_n"
    return key


def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000, num_threads=1):
    """An input_fn yielding batches of `x` (array or dict of arrays) and `y`, as TF1's numpy_input_fn.

        input_fn = tf.estimator.inputs.numpy_input_fn({"age": ages}, labels, batch_size=32,
                                                      num_epochs=None, shuffle=True)
        estimator.train(input_fn, steps=1000)

    The input_fn returns `(features, labels)`, or `features` alone when `y` is None;
    `features` is a dict of tensors (a tensor when `x` is an array), `labels` a tensor (a
    dict when `y` is a dict). With `num_epochs` set, the last batch may be smaller and
    then OutOfRangeError ends the input; `num_epochs=None` repeats forever.

    `queue_capacity` and `num_threads` size TF1's feeding queue and its enqueue threads.
    estflow reads in one thread, the repeatable order TF1 gets with `num_threads=1`, and
    shuffles each epoch with a full permutation (TF1 shuffles within its queue of
    `queue_capacity` rows): the rows and batch sizes are the same, only the random order
    differs, as it does for every random op.
    """
    check_shuffle(shuffle)

    def input_fn():
        data = _validate_and_convert_features(x)
        feature_keys = list(data.keys())
        if y is None:
            target_keys = None
        elif isinstance(y, dict):
            if not y:
                raise ValueError("y cannot be empty dict, use None instead.")
            ordered_y = collections.OrderedDict(sorted(y.items(), key=lambda t: t[0]))
            target_keys = list(ordered_y.keys())
            duplicate_keys = set(feature_keys).intersection(target_keys)
            if duplicate_keys:
                raise ValueError(f"{len(duplicate_keys)} duplicate keys are found in both x and y: {duplicate_keys}")
            data.update(ordered_y)
        else:
            target_keys = _unique_target_key(data)
            data[target_keys] = y
        data = collections.OrderedDict((k, structure.to_array(v)) for k, v in data.items())
        for k, v in data.items():
            if v.ndim == 0:
                raise ValueError(f"numpy_input_fn needs arrays with a first (row) dimension; '{k}' is a scalar.")
        if len({v.shape[0] for v in data.values()}) != 1:
            shapes_x = {k: data[k].shape for k in feature_keys}
            if target_keys is None:
                shape_y = None
            elif isinstance(target_keys, str):
                shape_y = data[target_keys].shape
            else:
                shape_y = {k: data[k].shape for k in target_keys}
            raise ValueError("Length of tensors in x and y is mismatched. All elements in x and y must have the same "
                             f"length.\nShapes in x: {shapes_x}\nShapes in y: {shape_y}\n")
        batch = list(batches_from_arrays(list(data.values()), batch_size, num_epochs, shuffle))
        if isinstance(x, np.ndarray):
            features = batch[0]
        else:
            features = dict(zip(feature_keys, batch[:len(feature_keys)], strict=True))
        if target_keys is None:
            return features
        if isinstance(target_keys, str):
            return features, batch[-1]
        return features, dict(zip(target_keys, batch[-len(target_keys):], strict=False))

    return input_fn
