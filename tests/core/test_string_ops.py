"""String ops: one table of (function, inputs, expected value) checked against the inferred spec, then errors.

Inputs are fed through placeholders, so the kernels run in the session rather than being
folded at build time; string results are compared as lists of bytes.
"""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow import strings
from estflow.core import dtypes, errors
from estflow.core.ops import string_ops as S
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.registry import registered_ops
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import TensorShape


def b(*items):
    """An object array of bytes: b("x", "y") is 1-D; list arguments are the rows of a 2-D array."""
    if any(isinstance(x, list) for x in items):
        out = np.empty((len(items), len(items[0])), dtype=object)
        for i, row in enumerate(items):
            out[i, :] = [x.encode() for x in row]
        return out
    out = np.empty(len(items), dtype=object)
    out[:] = [x.encode() for x in items]
    return out


def _as_array(value):
    """A fetched value as an array (a fetched scalar string is plain bytes)."""
    return np.array(value, dtype=object) if isinstance(value, bytes) else np.asarray(value)


def _feedable(x):
    x = np.asarray(x)
    return x, (tf.string if x.dtype == object else x.dtype)


def run(build, *inputs, exact=True):
    """Build from placeholders fed `inputs` (of unknown shape unless `exact`); returns (tensors, values)."""
    with tf.Graph().as_default():
        arrays = [_feedable(x) for x in inputs]
        phs = [placeholder(dtype, shape=a.shape if exact else None) for a, dtype in arrays]
        out = build(*phs)
        flat = [out.indices, out.values, out.dense_shape] if isinstance(out, SparseTensor) else [out]
        with tf.Session() as sess:
            values = sess.run(flat, {p: a for p, (a, _) in zip(phs, arrays, strict=True)})
    return flat, values


def _same(value, expected, label):
    value, expected = np.asarray(value), np.asarray(expected)
    assert value.shape == expected.shape, f"{label}: shape {value.shape} != {expected.shape}"
    if expected.dtype == object:
        assert value.tolist() == expected.tolist(), f"{label}: {value.tolist()} != {expected.tolist()}"
    else:
        np.testing.assert_allclose(value, expected, err_msg=label)
        assert value.dtype == expected.dtype, f"{label}: dtype {value.dtype} != {expected.dtype}"


CASES = [
    # as_string
    ("as_string_float", lambda x: S.as_string(x), [np.array([1.5, -2.0], np.float32)], b("1.500000", "-2.000000")),
    ("as_string_precision", lambda x: S.as_string(x, precision=2), [np.array([3.14159], np.float64)], b("3.14")),
    ("as_string_scientific", lambda x: S.as_string(x, scientific=True), [np.array([1234.5], np.float32)],
     b("1.234500e+03")),
    ("as_string_shortest", lambda x: S.as_string(x, shortest=True), [np.array([0.5, 1e20], np.float64)],
     b("0.5", "1e+20")),
    ("as_string_int_width_zero_fill", lambda x: S.as_string(x, width=4, fill="0"), [np.array([7, -3], np.int32)],
     b("0007", "-003")),
    ("as_string_int_left", lambda x: S.as_string(x, width=4, fill="-"), [np.array([-42, 0, 42], np.int64)],
     b("-42 ", "0   ", "42  ")),
    ("as_string_int_space", lambda x: S.as_string(x, width=4), [np.array([-42, 0, 42], np.int32)],
     b(" -42", "   0", "  42")),
    ("as_string_bool", lambda x: S.as_string(x), [np.array([True, False])], b("true", "false")),
    ("as_string_complex", lambda x: S.as_string(x, precision=1), [np.array([1 + 2j], np.complex64)], b("(1.0,2.0)")),
    ("as_string_2d", lambda x: S.as_string(x), [np.array([[1], [2]], np.int32)], b(["1"], ["2"])),
    ("as_string_scalar", lambda x: S.as_string(x), [np.int64(12)], np.array(b"12", dtype=object)),
    # string_to_number
    ("to_number_float", lambda x: S.string_to_number(x), [b("1.5", " 2 ", "-3e2", ".5", "0x10", "INF")],
     np.array([1.5, 2, -300, 0.5, 16, np.inf], np.float32)),
    ("to_number_double", lambda x: strings.to_number(x, tf.float64), [b("0.1")], np.array([0.1], np.float64)),
    ("to_number_int32", lambda x: S.string_to_number(x, tf.int32), [b("12", " -7 ", "2147483647")],
     np.array([12, -7, 2147483647], np.int32)),
    ("to_number_int64", lambda x: S.string_to_number(x, tf.int64), [b("9007199254740993")],
     np.array([9007199254740993], np.int64)),
    # string_join
    ("join", lambda x, y: S.string_join([x, y], separator="-"), [b("a", "b"), b("c", "d")], b("a-c", "b-d")),
    ("join_scalar_broadcast", lambda x, y: strings.join([x, y, x]), [b("a", "b"), np.array(b"!", dtype=object)],
     b("a!a", "b!b")),
    ("join_scalars", lambda x, y: S.string_join([x, y], separator=", "),
     [np.array(b"x", dtype=object), np.array(b"y", dtype=object)], np.array(b"x, y", dtype=object)),
    # length, strip, lower, upper
    ("length_bytes", lambda x: strings.length(x), [b("", "abc", "héllo")], np.array([0, 3, 6], np.int32)),
    ("length_chars", lambda x: strings.length(x, unit="UTF8_CHAR"), [b("", "abc", "héllo")],
     np.array([0, 3, 5], np.int32)),
    ("strip", lambda x: strings.strip(x), [b(" a b \t\n", "", "x")], b("a b", "", "x")),
    ("lower", lambda x: strings.lower(x), [b("AbC", "ÀB")], b("abc", "Àb")),
    ("lower_utf8", lambda x: strings.lower(x, encoding="utf-8"), [b("ÀB")], b("àb")),
    ("upper", lambda x: strings.upper(x), [b(["ab", "Cd"])], b(["AB", "CD"])),
    # substr
    ("substr", lambda x: strings.substr(x, 1, 3), [b("hello", "ab")], b("ell", "b")),
    ("substr_negative_pos", lambda x: strings.substr(x, -3, 2), [b("hello", "abc")], b("ll", "ab")),
    ("substr_to_end", lambda x: S.substr(x, 2, -1), [b("hello")], b("llo")),
    ("substr_elementwise", lambda x, p, n: S.substr(x, p, n), [b("hello", "world"), np.array([0, 1], np.int32),
                                                              np.array([2, 3], np.int32)], b("he", "orl")),
    ("substr_broadcast", lambda x, p, n: S.substr(x, p, n),
     [b(["abc", "def"]), np.array([[0], [1]], np.int64), np.array([[1], [2]], np.int64)], b(["a", "d"], ["bc", "ef"])),
    ("substr_utf8", lambda x: strings.substr(x, 1, 2, unit="UTF8_CHAR"), [b("héllo")], b("él")),
    ("substr_utf8_negative", lambda x: strings.substr(x, -4, 2, unit="UTF8_CHAR"), [b("héllo")], b("él")),
    # regular expressions
    ("regex_replace_global", lambda x: strings.regex_replace(x, r"\d+", "#"), [b("a1b22", "none")],
     b("a#b#", "none")),
    ("regex_replace_first", lambda x: S.regex_replace(x, "o", "0", replace_global=False), [b("foo")], b("f0o")),
    ("regex_replace_groups", lambda x: S.regex_replace(x, r"(\w+) (\w+)", r"\2 \1 (\0)"), [b("ab cd")],
     b("cd ab (ab cd)")),
    ("regex_replace_backslash", lambda x: S.regex_replace(x, "/", r"\\"), [b("a/b")], b("a\\b")),
    ("regex_replace_bad_rewrite_is_a_no_op", lambda x: S.regex_replace(x, "a", r"\3"), [b("abc")], b("abc")),
    ("regex_replace_dollar_is_end_of_text", lambda x: S.regex_replace(x, "x$", "y"), [b("x\n", "x")],
     b("x\n", "y")),
    ("regex_replace_z", lambda x: S.regex_replace(x, r"a\z", "!"), [b("aa")], b("a!")),
    ("regex_replace_posix_class", lambda x: S.regex_replace(x, "[[:digit:]]+", "N"), [b("a12b3")], b("aNbN")),
    ("regex_replace_quoted", lambda x: S.regex_replace(x, r"\Q.*\E", "-"), [b("a.*b")], b("a-b")),
    ("regex_replace_utf8", lambda x: S.regex_replace(x, "é.", "e"), [b("héllo")], b("helo")),
    ("regex_replace_tensor_pattern", lambda x, p, r: S.regex_replace(x, p, r),
     [b("aXbX"), np.array(b"X", dtype=object), np.array(b"_", dtype=object)], b("a_b_")),
    ("regex_full_match", lambda x: strings.regex_full_match(x, "[a-z]+"), [b("abc", "ab1", "")],
     np.array([True, False, False])),
    ("regex_full_match_tensor_pattern", lambda x, p: S.regex_full_match(x, p),
     [b("abc", "a"), np.array(b"a.*", dtype=object)], np.array([True, True])),
    # reduce_join
    ("reduce_join_axis1", lambda x: strings.reduce_join(x, 1), [b(["a", "b"], ["c", "d"])], b("ab", "cd")),
    ("reduce_join_axis0", lambda x: S.reduce_join(x, 0), [b(["a", "b"], ["c", "d"])], b("ac", "bd")),
    ("reduce_join_negative_keepdims", lambda x: S.reduce_join(x, -1, keep_dims=True), [b(["a", "b"], ["c", "d"])],
     b(["ab"], ["cd"])),
    ("reduce_join_separator", lambda x: S.reduce_join(x, 0, separator="."), [b(["a", "b"], ["c", "d"])],
     b("a.c", "b.d")),
    ("reduce_join_order_01", lambda x: S.reduce_join(x, [0, 1]), [b(["a", "b"], ["c", "d"])],
     np.array(b"acbd", dtype=object)),
    ("reduce_join_order_10", lambda x: S.reduce_join(x, [1, 0]), [b(["a", "b"], ["c", "d"])],
     np.array(b"abcd", dtype=object)),
    ("reduce_join_all", lambda x: S.reduce_join(x), [b(["a", "b"], ["c", "d"])], np.array(b"abcd", dtype=object)),
    ("reduce_join_none", lambda x: S.reduce_join(x, []), [b(["a", "b"], ["c", "d"])], b(["a", "b"], ["c", "d"])),
    ("reduce_join_keepdims_alias", lambda x: S.reduce_join(x, 0, keepdims=True), [b(["a", "b"], ["c", "d"])],
     b(["ac", "bd"])),
]


@pytest.mark.parametrize("name, build, inputs, expected", CASES, ids=[c[0] for c in CASES])
def test_spec_and_value(name, build, inputs, expected):
    (t,), (value,) = run(build, *inputs)
    value = _as_array(value)
    assert t.shape.is_compatible_with(value.shape), f"{name}: inferred {t.shape}, kernel gave {value.shape}"
    assert value.dtype == (object if t.dtype == dtypes.string else t.dtype.as_numpy_dtype), name
    _same(value, expected, name)


@pytest.mark.parametrize("build, inputs, shape", [
    (lambda x: S.as_string(x), [np.zeros((2, 3), np.float32)], [2, 3]),
    (lambda x: S.string_to_number(x), [b("1", "2")], [2]),
    (lambda x, y: S.string_join([x, y]), [b("a"), np.array(b"!", dtype=object)], [1]),
    (lambda x: S.substr(x, [0, 1], [1, 1]), [b("ab", "cd")], [2]),
    (lambda x: S.reduce_join(x, 1, keep_dims=True), [b(["a", "b"], ["c", "d"])], [2, 1]),
    (lambda x: S.reduce_join(x), [b(["a", "b"], ["c", "d"])], []),
    (lambda x: strings.length(x), [b(["a", "b"])], [1, 2]),
])
def test_static_shapes_are_fully_inferred(build, inputs, shape):
    (t,), _ = run(build, *inputs)
    assert t.shape == TensorShape(shape)


# ---- splitting into SparseTensors ---------------------------------------------------------------------------
@pytest.mark.parametrize("build, source, indices, values, dense_shape", [
    (lambda x: S.string_split(x), b("a b", "c", "", " d  e "),
     [[0, 0], [0, 1], [1, 0], [3, 0], [3, 1]], ["a", "b", "c", "d", "e"], [4, 2]),
    (lambda x: S.string_split(x, ",;"), b("a,b;c"), [[0, 0], [0, 1], [0, 2]], ["a", "b", "c"], [1, 3]),
    (lambda x: S.string_split(x, ",", skip_empty=False), b("a,,b", ""), [[0, 0], [0, 1], [0, 2]], ["a", "", "b"],
     [2, 3]),
    (lambda x: S.string_split(x, ""), b("ab", "c"), [[0, 0], [0, 1], [1, 0]], ["a", "b", "c"], [2, 2]),
    (lambda x: S.string_split(x, delimiter="-"), b("x-y"), [[0, 0], [0, 1]], ["x", "y"], [1, 2]),
    (lambda x: strings.split(x), b(" a  b ", ""), [[0, 0], [0, 1]], ["a", "b"], [2, 2]),
    (lambda x: strings.split(x, sep=","), b("a,,b", ""), [[0, 0], [0, 1], [0, 2], [1, 0]], ["a", "", "b", ""],
     [2, 3]),
    (lambda x: strings.split(x, sep="::", maxsplit=1), b("a::b::c"), [[0, 0], [0, 1]], ["a", "b::c"], [1, 2]),
    (lambda x: strings.split(x, maxsplit=0), b(" a b"), [[0, 0]], [" a b"], [1, 1]),
    (lambda x: strings.split(source=x), b("p q"), [[0, 0], [0, 1]], ["p", "q"], [1, 2]),
])
def test_split(build, source, indices, values, dense_shape):
    (ti, tv, ts), (i, v, s) = run(build, source)
    assert ti.shape == TensorShape([None, 2]) and tv.shape == TensorShape([None]) and ts.shape == TensorShape([2])
    np.testing.assert_array_equal(i, np.asarray(indices, np.int64).reshape(-1, 2))
    assert i.dtype == np.int64 and s.dtype == np.int64
    assert v.tolist() == [x.encode() for x in values]
    np.testing.assert_array_equal(s, dense_shape)


def test_split_of_a_scalar():
    with tf.Graph().as_default(), tf.Session() as sess:
        value = sess.run(strings.split(constant("a b")))
    np.testing.assert_array_equal(value.dense_shape, [1, 2])


# ---- errors -------------------------------------------------------------------------------------------------
RUN_ERRORS = [
    ("to_number_bad", lambda x: S.string_to_number(x), [b("1", "abc")], errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: abc"),
    ("to_number_junk", lambda x: S.string_to_number(x), [b("1.5x")], errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: 1.5x"),
    ("to_number_empty", lambda x: S.string_to_number(x), [b("")], errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: "),
    ("to_number_int_float", lambda x: S.string_to_number(x, tf.int32), [b("1.5")], errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: 1.5"),
    ("to_number_int_plus", lambda x: S.string_to_number(x, tf.int32), [b("+1")], errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: +1"),
    ("to_number_int32_overflow", lambda x: S.string_to_number(x, tf.int32), [b("2147483648")],
     errors.InvalidArgumentError, "StringToNumberOp could not correctly convert string: 2147483648"),
    ("join_shapes", lambda x, y: S.string_join([x, y]), [b("a", "b"), b("a", "b", "c")], errors.InvalidArgumentError,
     "Input shapes do not match: [2] vs. [3]"),
    ("split_vector", lambda x: S.string_split(x), [b(["a"], ["b"])], errors.InvalidArgumentError,
     "input must be a vector, got shape: [2,1]"),
    ("split_delimiter", lambda x, d: S.string_split(x, d), [b("a"), b(",")], errors.InvalidArgumentError,
     "delimiter must be a scalar, got shape: [1]"),
    ("substr_pos", lambda x: S.substr(x, 4, 1), [b("abcdef", "abc")], errors.InvalidArgumentError,
     "pos 4 out of range for string b'abc' at index 1"),
    ("substr_negative_pos", lambda x: S.substr(x, -4, 1), [b("abc")], errors.InvalidArgumentError,
     "pos -4 out of range for string b'abc' at index 0"),
    ("substr_broadcast_pos", lambda x, p, n: S.substr(x, p, n),
     [b(["abc", "d"]), np.array([[0], [2]], np.int32), np.array([[1], [1]], np.int32)], errors.InvalidArgumentError,
     "pos 2 out of range for string b'd' at index (1, 1)"),
    ("substr_utf8_pos", lambda x: S.substr(x, 6, 1, unit="UTF8_CHAR"), [b("héllo")], errors.InvalidArgumentError,
     "pos 6 out of range for string at index 0"),
    ("substr_pos_len_shapes", lambda x, p, n: S.substr(x, p, n),
     [b("ab", "cd"), np.array([0, 1], np.int32), np.array([1], np.int32)], errors.InvalidArgumentError,
     "pos and len should have the same shape, got: [2] vs. [1]"),
    ("regex_bad_pattern", lambda x, p: S.regex_replace(x, p, "y"), [b("a"), np.array(b"(", dtype=object)],
     errors.InvalidArgumentError, "Invalid pattern: (, error: missing ): ("),
    ("regex_pattern_scalar", lambda x, p: S.regex_full_match(x, p), [b("a"), b("a")], errors.InvalidArgumentError,
     "Pattern must be scalar, but received [1]"),
    ("regex_rewrite_scalar", lambda x, r: S.regex_replace(x, constant("a"), r), [b("a"), b("b")],
     errors.InvalidArgumentError, "Rewrite must be scalar, but received [1]"),
    ("reduce_join_axis", lambda x, a: S.reduce_join(x, a), [b(["a"]), np.array([2], np.int32)],
     errors.OutOfRangeError, "Invalid reduction dimension 2 for input with 2 dimension(s)"),
    ("reduce_join_duplicate", lambda x, a: S.reduce_join(x, a), [b(["a"]), np.array([0, -2], np.int32)],
     errors.InvalidArgumentError, "Duplicate reduction dimension -2"),
]


@pytest.mark.parametrize("name, build, inputs, error, message", RUN_ERRORS, ids=[c[0] for c in RUN_ERRORS])
def test_run_time_errors(name, build, inputs, error, message):
    with pytest.raises(error) as e:
        run(build, *inputs, exact=False)
    assert e.value.message.split("\n\t [[")[0] == message


BUILD_ERRORS = [
    (lambda: S.as_string(constant([1]), scientific=True), ValueError,
     "scientific and shortest format not supported for datatype int32"),
    (lambda: S.as_string(constant([1]), precision=2), ValueError, "precision not supported for datatype int32"),
    (lambda: S.as_string(constant([1.0]), fill="00"), ValueError, "Fill string must be one or fewer characters"),
    (lambda: S.as_string(constant([1.0]), scientific=True, shortest=True), ValueError,
     "Cannot select both scientific and shortest notation"),
    (lambda: S.as_string(constant([1]), fill="s"), ValueError, 'Fill argument not supported: "s"'),
    (lambda: S.as_string(constant([1.0], dtype=tf.float64), shortest=True, scientific=True), ValueError,
     "Cannot select both scientific and shortest notation"),
    (lambda: S.string_to_number(constant(["1"]), out_type=tf.bool), TypeError,
     "Value for attr 'out_type' of bool is not in the list of allowed values: float, double, int32, int64"),
    (lambda: S.string_to_number(constant([1.0])), ValueError, "Tensor conversion requested dtype string"),
    (lambda: S.substr(constant(["a"]), 0, 1, unit="CHAR"), ValueError,
     "unit must be one of BYTE, UTF8_CHAR; got 'CHAR'."),
    (lambda: strings.length(constant(["a"]), unit="UTF16"), ValueError,
     "unit must be one of BYTE, UTF8_CHAR; got 'UTF16'."),
    (lambda: S.regex_replace(constant(["a"]), "(", "x"), ValueError,
     "Invalid pattern: (, error: missing ): ("),
    (lambda: S.regex_full_match(constant(["a"]), "[a"), ValueError, "Invalid pattern: [a, error:"),
    (lambda: S.string_join([constant(["a", "b"]), constant(["a"])]), ValueError,
     "Input shapes do not match: (2,) vs. (1,)"),
    (lambda: S.string_split(constant([["a"]])), ValueError, "Shape must be rank 1 but is rank 2"),
    (lambda: S.string_split(constant(["a"]), sep=",", delimiter=","), ValueError,
     "Cannot specify both 'sep' and 'delimiter'."),
    (lambda: S.string_split(constant(["a"]), result_type="RaggedTensor"), ValueError,
     "result_type must be 'SparseTensor' in estflow (RaggedTensor is not supported); got 'RaggedTensor'."),
    (lambda: strings.split(constant([["a"]])), ValueError,
     "tf.strings.split in estflow takes a scalar or 1-D input; got shape (1, 1)."),
    (lambda: strings.split(constant(["a"]), source=constant(["b"])), ValueError,
     "Cannot specify both 'input' and 'source'."),
    (lambda: S.reduce_join(constant([["a"]]), 2), ValueError,
     "Invalid reduction dimension 2 for input with 2 dimension(s)"),
    (lambda: S.reduce_join(constant([["a"]]), [1, -1]), ValueError, "Duplicate reduction dimension -1"),
    (lambda: S.reduce_join(constant([["a"]]), 0, keep_dims=True, keepdims=True), ValueError,
     "Cannot specify both 'keepdims' and 'keep_dims'."),
    (lambda: S.reduce_join(placeholder(tf.string)), ValueError,
     "reduce_join over all axes needs the input's rank to be known at graph-build time; pass `axis` explicitly."),
    (lambda: strings.lower(constant(["a"]), encoding="latin-1"), ValueError,
     "encoding must be '' (ASCII only) or 'utf-8'; got 'latin-1'."),
    (lambda: strings.strip(constant([1])), ValueError, "Tensor conversion requested dtype string"),
]


@pytest.mark.parametrize("build, error, message", BUILD_ERRORS, ids=[m for _, _, m in BUILD_ERRORS])
def test_build_time_errors(build, error, message):
    with tf.Graph().as_default(), pytest.raises(error) as e:
        build()
    assert str(e.value).startswith(message), str(e.value)


def test_every_string_op_is_cpu_only_and_non_differentiable():
    ops = {n: d for n, d in registered_ops().items() if getattr(d.infer, "__module__", "") == S.__name__}
    assert {"AsString", "StringToNumber", "StringJoin", "StringSplit", "StringSplitV2", "Substr", "StringLength",
            "RegexReplace", "StaticRegexReplace", "RegexFullMatch", "StaticRegexFullMatch", "StringStrip",
            "StringLower", "StringUpper", "ReduceJoin"} <= set(ops)
    for name, d in ops.items():
        assert d.cpu_only and d.grad is None, name


def test_static_regex_ops_are_used_for_constant_patterns():
    with tf.Graph().as_default():
        assert S.regex_replace(constant(["a"]), "a", "b").op.type == "StaticRegexReplace"
        assert S.regex_replace(constant(["a"]), constant("a"), "b").op.type == "RegexReplace"
        assert S.regex_full_match(constant(["a"]), b"a").op.type == "StaticRegexFullMatch"
        assert S.regex_full_match(constant(["a"]), constant("a")).op.type == "RegexFullMatch"


def test_str_inputs_are_utf8_encoded():
    with tf.Graph().as_default(), tf.Session() as sess:
        assert sess.run(strings.length("é")) == 2
        assert sess.run(S.string_join(["é", b"x"])) == "éx".encode()


def run_fetches(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_string_ops_values():
    out = run_fetches([
        tf.string_join([["a", "b"], "x"], separator="-"), tf.strings.length(["héllo"]),
        tf.regex_replace(["a1b22"], r"\d+", "#"), tf.substr(["hello"], 1, 3), tf.as_string([1.5]),
        tf.string_to_number(["2.5"]), tf.sparse_tensor_to_dense(tf.string_split(["a b", "c"]), default_value=""),
    ])
    assert out[0].tolist() == [b"a-x", b"b-x"]
    assert out[1].tolist() == [6]  # bytes, as TF's default unit
    assert out[2].tolist() == [b"a#b#"]
    assert out[3].tolist() == [b"ell"]
    assert out[4].tolist() == [b"1.500000"]
    assert out[5].tolist() == [2.5]
    assert out[6].tolist() == [[b"a", b"b"], [b"c", b""]]


# ---- RE2 semantics: linear-time matching, RE2's syntax and errors ------------------------------
def test_a_pattern_that_backtracks_exponentially_elsewhere_runs_in_linear_time():
    """`(a+)+$` against "aaaa...ab" takes 2^n steps in a backtracking engine (Python's `re` would not
    return within the test run); RE2 answers at once, also for a pattern read from an imported graph."""
    text = "a" * 64 + "b"
    with tf.Graph().as_default() as g:
        S.regex_full_match(constant([text, "aaa"]), r"(a+)+$", name="match")
        S.regex_replace(constant([text]), constant(r"(a|aa)+$"), "X", name="replace")
    with tf.Graph().as_default():
        match, replace = tf.import_graph_def(g.as_graph_def(), return_elements=["match:0", "replace:0"])
        with tf.Session() as sess:
            got_match, got_replace = sess.run([match, replace])
    assert got_match.tolist() == [False, True]
    assert got_replace.tolist() == [text.encode()]


def test_perl_only_constructs_are_refused_as_re2_refuses_them():
    for pattern, reason in [(r"(?<=a)b", "invalid perl operator: (?<="), (r"(a)\1", "invalid escape sequence: \\1")]:
        with tf.Graph().as_default(), pytest.raises(ValueError) as e:
            S.regex_full_match(constant(["ab"]), pattern)
        assert str(e.value).startswith(f"Invalid pattern: {pattern}, error: {reason}"), str(e.value)


def test_patterns_match_utf8_bytes_as_re2_does():
    with tf.Graph().as_default(), tf.Session() as sess:
        x = constant(np.array([b"\xff", "é".encode(), b"a"], dtype=object))
        assert sess.run(S.regex_full_match(x, ".")).tolist() == [False, True, True]
        assert sess.run(S.regex_replace(x, "é", "e")).tolist() == [b"\xff", b"e", b"a"]
