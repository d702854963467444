"""`tf.data.experimental` transformations: functions of a dataset, for `Dataset.apply`."""

from __future__ import annotations


def unbatch():
    """`dataset.apply(tf.data.experimental.unbatch())`: as `Dataset.unbatch()`."""
    return lambda dataset: dataset.unbatch()


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """Shuffle, then repeat `count` times, each epoch in a new order."""
    return lambda dataset: dataset.shuffle(buffer_size, seed=seed).repeat(count)


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False, num_parallel_calls=None):
    """`map` then `batch` (row-wise functions already run once per batch).

    `num_parallel_batches` and `num_parallel_calls` (at most one, as in TF1) set how many
    calls TF1 runs at once; the elements and their order are the same.
    """
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError("The `num_parallel_batches` and `num_parallel_calls` arguments are mutually exclusive.")
    if num_parallel_calls is None:
        num_parallel_calls = batch_size * (1 if num_parallel_batches is None else num_parallel_batches)
    return lambda dataset: dataset.map(map_func, num_parallel_calls).batch(batch_size, drop_remainder=drop_remainder)


def enumerate_dataset(start=0):
    """(index, element) pairs counting from `start`."""
    return lambda dataset: dataset.enumerate(start)
