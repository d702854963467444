"""DTypes and TensorShape/Dimension."""

import ast
import pickle
from operator import index as operator_index
from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.core import dtypes
from estflow.core.tensor_shape import Dimension, TensorShape, unknown_shape


def test_dtypes_compare_equal_to_numpy_types():
    assert tf.float32 == np.float32
    assert tf.int32 == np.int32
    assert dtypes.bool == np.bool_
    assert tf.float32 != tf.float64
    assert dtypes.string == np.object_


@pytest.mark.parametrize("name,enum", [("float32", 1), ("float64", 2), ("int32", 3), ("uint8", 4), ("int16", 5),
                                       ("int8", 6), ("string", 7), ("complex64", 8), ("int64", 9), ("bool", 10),
                                       ("uint16", 17), ("complex128", 18), ("float16", 19)])
def test_tf_datatype_enum_numbers(name, enum):
    d = dtypes.as_dtype(name)
    assert d.as_datatype_enum == enum
    assert dtypes.as_dtype(enum) is d
    assert dtypes.as_dtype(enum + 100) is d._as_ref  # TF1's reference types: DT_FLOAT_REF = 101
    assert d._as_ref.base_dtype is d and d._as_ref.as_datatype_enum == enum + 100


def test_as_dtype_accepts_python_and_numpy_types():
    assert dtypes.as_dtype(np.float64) is tf.float64
    assert dtypes.as_dtype(np.dtype("int64")) is tf.int64
    assert dtypes.as_dtype(bool) is dtypes.bool
    assert dtypes.as_dtype(bytes) is dtypes.string
    assert dtypes.as_dtype("float32_ref") is dtypes.float32_ref
    with pytest.raises(TypeError, match="Cannot convert"):
        dtypes.as_dtype("float33")


def test_dtype_properties():
    assert tf.float32.is_floating and not tf.int32.is_floating
    assert tf.int32.is_integer and not dtypes.bool.is_integer
    assert dtypes.uint8.is_unsigned
    assert dtypes.complex64.is_complex and dtypes.complex64.real_dtype is tf.float32
    assert tf.int32.min == -(2**31) and tf.int32.max == 2**31 - 1
    assert dtypes.uint8.max == 255
    assert tf.float32.base_dtype is tf.float32
    assert tf.float32.as_numpy_dtype is np.float32
    assert tf.float32.size == 4
    with pytest.raises(TypeError):
        _ = dtypes.string.min


def test_tensor_shape_partial_and_unknown():
    s = TensorShape([None, 3])
    assert s.ndims == 2 and s.as_list() == [None, 3]
    assert not s.is_fully_defined() and s.num_elements() is None
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    assert s.merge_with([5, None]).as_list() == [5, 3]
    with pytest.raises(ValueError):
        s.merge_with([5, 4])
    u = unknown_shape()
    assert u.ndims is None and u.is_compatible_with([1, 2, 3])
    with pytest.raises(ValueError):
        u.as_list()
    assert TensorShape([2, 3]).num_elements() == 6
    assert str(TensorShape([None, 3])) == "(?, 3)"
    assert str(TensorShape([3])) == "(3,)"
    assert TensorShape([1, 2]).concatenate([3]).as_list() == [1, 2, 3]
    assert TensorShape([1, 2])[1] == 2
    assert TensorShape([1, 2, 3])[1:].as_list() == [2, 3]
    assert TensorShape([None, 2]).with_rank(2).as_list() == [None, 2]
    with pytest.raises(ValueError):
        TensorShape([1]).with_rank(2)


def test_dimension():
    assert Dimension(3).value == 3
    assert Dimension(None).value is None
    assert (Dimension(3) + 2).value == 5
    assert (Dimension(None) * 2).value is None
    assert Dimension(3).is_compatible_with(None)
    assert Dimension(3).merge_with(None).value == 3
    with pytest.raises(ValueError):
        Dimension(-1)


@pytest.mark.usefixtures("g")
def test_dtypes_compare_to_numpy_and_enum_numbers():
    assert tf.int32 == np.int32 and tf.float32 == np.float32 and tf.float64 == np.float64
    assert tf.float32 != tf.float64
    enums = {
        tf.float32: 1, tf.float64: 2, tf.int32: 3, tf.uint8: 4, tf.int16: 5, tf.int8: 6, tf.string: 7,
        tf.complex64: 8, tf.int64: 9, tf.bool: 10, tf.uint16: 17, tf.complex128: 18, tf.float16: 19,
    }
    for dt, num in enums.items():
        assert dt.as_datatype_enum == num, dt
        assert tf.as_dtype(num) is dt
    assert tf.as_dtype(np.float32) is tf.float32 and tf.as_dtype("int64") is tf.int64
    assert tf.as_dtype(np.dtype("bool")) is tf.bool
    assert tf.half is tf.float16 and tf.double is tf.float64
    import estflow.dtypes

    assert estflow.dtypes.float32 is tf.float32 and estflow.dtypes.as_dtype("float64") is tf.float64


@pytest.mark.usefixtures("g")
def test_dtype_properties_as_a_tf1_program():
    assert tf.float32.is_floating and not tf.int32.is_floating
    assert tf.int32.is_integer and tf.bool.is_bool and tf.complex64.is_complex
    assert tf.int8.min == -128 and tf.int8.max == 127 and tf.uint8.max == 255
    assert tf.float16.max == float(np.finfo(np.float16).max)
    assert tf.float32.base_dtype is tf.float32
    assert tf.float32.name == "float32" and tf.string.name == "string"
    assert tf.float32.as_numpy_dtype is np.float32


@pytest.mark.usefixtures("g")
def test_dtype_ref_base_dtype():
    v = tf.Variable(1.0)
    assert v.dtype.base_dtype is tf.float32


def test_ref_dtypes_as_tf1():
    """TF1's reference dtypes: a variable's type (`float32_ref`), apart from its value type."""
    ref = dtypes.float32_ref
    assert ref.name == "float32_ref" and repr(ref) == "tf.float32_ref" and str(ref) == "tf.float32_ref"
    assert ref.as_datatype_enum == 101 and ref._is_ref_dtype and not tf.float32._is_ref_dtype
    assert ref.base_dtype is tf.float32 and tf.float32._as_ref is ref and ref._as_ref is ref
    assert dtypes.as_dtype(ref) is ref and dtypes.as_dtype("float32_ref") is ref and dtypes.as_dtype(101) is ref
    assert dtypes.as_dtype("float_ref") is ref and dtypes.double_ref is dtypes.float64_ref
    assert dtypes.as_dtype(np.float32) is tf.float32  # numpy types are never references
    # Equality and hashing by enum, as TF's: a ref type is not its value type.
    assert ref != tf.float32 and tf.float32 != ref and ref == "float32_ref" and ref != np.float32
    assert ref == dtypes.as_dtype(101) and len({ref, tf.float32, dtypes.float32_ref}) == 2
    # TF's is_compatible_with: a value type accepts its reference type, not the other way round.
    assert tf.float32.is_compatible_with(ref) and ref.is_compatible_with(ref)
    assert not ref.is_compatible_with(tf.float32) and not tf.float64.is_compatible_with(ref)
    # Properties follow the value type.
    assert ref.is_floating and ref.as_numpy_dtype is np.float32 and ref.size == 4 and ref.max == tf.float32.max
    assert dtypes.int32_ref.is_integer and dtypes.int32_ref.min == -(2**31)
    assert dtypes.complex64_ref.real_dtype is tf.float32
    assert dtypes.string_ref.name == "string_ref" and dtypes.bool_ref.base_dtype is dtypes.bool
    assert pickle.loads(pickle.dumps(ref)) is ref


def test_ref_dtypes_stay_out_of_tf1s_public_names():
    """TF1 exports no `*_ref` name (tf1_api.txt lists none): they live in the dtypes module only."""
    import estflow.dtypes

    for name in ("float32_ref", "int32_ref"):
        assert not hasattr(tf, name) and not hasattr(estflow.dtypes, name)
        assert hasattr(dtypes, name)
    golden = Path(__file__).resolve().parents[2] / ".." / "shared" / "golden" / "api" / "tf1_api.txt"
    if golden.exists():
        names = set(golden.read_text().split())
        assert "float32" in names and "dtypes.float32" in names
        assert not names & {"float32_ref", "dtypes.float32_ref", "int32_ref", "dtypes.int32_ref"}


@pytest.mark.usefixtures("g")
def test_tensorshape_and_dimension():
    s = tf.TensorShape([None, 3])
    assert s.as_list() == [None, 3] and s.ndims == 2 and s.num_elements() is None
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    assert s.merge_with([5, None]).as_list() == [5, 3]
    with pytest.raises(ValueError):
        s.merge_with([5, 4])
    assert tf.TensorShape([2, 3]).num_elements() == 6
    unknown = tf.TensorShape(None)
    assert unknown.ndims is None
    with pytest.raises(ValueError):
        unknown.as_list()
    assert tf.Dimension(None).value is None and tf.Dimension(3).value == 3
    assert tf.Dimension(3) == 3 and tf.Dimension(None).is_compatible_with(7)
    assert s[1] == 3 and s.dims[0].value is None


@pytest.mark.usefixtures("g")
def test_shape_index_has_tf1_value_for_known_dims():
    x = tf.placeholder(tf.float32, [None, 3])
    assert x.get_shape()[1].value == 3 and x.shape[1] == 3
    assert tf.dimension_value(x.shape[0]) is None and tf.dimension_value(x.shape[1]) == 3


# ---- TensorShape[i] is a Dimension, as in TF1 ------------------------------------------------------
def test_shape_index_is_a_dimension_as_tf1():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        batch, width = x.shape[0], x.get_shape()[1]
    assert isinstance(batch, tf.Dimension) and isinstance(width, tf.Dimension)
    assert batch.value is None and width.value == 3
    assert repr(width) == "Dimension(3)" and str(width) == "3" and str(batch) == "?"
    assert x.shape[-1].value == 3
    with pytest.raises(IndexError):
        _ = x.shape[2]
    assert TensorShape(None)[5].value is None  # unknown rank: every dim is unknown


def test_dimension_compares_as_tf1():
    known, unknown = Dimension(3), Dimension(None)
    assert known == 3 and 3 == known and known == Dimension(3) and known != 4 and not known != 3
    assert known < 4 and known <= 3 and known > 2 and known >= 3 and not known > 3
    assert 2 < known and Dimension(2) < known
    # TF1's three-valued logic: anything compared with an unknown dimension is unknown (None).
    for result in (unknown == 3, unknown != 3, unknown == unknown, unknown == None, known == None,  # noqa: E711
                   unknown < 3, unknown <= 3, unknown > 3, unknown >= 3, known < unknown):
        assert result is None
    assert (known == "3") is False  # not a dimension at all: plain inequality


def test_dimension_hashes_converts_and_indexes_like_an_int():
    d = Dimension(3)
    assert hash(d) == hash(3) and {d: "a"}[3] == "a" and 3 in {d} and {3: "b"}[d] == "b"
    assert int(d) == 3 and operator_index(d) == 3
    assert list(range(d)) == [0, 1, 2] and [10, 11, 12, 13][d] == 13 and np.arange(5)[d] == 3
    assert bool(d) and not Dimension(0) and not Dimension(None)  # TF1: bool(dim.value)
    with pytest.raises(TypeError, match="unknown Dimension"):
        int(Dimension(None))
    with pytest.raises(TypeError, match="unknown Dimension"):
        range(Dimension(None))


def test_dimension_arithmetic_as_tf1():
    three, four, unknown = Dimension(3), Dimension(4), Dimension(None)
    cases = [(three + 2, 5), (2 + three, 5), (three + four, 7), (four - 1, 3), (10 - three, 7), (three * 4, 12),
             (4 * three, 12), (three * four, 12), (four // 3, 1), (13 // three, 4), (four % 3, 1), (13 % three, 1)]
    for got, expected in cases:
        assert isinstance(got, Dimension) and got.value == expected
    for got in (unknown + 1, 1 + unknown, three - unknown, unknown * three, 2 * unknown, unknown // 2,
                7 // unknown, unknown % 2, three % unknown):
        assert isinstance(got, Dimension) and got.value is None
    with pytest.raises(TypeError, match="please use // instead"):
        _ = three / 2
    with pytest.raises(TypeError, match="please use // instead"):
        _ = 6 / three
    with pytest.raises(ValueError, match="must be >= 0"):
        _ = three - 4  # a dimension is never negative


def test_dimension_construction_and_compatibility():
    assert Dimension(np.int64(3)).value == 3 and type(Dimension(np.int64(3)).value) is int
    assert Dimension(Dimension(2)).value == 2 and tf.Dimension(None).value is None
    with pytest.raises(ValueError, match="must be >= 0"):
        Dimension(-1)
    with pytest.raises(TypeError, match="must be integer or None"):
        Dimension(2.5)
    assert Dimension(3).is_compatible_with(None) and Dimension(None).is_compatible_with(7)
    assert Dimension(3).is_compatible_with(Dimension(3)) and not Dimension(3).is_compatible_with(4)
    assert Dimension(3).merge_with(None).value == 3 and Dimension(None).merge_with(4).value == 4
    assert Dimension(None).merge_with(None).value is None
    with pytest.raises(ValueError, match="not compatible"):
        Dimension(3).merge_with(4)
    with pytest.raises(ValueError, match="not compatible"):
        Dimension(3).assert_is_compatible_with(Dimension(4))
    assert pickle.loads(pickle.dumps(Dimension(5))).value == 5


def test_tensor_shape_dims_iteration_and_slices_as_tf1():
    s = TensorShape([None, 3, 4])
    assert [type(d) for d in s.dims] == [Dimension] * 3 and [d.value for d in s.dims] == [None, 3, 4]
    assert [d.value for d in s] == [None, 3, 4] and all(isinstance(d, Dimension) for d in s)
    assert s.as_list() == [None, 3, 4] and all(type(d) is int for d in s.as_list()[1:])
    assert isinstance(s[1:], TensorShape) and s[1:].as_list() == [3, 4] and s[:-1].as_list() == [None, 3]
    assert s[::2].as_list() == [None, 4]
    assert repr(s) == "TensorShape([Dimension(None), Dimension(3), Dimension(4)])"
    assert repr(TensorShape(None)) == "TensorShape(None)" and TensorShape(None).dims is None
    # Slices of an unknown rank: TF1 knows the rank only for non-negative bounds.
    assert TensorShape(None)[1:3].as_list() == [None, None]
    assert TensorShape(None)[1:].ndims is None and TensorShape(None)[:-1].ndims is None
    with pytest.raises(ValueError, match="unknown rank"):
        iter(TensorShape(None))
    # Built from Dimensions, numpy ints, protos and single ints alike.
    assert TensorShape([Dimension(2), np.int32(3), None]).as_list() == [2, 3, None]
    assert TensorShape(5).as_list() == [5] and TensorShape(np.int64(5)).as_list() == [5]
    assert TensorShape(TensorShape([1, None]).as_proto()) == TensorShape([1, None])
    with pytest.raises(TypeError, match="ambiguous TensorShape"):
        TensorShape("32")
    assert pickle.loads(pickle.dumps(s)) == s


def test_tensor_shape_combinations_follow_tf1():
    s = TensorShape([None, 3])
    assert s.merge_with(TensorShape([5, None])).as_list() == [5, 3]
    assert s.merge_with(None) is s and unknown_shape().merge_with(s) == s
    with pytest.raises(ValueError, match="not compatible"):
        s.merge_with([5, 4])
    with pytest.raises(ValueError, match="not compatible"):
        s.merge_with([5, 3, 1])
    assert s.is_compatible_with([7, None]) and s.is_compatible_with(None) and not s.is_compatible_with([7])
    assert s.with_rank(2) is s and unknown_shape().with_rank(3).as_list() == [None] * 3
    with pytest.raises(ValueError, match="must have rank 3"):
        s.with_rank(3)
    assert s.with_rank_at_least(1) is s and s.with_rank_at_most(2) is s
    with pytest.raises(ValueError, match="at most 1"):
        s.with_rank_at_most(1)
    with pytest.raises(ValueError, match="same rank"):
        s.assert_same_rank([1])
    assert s.concatenate([4]).as_list() == [None, 3, 4] and (s + [4]).as_list() == [None, 3, 4]
    assert ([4] + s).as_list() == [4, None, 3]
    assert s.concatenate(None).ndims is None and unknown_shape().concatenate(s).ndims is None
    assert TensorShape([1, 2, 3]).most_specific_compatible_shape([1, 5, 3]).as_list() == [1, None, 3]
    assert TensorShape([1]).most_specific_compatible_shape([1, 2]).ndims is None
    assert unknown_shape(ndims=2).as_list() == [None, None] and unknown_shape(rank=1).as_list() == [None]
    assert TensorShape([None, 3]) == TensorShape([None, 3]) and TensorShape([None, 3]) == [None, 3]


def test_dimension_value_and_dimension_at_index():
    s = TensorShape([None, 3])
    assert tf.dimension_value(s[0]) is None and tf.dimension_value(s[1]) == 3 and tf.dimension_value(7) == 7
    assert tf.dimension_value(None) is None
    assert tf.dimension_at_index(s, 1).value == 3 and tf.dimension_at_index(TensorShape(None), 4).value is None
    assert isinstance(tf.dimension_at_index([2, 5], 0), Dimension)
    assert tf.compat.dimension_value is tf.dimension_value and tf.compat.dimension_at_index is tf.dimension_at_index


def test_tf1_programs_use_dimensions_as_ints():
    """The forms TF1 programs write with `x.shape[i]` build the graph they mean and run."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        fixed = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
        assert np.zeros(x.shape[1]).shape == (3,) and np.zeros([fixed.shape[0], 3]).shape == (4, 3)
        assert np.zeros(fixed.shape).shape == (4, 3) and np.zeros(tuple(fixed.shape)).shape == (4, 3)
        w = tf.get_variable("w", [x.shape[1], 10])
        assert w.shape.as_list() == [3, 10]
        flat = tf.reshape(x, [-1, x.shape[1]])
        assert flat.shape.as_list() == [None, 3] and flat.op.inputs[1].op.type == "Const"
        zeros = tf.zeros([x.shape[1]])
        zeros_like_fixed = tf.zeros(fixed.shape)
        width = tf.cast(x.shape[1], tf.float32)
        pieces = tf.split(fixed, fixed.shape[1], axis=1)
        rows = tf.unstack(fixed, num=fixed.shape[0])
        hot = tf.one_hot([0, 2], x.shape[1])
        dense = tf.layers.dense(x, x.shape[1])
        tiled = tf.tile(x, [1, x.shape[1]])
        batch = tf.data.Dataset.range(10).batch(fixed.shape[0]).make_one_shot_iterator().get_next()
        assert dense.shape.as_list() == [None, 3] and len(pieces) == 3 and len(rows) == 4
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            feed = {x: np.ones((2, 3), np.float32)}
            got = sess.run([flat, zeros, zeros_like_fixed, width, hot, tiled, batch], feed)
        assert got[6].tolist() == [0, 1, 2, 3]
        assert got[0].shape == (2, 3) and got[1].shape == (3,) and got[2].shape == (4, 3) and got[3] == 3.0
        np.testing.assert_array_equal(got[4], np.eye(3)[[0, 2]])
        assert got[5].shape == (2, 9)


def test_unknown_dimensions_fail_clearly_where_an_int_is_needed():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        with pytest.raises(ValueError, match="Cannot convert an unknown Dimension to a Tensor: ?"):
            tf.reshape(x, [-1, x.shape[0]])
        with pytest.raises(ValueError, match="Cannot convert an unknown Dimension to a Tensor"):
            tf.constant([1, x.shape[0]])
        with pytest.raises(ValueError, match="Cannot convert an unknown Dimension to a Tensor"):
            tf.zeros([x.shape[0], 2])
        with pytest.raises(ValueError, match="partially known TensorShape"):
            tf.zeros(x.shape)
        with pytest.raises(ValueError, match="partially known TensorShape"):
            tf.convert_to_tensor(x.shape)
        with pytest.raises(TypeError, match="unknown Dimension"):
            np.zeros([x.shape[0], 3])
        with pytest.raises(ValueError, match="Cannot infer num"):
            tf.unstack(x, num=x.shape[0])


def test_no_shape_rule_tests_a_dimension_against_none_by_identity():
    """`shape[i]` is a Dimension: `shape[i] is None` is always False, `shape[i] in (None, 1)` never
    matches an unknown dim. estflow's own code reads `shape.as_tuple()[i]` or `shape[i].value`."""
    root = Path(tf.__file__).resolve().parent

    def indexes_a_shape(node) -> bool:
        if not isinstance(node, ast.Subscript) or isinstance(node.slice, ast.Slice):
            return False
        base = node.value
        return (isinstance(base, ast.Attribute) and base.attr == "shape") or (
            isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute) and base.func.attr == "get_shape")

    def none_test(op, right) -> bool:
        if isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
            return isinstance(right, ast.Constant) and right.value is None
        if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            return any(isinstance(e, ast.Constant) and e.value is None for e in right.elts)
        return False

    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and indexes_a_shape(node.left) and any(
                    none_test(op, right) for op, right in zip(node.ops, node.comparators)):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not found, found
