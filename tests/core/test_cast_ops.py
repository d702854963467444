"""Cast: TF's conversion rules, unsupported string casts and the gradient."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.gradients import gradients
from estflow.core.ops.cast_ops import cast, saturate_cast, to_bfloat16, to_float, to_int64
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


# ---- bfloat16 and Bitcast --------------------------------------------------------------------------
def test_bfloat16_casts_match_tensorflow():
    bf16 = tf.bfloat16.as_numpy_dtype
    with tf.Graph().as_default():
        x = constant([3.14159, 1e30, -7.0, 1.0 / 3])
        y = to_bfloat16(x)
        assert y.name == "ToBFloat16:0" and y.dtype == tf.bfloat16 and y.op.type == "Cast"
        back = cast(y, tf.float32)
        ints = cast(constant([1, -2]), tf.bfloat16)
        # TF 2.15.1: round to nearest even on 8 mantissa bits
        assert _run(back).tolist() == [3.140625, 1.0002555517425873e+30, -7.0, 0.333984375]
        value = _run(y)
        assert value.dtype == bf16 and _run(ints).tolist() == [1.0, -2.0]
        assert _run(cast(ints, tf.int64)).tolist() == [1, -2]
        g = gradients(reduce_sum(cast(to_bfloat16(x), tf.float32) * 3.0), [x])[0]  # TF's Cast gradient
        assert _run(g).tolist() == [3.0] * 4


def test_bfloat16_dtype():
    bf16 = tf.bfloat16
    assert bf16.name == "bfloat16" and bf16.as_datatype_enum == 14 and repr(bf16) == "tf.bfloat16"
    assert bf16.is_floating and not bf16.is_integer and not bf16.is_complex and bf16.size == 2
    assert bf16.max == 3.3895313892515355e38 and bf16.min == -bf16.max
    assert tf.as_dtype("bfloat16") is tf.as_dtype(14) is tf.as_dtype(bf16.as_numpy_dtype) is tf.dtypes.bfloat16 is bf16
    assert bf16._as_ref.name == "bfloat16_ref" and tf.as_dtype(114) is bf16._as_ref


def test_bfloat16_constants_placeholders_and_graph_defs():
    bf16 = tf.bfloat16.as_numpy_dtype
    g = tf.Graph()
    with g.as_default():
        c = constant(np.array([1.0, 2.5, -0.125], bf16))
        constant(np.array(1.5, bf16), name="scalar")
        p = placeholder(tf.bfloat16, [None])
        out = tf.identity(p)
        assert c.dtype == tf.bfloat16
        with tf.Session() as sess:
            assert sess.run(out, {p: [1.0, 7.0]}).dtype == bf16
    graph_def = g.as_graph_def()
    scalar = next(n for n in graph_def.node if n.name == "scalar").attr["value"].tensor
    assert scalar.dtype == 14 and list(scalar.half_val) == [0x3FC0]  # TF's encoding: the 16 bits in half_val
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        values = _run(["Const:0", "scalar:0"])
    assert values[0].dtype == bf16 and values[0].tolist() == [1.0, 2.5, -0.125] and values[1] == 1.5


BITCASTS = [
    # input, dtype, TF 2.15.1's output
    (np.array([1.0, -2.5], np.float32), tf.int32, [1065353216, -1071644672]),
    (np.array([1.0, -2.5], np.float32), tf.uint8, [[0, 0, 128, 63], [0, 0, 32, 192]]),
    (np.array([1.0, -2.5], np.float32), tf.bfloat16, [[0.0, 1.0], [0.0, -2.5]]),
    (np.array([[1, 2], [3, 4]], np.int16), tf.int32, [131073, 262147]),
    (np.array([1 + 2j], np.complex64), tf.float32, [[1.0, 2.0]]),
    (np.array(3.0), tf.int32, [0, 1074266112]),
    (np.array([7, -1], np.int64), tf.uint64, [7, 18446744073709551615]),
]


@pytest.mark.parametrize("value,dtype,expected", BITCASTS, ids=[f"{b[0].dtype}-{b[1].name}" for b in BITCASTS])
def test_bitcast_matches_tensorflow(value, dtype, expected):
    with tf.Graph().as_default():
        out = tf.bitcast(constant(value), dtype)
        assert out.op.type == "Bitcast" and out.name == "Bitcast:0" and out.dtype == dtype
        got = _run(out)
    assert got.dtype == dtype.as_numpy_dtype and list(out.shape) == list(np.shape(expected))
    assert got.tolist() == expected


def test_bitcast_shapes_and_errors():
    with tf.Graph().as_default():
        p = placeholder(tf.int16, [None, None])
        assert tf.bitcast(p, tf.int32).shape.as_list() == [None]
        assert tf.bitcast(placeholder(tf.int16, None), tf.int32).shape.ndims is None
        assert tf.bitcast(placeholder(tf.float64, [None]), tf.uint16).shape.as_list() == [None, 4]
        with pytest.raises(ValueError, match="Cannot bitcast from 5 to 3 due to shape. 3 does not match 2"):
            tf.bitcast(constant(np.array([1, 2, 3], np.int16)), tf.int32)
        with pytest.raises(TypeError, match="parameter 'input' has DataType bool not in list of allowed values"):
            tf.bitcast(constant([True]), tf.int8)
        with pytest.raises(TypeError, match="parameter 'type' has DataType bool not in list of allowed values"):
            tf.bitcast(constant([1.0]), tf.bool)
        out = tf.bitcast(p, tf.int32)
        with pytest.raises(errors.InvalidArgumentError, match="Cannot bitcast from 5 to 3"):
            _run(out, {p: np.ones((2, 3), np.int16)})
        x = constant([1.0, 2.0], tf.float64)
        # TF registers no gradient for Bitcast either
        with pytest.raises(LookupError, match=r"No gradient defined for operation 'Bitcast_\d+' \(op type: Bitcast\)"):
            gradients(reduce_sum(tf.bitcast(x, tf.float32)), [x])


def _bitcasts(f):
    x = f(np.array([[1.0, -2.5]], np.float32))
    return [tf.bitcast(x, tf.int32), tf.bitcast(x, tf.uint8), tf.bitcast(f(np.array([1, 2, 3, 4], np.int16)[None]),
                                                                         tf.int64)[0]]


GPU_CASES = [("bitcast", _bitcasts)]  # run on the strict cupy stand-in by tests/core/test_devices.py


def round_trip():
    """Bitcast and a bfloat16 cast, for tests/core/test_graph_io_round_trip.py."""
    feed = {}

    def f(value):
        p = placeholder(tf.as_dtype(value.dtype), value.shape)
        feed[p] = value
        return p

    outs = _bitcasts(f)
    return outs + [to_bfloat16(outs[0]), cast(to_bfloat16(list(feed)[0]), tf.float32)], feed
