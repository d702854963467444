"""TF1's `tf.math` functions that TF itself builds from other ops, written the same way here.

Each keeps TF1's arguments, defaults and formula (math_ops.py, nn_impl.py), so results and
gradients match TF to rounding; the graphs hold the ops TF's composites hold. The segment
means and the bincount are sums over segments divided by counts, as TF1 writes them.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    fill_ops,
    math_ops,
    nn_ops,
    reduction_ops,
    segment_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) computed as -softplus(-x), stable for large |x|, as `tf.math.log_sigmoid`."""
    with name_scope(name, "LogSigmoid", [x]):
        x = convert_to_tensor(x, name="x")
        return unary_ops.negative(nn_ops.softplus(unary_ops.negative(x)))


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Variance of the elements along `axis` (population variance), as `tf.math.reduce_variance`."""
    with name_scope(name, "reduce_variance", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        if not (x.dtype.is_floating or x.dtype.is_complex):
            raise TypeError(f"Input must be either real or complex, got {x.dtype.name}")
        mean = reduction_ops.reduce_mean(x, axis=axis, keepdims=True)
        return reduction_ops.reduce_mean(unary_ops.square(x - mean), axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Standard deviation along `axis`: sqrt of `reduce_variance`, as `tf.math.reduce_std`."""
    with name_scope(name, "reduce_std", [input_tensor]):
        return unary_ops.sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x ** 2)) along `axis`, as `tf.math.reduce_euclidean_norm`."""
    with name_scope(name, "EuclideanNorm", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        return unary_ops.sqrt(reduction_ops.reduce_sum(unary_ops.square(x), axis=axis, keepdims=keepdims))


def _where_x_zero(x, value, zero_test):
    """0 where `zero_test` is zero, `value` elsewhere, broadcast to `value`'s shape."""
    zero = comparison_ops.equal(zero_test, fill_ops.zeros_like(zero_test))
    return comparison_ops.where_v2(zero, fill_ops.zeros_like(value), value)


def multiply_no_nan(x, y, name=None):
    """x * y, but 0 where y is 0 even when x is inf or nan, as `tf.math.multiply_no_nan`."""
    with name_scope(name, "multiply_no_nan", [x, y]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        return _where_x_zero(y, x * y, y)


def reciprocal_no_nan(x, name=None):
    """1 / x, but 0 where x is 0, as `tf.math.reciprocal_no_nan`."""
    with name_scope(name, "reciprocal_no_nan", [x]):
        x = convert_to_tensor(x, name="x")
        return math_ops.div_no_nan(fill_ops.ones_like(x), x)


def xdivy(x, y, name=None):
    """x / y, but 0 where x is 0, as `tf.math.xdivy`."""
    with name_scope(name, "xdivy", [x, y]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        return _where_x_zero(x, math_ops.truediv(x, y), x)


def xlogy(x, y, name=None):
    """x * log(y), but 0 where x is 0, as `tf.math.xlogy`."""
    with name_scope(name, "xlogy", [x, y]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        return _where_x_zero(x, x * unary_ops.log(y), x)


def xlog1py(x, y, name=None):
    """x * log1p(y), but 0 where x is 0, as `tf.math.xlog1py`."""
    with name_scope(name, "xlog1py", [x, y]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        return _where_x_zero(x, x * unary_ops.log1p(y), x)


def _adjacent_differences(x):
    flat = array_ops.reshape(x, [-1])
    return flat[1:] - flat[:-1]


def is_non_decreasing(x, name=None):
    """True when the elements of `x` (read in row-major order) never decrease, as `tf.math.is_non_decreasing`."""
    with name_scope(name, "is_non_decreasing", [x]):
        diff = _adjacent_differences(convert_to_tensor(x, name="x"))
        return reduction_ops.reduce_all(comparison_ops.greater_equal(diff, fill_ops.zeros_like(diff)))


def is_strictly_increasing(x, name=None):
    """True when each element of `x` (row-major order) exceeds the one before, as `tf.math.is_strictly_increasing`."""
    with name_scope(name, "is_strictly_increasing", [x]):
        diff = _adjacent_differences(convert_to_tensor(x, name="x"))
        return reduction_ops.reduce_all(comparison_ops.greater(diff, fill_ops.zeros_like(diff)))


def polyval(coeffs, x, name=None):
    """The polynomial coeffs[0] * x**(n-1) + ... + coeffs[n-1] by Horner's rule, as `tf.math.polyval`.

        tf.math.polyval([2., 0., 1.], 3.)   # 2 * 9 + 1 = 19
    """
    if not isinstance(coeffs, (list, tuple)):
        raise ValueError(f"Argument coeffs must be list type found {type(coeffs)}.")
    with name_scope(name, "polyval", [x]):
        x = convert_to_tensor(x, name="x")
        if not coeffs:
            return fill_ops.zeros_like(x)
        coeffs = [convert_to_tensor(c, name=f"coeffs_{i}", dtype=x.dtype) for i, c in enumerate(coeffs)]
        result = coeffs[0]
        for c in coeffs[1:]:
            result = c + result * x
        return result


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """log(cumsum(exp(x))) along `axis`, shifted by the maximum to stay finite, as `tf.math.cumulative_logsumexp`."""
    with name_scope(name, "CumulativeLogsumexp", [x]):
        x = convert_to_tensor(x, name="x")
        shift = array_ops.stop_gradient(reduction_ops.reduce_max(x, axis=axis, keepdims=True))
        shift = comparison_ops.where_v2(unary_ops.is_finite(shift), shift, fill_ops.zeros_like(shift))
        total = reduction_ops.cumsum(unary_ops.exp(x - shift), axis=axis, exclusive=exclusive, reverse=reverse)
        return unary_ops.log(total) + shift


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=dtypes.int32, name=None):
    """How often each value 0, 1, ... occurs in `arr` (or the sum of its `weights`), as `tf.math.bincount`.

    The output has max(arr) + 1 bins, at least `minlength` and at most `maxlength`; values
    at or past `maxlength` are dropped.

        tf.math.bincount([1, 1, 3])   # [0, 2, 0, 1]
    """
    with name_scope(name, "bincount", [arr, weights, minlength, maxlength]):
        arr = convert_to_tensor(arr, name="arr", dtype=dtypes.int32)
        # the largest value + 1, or 0 for an empty `arr` (a -1 joins the values so the max always exists)
        padded = concat_ops.concat([array_ops.reshape(arr, [-1]), [-1]], 0)
        size = reduction_ops.reduce_max(padded) + 1
        if minlength is not None:
            size = math_ops.maximum(convert_to_tensor(minlength, dtype=dtypes.int32, name="minlength"), size)
        if maxlength is not None:
            size = math_ops.minimum(convert_to_tensor(maxlength, dtype=dtypes.int32, name="maxlength"), size)
        if weights is None:
            values = fill_ops.ones_like(arr, dtype=dtype)
        else:
            values = convert_to_tensor(weights, name="weights")
        # NOTE: ids past the last bin become -1, which unsorted_segment_sum drops (TF's maxlength clipping).
        ids = comparison_ops.where_v2(comparison_ops.less(arr, size), arr, fill_ops.fill(array_ops.shape(arr), -1))
        return segment_ops.unsorted_segment_sum(values, ids, size)


def _segment_counts(segment_ids, num_segments, dtype):
    ones = fill_ops.ones_like(segment_ids, dtype=dtype)
    if num_segments is None:
        return segment_ops.segment_sum(ones, segment_ids)
    return segment_ops.unsorted_segment_sum(ones, segment_ids, num_segments)


def _expand_counts(counts, data):
    """`counts` (one per segment) reshaped to broadcast against a segment reduction of `data`."""
    extra = data.shape.ndims
    if extra is None:
        raise ValueError("segment means need data of known rank")
    return array_ops.reshape(counts, [-1] + [1] * (extra - 1))


def segment_mean(data, segment_ids, name=None):
    """Means of the rows of `data` sharing a (sorted) segment id, as `tf.math.segment_mean`."""
    with name_scope(name, "SegmentMean", [data, segment_ids]):
        data = convert_to_tensor(data, name="data")
        total = segment_ops.segment_sum(data, segment_ids)
        counts = _segment_counts(convert_to_tensor(segment_ids), None, data.dtype)
        return total / math_ops.maximum(_expand_counts(counts, data), 1)


def _unsorted_counts(data, segment_ids, num_segments):
    segment_ids = convert_to_tensor(segment_ids, name="segment_ids")
    counts = _segment_counts(segment_ids, num_segments, data.dtype)
    extra = data.shape.ndims - segment_ids.shape.ndims
    return math_ops.maximum(array_ops.reshape(counts, [-1] + [1] * extra), 1)


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """Means of the rows of `data` sharing a segment id (any order; empty segments 0), as
    `tf.math.unsorted_segment_mean`."""
    with name_scope(name, "UnsortedSegmentMean", [data, segment_ids, num_segments]):
        data = convert_to_tensor(data, name="data")
        total = segment_ops.unsorted_segment_sum(data, segment_ids, num_segments)
        return total / _unsorted_counts(data, segment_ids, num_segments)


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """Sums of the rows sharing a segment id divided by sqrt(count), as `tf.math.unsorted_segment_sqrt_n`."""
    with name_scope(name, "UnsortedSegmentSqrtN", [data, segment_ids, num_segments]):
        data = convert_to_tensor(data, name="data")
        total = segment_ops.unsorted_segment_sum(data, segment_ids, num_segments)
        return total / unary_ops.sqrt(_unsorted_counts(data, segment_ids, num_segments))


def to_complex64(x, name="ToComplex64"):
    """`x` cast to complex64, as TF1's `tf.to_complex64`."""
    return cast_ops.cast(x, dtypes.complex64, name=name)


def to_complex128(x, name="ToComplex128"):
    """`x` cast to complex128, as TF1's `tf.to_complex128`."""
    return cast_ops.cast(x, dtypes.complex128, name=name)
