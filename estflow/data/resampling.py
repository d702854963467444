"""`tf.data.experimental.rejection_resample`: a dataset resampled toward a target class distribution.

TF's algorithm, step for step: with the class distribution p (given, or estimated as the data
streams by: counts of the classes seen, starting from 10 each, updated every 32 elements) and
the target t, each element of class i is kept with probability a_i = (t_i/p_i - m) / (max t/p - m),
m = min t/p, and the output mixes the untouched input (probability m) with those kept elements
(1 - m), which gives exactly t. Elements come out as (class, element) pairs.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.ops import (
    array_ops,
    cast_ops,
    concat_ops,
    fill_ops,
    gather_ops,
    manipulation_ops,
    math_ops,
    random_ops,
    reduction_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.data.dataset_ops import Dataset
from estflow.data.experimental_datasets import SampleFromDatasetsDataset, ScanDataset

_ESTIMATION_BATCH, _SMOOTHING = 32, 10  # TF's dist_estimation_batch_size and smoothing_constant


def _acceptance_and_mixing(initial_probs, target_probs):
    """(a_i, m) of the module docstring, as TF's _calculate_acceptance_probs_with_mixing."""
    ratio = target_probs / (initial_probs + np.finfo(initial_probs.dtype.as_numpy_dtype).tiny)
    max_ratio, min_ratio = reduction_ops.reduce_max(ratio), reduction_ops.reduce_min(ratio)
    return (ratio - min_ratio) / (max_ratio - min_ratio), min_ratio


def _estimate_initial_dist(target_dist, class_values):
    num_classes = target_dist.shape.as_list()[0]
    seen = fill_ops.fill([num_classes], np.int64(_SMOOTHING))

    def update(counts, classes):
        counts = counts + reduction_ops.reduce_sum(gather_ops.one_hot(classes, num_classes, dtype=dtypes.int64), 0)
        dist = cast_ops.cast(math_ops.truediv(counts, reduction_ops.reduce_sum(counts)), dtypes.float32)
        return counts, manipulation_ops.tile(array_ops.expand_dims(dist, 0), [_ESTIMATION_BATCH, 1])

    return ScanDataset(class_values.batch(_ESTIMATION_BATCH), seen, update).unbatch()


def _filtered(dataset, acceptance_ds, class_func, seed):
    def gather_and_copy(acceptance, data):
        class_value = class_func(*data) if isinstance(data, tuple) else class_func(data)
        return class_value, gather_ops.gather(acceptance, class_value), data

    def keep(unused_class_value, p, unused_data):
        return random_ops.random_uniform([], seed=seed, dtype=p.dtype) < p

    kept = Dataset.zip((acceptance_ds, dataset)).map(gather_and_copy).filter(keep)
    return kept.map(lambda class_value, _, data: (class_value, data)).prefetch(3)


def rejection_resample(class_func, target_dist, initial_dist=None, seed=None):
    """Resample so that `class_func(element)` (an int32 scalar in [0, num_classes)) follows `target_dist`, as
    `tf.data.experimental.rejection_resample`; elements become (class, element) pairs (see the module docstring).

        balanced = ds.apply(tf.data.experimental.rejection_resample(lambda x, y: y, [0.5, 0.5], seed=1))
    """

    def apply(dataset):
        target = cast_ops.cast(convert_to_tensor(target_dist, name="target_dist"), dtypes.float32)
        if initial_dist is not None:
            initial = cast_ops.cast(convert_to_tensor(initial_dist, name="initial_dist"), dtypes.float32)
            acceptance, prob_of_original = _acceptance_and_mixing(initial, target)
            acceptance_ds = Dataset.from_tensors(acceptance).repeat()
            prob_of_original_ds = Dataset.from_tensors(prob_of_original).repeat()
            init_static, target_static = initial._const_value, target._const_value  # known when constant
            static = None if init_static is None or target_static is None else float(
                np.min(target_static / init_static))
        else:
            initial_ds = _estimate_initial_dist(target, dataset.map(class_func))
            both = initial_ds.map(lambda initial: _acceptance_and_mixing(initial, target))
            acceptance_ds = both.map(lambda acceptance, _: acceptance)
            prob_of_original_ds = both.map(lambda _, prob_of_original: prob_of_original)
            static = None
        filtered = _filtered(dataset, acceptance_ds, class_func, seed)

        def add_class_value(*x):
            return (class_func(*x), x[0]) if len(x) == 1 else (class_func(*x), x)

        if static == 1:
            return dataset.map(add_class_value)
        if static == 0:
            return filtered
        weights = prob_of_original_ds.map(lambda p: concat_ops.stack([p, 1.0 - p]))
        return SampleFromDatasetsDataset([dataset.map(add_class_value), filtered], weights, seed,
                                         stop_on_empty_dataset=True)

    return apply
