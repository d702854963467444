"""Cast: TF's conversion rules, unsupported string casts and the gradient."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.gradients import gradients
from estflow.core.ops.cast_ops import cast, saturate_cast, to_float, to_int64
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.ops.reduction_ops import reduce_sum


def _run(fetch, feed=None, graph=None):
    with tf.Session(graph=graph) as sess:
        return sess.run(fetch, feed)


# ================================================================================================
# Casts
# ================================================================================================
def test_cast_rules():
    with tf.Graph().as_default():
        f = constant([-2.7, -0.5, 0.0, 0.5, 2.7])
        outs = [cast(f, tf.int32), cast(f, tf.bool), cast(constant([True, False]), tf.float32),
                cast(constant([300, -1]), tf.uint8), to_int64(f), to_float(constant([1, 2])),
                saturate_cast(constant([300.0, -5.0, 7.0]), tf.uint8),
                cast(constant([1 + 2j]), tf.float64)]
        vals = _run(outs)
        assert [o.dtype for o in outs] == [tf.int32, tf.bool, tf.float32, tf.uint8, tf.int64, tf.float32, tf.uint8,
                                           tf.float64]
        assert cast(f, tf.float32) is f  # TF returns the tensor itself
        assert outs[0].op.type == "Cast" and outs[0].op.name == "Cast"
        assert outs[4].op.name == "ToInt64"
    np.testing.assert_array_equal(vals[0], [-2, 0, 0, 0, 2])  # truncation toward zero
    np.testing.assert_array_equal(vals[1], [True, True, False, True, True])
    np.testing.assert_array_equal(vals[2], [1, 0])
    np.testing.assert_array_equal(vals[3], [44, 255])  # integers wrap
    np.testing.assert_array_equal(vals[6], [255, 0, 7])
    np.testing.assert_array_equal(vals[7], [1.0])


def test_cast_to_or_from_string_is_unimplemented():
    with tf.Graph().as_default():
        out = cast(constant(["1"]), tf.float32)
        with pytest.raises(errors.UnimplementedError, match="Cast string to float is not supported"):  # TF's form
            _run(out)
        out = cast(constant([1]), tf.string)
        with pytest.raises(errors.UnimplementedError, match="Cast int32 to string is not supported"):
            _run(out)


def test_cast_gradient():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [2])
        g32 = gradients(reduce_sum(cast(x, tf.float64) * 3.0), [x])[0]
        gi = gradients(reduce_sum(cast(cast(x, tf.int32), tf.float32)), [x])[0]
        assert g32.dtype == tf.float32
        np.testing.assert_array_equal(_run(g32, {x: [1, 2]}), [3, 3])
        assert gi is None


def test_casts_between_real_types_give_numpys_values_and_fresh_arrays():
    values = {np.bool_: [True, False], np.int32: [-3, 7], np.int64: [2 ** 40, -1], np.float32: [-2.7, 3.5e9],
              np.float64: [1e300, -0.5], np.uint8: [0, 255]}
    with tf.Graph().as_default(), tf.Session() as sess:
        for src, vals in values.items():
            x = placeholder(tf.as_dtype(src), [2])
            for dst in (tf.bool, tf.int32, tf.int64, tf.float32, tf.float64, tf.uint8):
                v = np.array(vals, src)
                with np.errstate(all="ignore"):
                    want = v.astype(dst.as_numpy_dtype)
                got = sess.run(cast(x, dst), {x: v})
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got, want)
                assert not np.shares_memory(got, v)
