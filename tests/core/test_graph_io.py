"""GraphDef export/import, AttrValue and TensorProto conversion, write_graph, golden TF files."""

import json
import os

import numpy as np
import pytest
from google.protobuf import text_format

import estflow as tf
from estflow.core import dtypes, graph_io, registry
from estflow.core.graph import Graph
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.protos import attr_value_pb2, graph_pb2, meta_graph_pb2, tensor_pb2, types_pb2, variable_pb2
from estflow.core.registry import OpDef, TensorSpec, apply_op, infer_broadcast
from estflow.core.session import Session
from estflow.core.tensor_shape import TensorShape
from estflow.core.variables import Variable

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "checkpoint")

# A test-only op whose GraphDef carries TF's type attr "T" (dtype of input 0).
if "GraphIoTestTypedAdd" not in registry.registered_ops():
    registry.register(OpDef("GraphIoTestTypedAdd", infer=infer_broadcast, kernel=lambda xp, x, y: xp.add(x, y),
                            same_dtype="all", input_names=("x: T", "y: T"), output_names=("z: T",),
                            attr_types={"T": "type"}))


@pytest.fixture
def g():
    graph = Graph()
    with graph.as_default():
        yield graph


def _add(x, y, name="Add"):
    return apply_op("AddV2", x, y, name=name)


def _mul(x, y, name="Mul"):
    return apply_op("Mul", x, y, name=name)


# ---- TensorProto --------------------------------------------------------------------------
_ALL_VALUES = [
    np.array([[1.5, -2.0], [3.25, 4.0]], np.float32),
    np.array([1.0, np.pi, -1e300], np.float64),
    np.array([0.5, -1.25, 65504.0], np.float16),
    np.array([-128, 0, 127], np.int8),
    np.array([-32768, 7, 32767], np.int16),
    np.array([[-(2**31), 0, 2**31 - 1]], np.int32),
    np.array([-(2**63), 1, 2**63 - 1], np.int64),
    np.array([0, 200, 255], np.uint8),
    np.array([0, 65535], np.uint16),
    np.array([0, 2**32 - 1], np.uint32),
    np.array([0, 2**64 - 1], np.uint64),
    np.array([True, False, True]),
    np.array([1 + 2j, -3.5 - 0.25j], np.complex64),
    np.array([[1 + 2j], [-3.5 - 1e200j]], np.complex128),
    np.array([b"a", b"", b"\x00\xffz", "Zürich".encode()], dtype=object),
]


@pytest.mark.parametrize("value", _ALL_VALUES, ids=lambda v: str(v.dtype) if v.dtype != object else "string")
def test_tensor_proto_round_trip_every_dtype(value):
    proto = graph_io.make_tensor_proto(value)
    expected_dtype = dtypes.string if value.dtype == object else dtypes.as_dtype(value.dtype)
    assert proto.dtype == expected_dtype.as_datatype_enum
    assert [d.size for d in proto.tensor_shape.dim] == list(value.shape)
    out = graph_io.make_ndarray(tensor_pb2.TensorProto.FromString(proto.SerializeToString()))
    assert out.dtype == value.dtype and out.shape == value.shape
    np.testing.assert_array_equal(out, value)
    # Scalars of every dtype use the typed *_val fields.
    scalar = graph_io.make_tensor_proto(value.reshape(-1)[:1].reshape(()))
    assert not scalar.tensor_content
    np.testing.assert_array_equal(graph_io.make_ndarray(scalar), value.reshape(-1)[0])


@pytest.mark.parametrize("value, field", [
    (np.array([1.0, 2.0], np.float32), "tensor_content"),
    (np.array([1.0, 2.0], np.float16), "tensor_content"),
    (np.array([1, 2], np.int64), "tensor_content"),
    (np.array([True, False]), "bool_val"),
    (np.array([1 + 1j, 2j], np.complex64), "scomplex_val"),
    (np.array([1 + 1j, 2j], np.complex128), "dcomplex_val"),
    (np.array(1.0, np.float32), "float_val"),
    (np.array([1.0], np.float32), "float_val"),
    (np.array(7, np.int16), "int_val"),
    (np.array(7, np.uint32), "uint32_val"),
    (np.array(7, np.uint64), "uint64_val"),
    (np.array(7, np.int64), "int64_val"),
    (np.array(2.5, np.float64), "double_val"),
])
def test_tensor_proto_uses_tf_fields(value, field):
    proto = graph_io.make_tensor_proto(value)
    assert len(getattr(proto, field)) > 0
    for other in ("tensor_content", "float_val", "double_val", "int_val", "int64_val", "bool_val", "half_val",
                  "scomplex_val", "dcomplex_val", "uint32_val", "uint64_val", "string_val"):
        if other != field:
            assert not getattr(proto, other)


def test_half_val_holds_float16_bits():
    proto = graph_io.make_tensor_proto(np.float16(1.0))
    assert proto.dtype == types_pb2.DT_HALF and list(proto.half_val) == [0x3C00]
    parsed = text_format.Parse("dtype: DT_HALF tensor_shape { dim { size: 2 } } half_val: 15360 half_val: 48128",
                               tensor_pb2.TensorProto())
    np.testing.assert_array_equal(graph_io.make_ndarray(parsed), np.array([1.0, -1.0], np.float16))


def test_complex_interleaves_real_and_imaginary():
    proto = graph_io.make_tensor_proto(np.complex64(1 - 2j))
    assert list(proto.scomplex_val) == [1.0, -2.0]


def test_python_values_typed_as_tf1():
    assert graph_io.make_tensor_proto(1.5).dtype == types_pb2.DT_FLOAT
    assert graph_io.make_tensor_proto([1, 2]).dtype == types_pb2.DT_INT32
    assert graph_io.make_tensor_proto(2**40).dtype == types_pb2.DT_INT64
    assert graph_io.make_tensor_proto(True).dtype == types_pb2.DT_BOOL
    strings = graph_io.make_tensor_proto(["a", b"b"])
    assert strings.dtype == types_pb2.DT_STRING and list(strings.string_val) == [b"a", b"b"]
    assert graph_io.make_tensor_proto([1, 2], dtype=dtypes.float64).dtype == types_pb2.DT_DOUBLE


def test_single_value_broadcast_to_shape():
    proto = graph_io.make_tensor_proto(7, shape=[2, 3])
    assert list(proto.int_val) == [7] and not proto.tensor_content
    np.testing.assert_array_equal(graph_io.make_ndarray(proto), np.full((2, 3), 7, np.int32))
    text = graph_io.make_tensor_proto("x", shape=[3])
    np.testing.assert_array_equal(graph_io.make_ndarray(text), np.array([b"x"] * 3, dtype=object))


def test_short_list_padded_with_last_value():
    proto = graph_io.make_tensor_proto([1.0, 2.0], shape=[4])
    np.testing.assert_array_equal(graph_io.make_ndarray(proto), np.array([1, 2, 2, 2], np.float32))


def test_too_many_values_and_bad_shapes():
    with pytest.raises(ValueError, match="Too many elements provided"):
        graph_io.make_tensor_proto([1, 2, 3], shape=[2])
    with pytest.raises(TypeError, match="Expected Tensor's shape"):
        graph_io.make_tensor_proto([1, 2], shape=[1, 2], verify_shape=True)
    with pytest.raises(ValueError, match="fully defined"):
        graph_io.make_tensor_proto([1, 2], shape=[None])


def test_empty_tensor():
    proto = graph_io.make_tensor_proto(np.zeros((0, 3), np.float32))
    assert not proto.tensor_content and not proto.float_val
    out = graph_io.make_ndarray(proto)
    assert out.shape == (0, 3) and out.dtype == np.float32
    empty_strings = graph_io.make_ndarray(graph_io.make_tensor_proto(np.zeros((2, 0), dtype=object)))
    assert empty_strings.shape == (2, 0)


# ---- AttrValue ------------------------------------------------------------------------------
@pytest.mark.parametrize("value, field", [
    (dtypes.float32, "type"),
    (TensorShape([None, 3]), "shape"),
    (TensorShape(None), "shape"),
    (True, "b"),
    (3, "i"),
    (np.int64(-5), "i"),
    (0.1, "f"),
    ("SAME", "s"),
    (np.array([1, 2], np.int32), "tensor"),
    ([1, 2, 3], "list"),
    ((dtypes.int32, dtypes.string), "list"),
    ([TensorShape([2]), TensorShape(None)], "list"),
    (["a", "b"], "list"),
    ([0.5, 1.0], "list"),
    ([True, False], "list"),
    ([], "list"),
])
def test_attr_round_trip(value, field):
    proto = graph_io.attr_to_proto(value)
    assert proto.WhichOneof("value") == field
    back = graph_io.attr_from_proto(attr_value_pb2.AttrValue.FromString(proto.SerializeToString()))
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, list):
        assert back == tuple(value)
    elif isinstance(value, np.integer):
        assert back == int(value) and type(back) is int
    else:
        assert back == value and type(back) is type(value)


def test_attr_details():
    assert graph_io.attr_to_proto(None) is None
    assert graph_io.attr_from_proto(graph_io.attr_to_proto(b"\xff\xfe")) == b"\xff\xfe"  # not UTF-8: bytes
    assert graph_io.attr_from_proto(graph_io.attr_to_proto(b"abc")) == "abc"  # string attrs come back as str
    assert list(graph_io.attr_to_proto([1, 2.5]).list.f) == [1.0, 2.5]
    ref = attr_value_pb2.AttrValue(type=types_pb2.DT_FLOAT_REF)
    assert graph_io.attr_from_proto(ref) == dtypes.float32
    assert graph_io.attr_to_proto(dtypes.float32_ref).type == types_pb2.DT_FLOAT  # no NodeDef holds a ref type
    assert graph_io.attr_to_proto(TensorShape(None)).shape.unknown_rank
    assert [d.size for d in graph_io.attr_to_proto(TensorShape([None, 3])).shape.dim] == [-1, 3]
    with pytest.raises(TypeError, match="AttrValue"):
        graph_io.attr_to_proto(object())
    with pytest.raises(TypeError, match="mixing"):
        graph_io.attr_to_proto([1, "a"])


# ---- NodeDef / GraphDef export ----------------------------------------------------------------
def test_node_def_inputs_device_and_attrs(g):
    a = constant(1.0, name="a")
    b = apply_op("GraphIoTestTypedAdd", a, a, name="b")
    with g.device("/cpu:0"), g.control_dependencies([a.op]):
        c = apply_op("GraphIoTestTypedAdd", b, constant(2.0, name="two"), name="c")
    node = c.op.node_def
    assert node.name == "c" and node.op == "GraphIoTestTypedAdd"
    assert list(node.input) == ["b", "two", "^a"]
    assert "cpu" in node.device.lower()
    assert node.attr["T"].type == types_pb2.DT_FLOAT
    const = a.op.node_def
    assert const.attr["dtype"].type == types_pb2.DT_FLOAT
    assert const.attr["value"].tensor.float_val == [1.0]


def test_multi_output_inputs_named_with_index(g):
    if "GraphIoTestSplit2" not in registry.registered_ops():
        registry.register(OpDef("GraphIoTestSplit2", infer=lambda x: [TensorSpec(x.shape, x.dtype)] * 2,
                                kernel=lambda xp, x: (x, -x)))
    x = constant([1.0, 2.0], name="x")
    first, second = apply_op("GraphIoTestSplit2", x, name="split")
    y = _add(first, second, name="y")
    assert list(y.op.node_def.input) == ["split", "split:1"]
    g2 = Graph()
    with g2.as_default():
        (y2,) = graph_io.import_graph_def(g.as_graph_def(), return_elements=["y:0"])
        with Session() as sess:
            np.testing.assert_array_equal(sess.run(y2), [0.0, 0.0])


def test_graph_def_versions_and_shapes(g):
    x = placeholder(dtypes.float32, [None, 3], name="x")
    _mul(x, 2.0, name="y")
    apply_op("NoOp", name="nothing")
    gd = g.as_graph_def(add_shapes=True)
    assert isinstance(gd, graph_pb2.GraphDef)
    assert gd.versions.producer == 1087
    by_name = {n.name: n for n in gd.node}
    y_shapes = by_name["y"].attr["_output_shapes"].list.shape
    assert [d.size for d in y_shapes[0].dim] == [-1, 3]
    assert by_name["nothing"].attr["_output_shapes"].HasField("list")
    assert "_output_shapes" not in g.as_graph_def().node[0].attr


def test_colocation_written_as_class_attr(g):
    v = Variable([1.0, 2.0], name="v")
    by_name = {n.name: n for n in g.as_graph_def().node}
    assert list(by_name["v/read"].attr["_class"].list.s) == [b"loc:@v"]
    assert v.op.node_def.attr["shape"].shape.dim[0].size == 2


# ---- import -----------------------------------------------------------------------------------
def _build_model(g):
    """A small graph touching every kind of thing import must rebuild."""
    x = placeholder(dtypes.float32, [None, 2], name="x")
    anything = placeholder(dtypes.float32, name="anything")  # unknown shape
    w = Variable(np.array([[1.0], [2.0]], np.float32), name="w")
    b = Variable(0.5, name="b")
    words = constant(["hello", "wörld", ""], name="words")
    scale = constant(np.float64(3.0), name="scale")
    ints = constant(np.arange(6, dtype=np.int64).reshape(2, 3), name="ints")
    flags = constant([True, False], name="flags")
    half = constant(np.array([0.5, 1.5], np.float16), name="half")
    xw = _mul(x, apply_op("Identity", w.value(), name="wt"), name="xw")
    with g.control_dependencies([words.op]):
        y = _add(xw, b.value(), name="y")
    z = _add(anything, 1.0, name="z")
    init = apply_op("NoOp", name="init", control_inputs=[w.initializer, b.initializer])
    return dict(x=x, anything=anything, y=y, z=z, words=words, scale=scale, ints=ints, flags=flags,
                half=half, init=init)


def _run_all(sess, t, feed):
    sess.run(t["init"])
    return sess.run([t["y"], t["z"], t["words"], t["scale"], t["ints"], t["flags"], t["half"]], feed)


def test_round_trip_runs_the_same(g):
    t = _build_model(g)
    feed_values = (np.array([[1.0, 1.0], [2.0, -1.0]], np.float32), np.array([1.0, 2.0, 3.0], np.float32))
    with Session(graph=g) as sess:
        expected = _run_all(sess, t, dict(zip([t["x"], t["anything"]], feed_values, strict=True)))
    gd = g.as_graph_def()
    g2 = Graph()
    with g2.as_default():
        graph_io.import_graph_def(graph_pb2.GraphDef.FromString(gd.SerializeToString()))
        names = {op.name for op in g2.get_operations()}
        assert names == {"import/" + n.name for n in gd.node}
        t2 = {k: g2.as_graph_element("import/" + v.name) for k, v in t.items()}
        assert t2["anything"].shape.ndims is None
        assert t2["x"].shape.as_list() == [None, 2]
        assert t2["words"].dtype == dtypes.string
        assert [c.name for c in t2["y"].op.control_inputs] == ["import/words"]
        with Session(graph=g2) as sess:
            got = _run_all(sess, t2, dict(zip([t2["x"], t2["anything"]], feed_values, strict=True)))
    for e, r in zip(expected, got, strict=True):
        assert np.asarray(e).dtype == np.asarray(r).dtype
        np.testing.assert_array_equal(e, r)
    assert list(got[2]) == [b"hello", "wörld".encode(), b""]


def test_node_defs_survive_export_import_export(g):
    _build_model(g)
    gd = g.as_graph_def()
    g2 = Graph()
    with g2.as_default():
        graph_io.import_graph_def(gd, name="")
    gd2 = g2.as_graph_def()
    assert [n.name for n in gd2.node] == [n.name for n in gd.node]
    for n1, n2 in zip(gd.node, gd2.node, strict=True):
        assert n1.op == n2.op and list(n1.input) == list(n2.input)
        assert dict(n1.attr) == dict(n2.attr), n1.name


def test_input_map_and_return_elements(g):
    x = placeholder(dtypes.float32, [None], name="x")
    y = _mul(x, 3.0, name="y")
    _add(y, 1.0, name="out")
    gd = g.as_graph_def()
    g2 = Graph()
    with g2.as_default():
        fed = constant([1.0, 2.0], name="fed")
        out, y_op, x_t = graph_io.import_graph_def(gd, input_map={"x:0": fed}, return_elements=["out:0", "y", "x:0"])
        assert out.name == "import/out:0" and y_op.name == "import/y"
        assert x_t is fed  # a mapped tensor is returned as the tensor it was mapped to
        assert g2.get_operation_by_name("import/x").type == "Placeholder"  # still imported, unused
        with Session() as sess:
            np.testing.assert_array_equal(sess.run(out), [4.0, 7.0])
        # "x" means "x:0"
        (out2,) = graph_io.import_graph_def(gd, input_map={"x": fed}, return_elements=["out:0"])
        assert out2.name == "import_1/out:0"
        with Session() as sess:
            np.testing.assert_array_equal(sess.run(out2), [4.0, 7.0])


def test_input_map_errors(g):
    x = placeholder(dtypes.float32, [None], name="x")
    _mul(x, 3.0, name="y")
    gd = g.as_graph_def()
    g2 = Graph()
    with g2.as_default():
        with pytest.raises(ValueError, match=r"not found in graph_def: \[nope:0\]"):
            graph_io.import_graph_def(gd, input_map={"nope:0": constant(1.0)})
        with pytest.raises(ValueError, match="incompatible with expected float[.]"):
            graph_io.import_graph_def(gd, input_map={"x:0": constant([1, 2], name="ints")}, name="bad")
        with pytest.raises(ValueError, match="Requested return_element 'missing:0' not found"):
            graph_io.import_graph_def(gd, return_elements=["missing:0"], name="again")


def test_import_scope_names(g):
    x = constant(1.0, name="x")
    _add(x, x, name="scope/y")
    gd = g.as_graph_def()
    g2 = Graph()
    with g2.as_default():
        graph_io.import_graph_def(gd)
        graph_io.import_graph_def(gd)
        graph_io.import_graph_def(gd, name="mine")
        with g2.name_scope("outer"):
            graph_io.import_graph_def(gd, name="inner")
        names = sorted(op.name for op in g2.get_operations())
        assert "import/scope/y" in names and "import_1/scope/y" in names and "mine/x" in names
        assert "outer/inner/scope/y" in names
        # Imported names are taken: a new op with the same name is uniquified.
        assert constant(2.0, name="import/x").op.name == "import/x_1"


def test_import_without_prefix_and_duplicates(g):
    constant(1.0, name="x")
    gd = g.as_graph_def()
    g2 = Graph()
    with g2.as_default():
        graph_io.import_graph_def(gd, name="")
        assert g2.get_operation_by_name("x").type == "Const"
        with pytest.raises(ValueError, match="Duplicate node name"):
            graph_io.import_graph_def(gd, name="")


def test_out_of_order_node_defs(g):
    a = constant(2.0, name="a")
    b = _mul(a, a, name="b")
    _add(b, a, name="c")
    gd = g.as_graph_def()
    shuffled = graph_pb2.GraphDef()
    shuffled.node.extend(reversed(gd.node))
    g2 = Graph()
    with g2.as_default():
        (c,) = graph_io.import_graph_def(shuffled, return_elements=["c:0"])
        with Session() as sess:
            assert sess.run(c) == 6.0


def test_unknown_op_type_is_an_error_naming_it(g):
    gd = text_format.Parse('node { name: "a" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } '
                           'attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 1 } } } } '
                           'node { name: "b" op: "NoSuchOpAnywhere" input: "a" }', graph_pb2.GraphDef())
    with pytest.raises(ValueError, match="NoSuchOpAnywhere"):
        graph_io.import_graph_def(gd)
    assert g.get_operations() == []  # nothing half-imported


def test_bad_graph_defs(g):
    with pytest.raises(TypeError, match="GraphDef"):
        graph_io.import_graph_def(b"not a proto")
    missing_input = text_format.Parse('node { name: "n" op: "NoOp" input: "^ghost" }', graph_pb2.GraphDef())
    with pytest.raises(ValueError, match="ghost"):
        graph_io.import_graph_def(missing_input)
    t = 'attr { key: "T" value { type: DT_FLOAT } }'
    cycle = text_format.Parse(f'node {{ name: "p" op: "Identity" input: "q" {t} }} node {{ name: "q" op: "Identity" '
                              f'input: "p" {t} }}', graph_pb2.GraphDef())
    with pytest.raises(ValueError, match="cycle"):
        graph_io.import_graph_def(cycle)


def test_import_honours_device_and_ignores_type_attrs(g):
    gd = text_format.Parse(
        'node { name: "a" op: "Const" device: "/device:CPU:0" '
        'attr { key: "dtype" value { type: DT_INT32 } } '
        'attr { key: "_output_shapes" value { list { shape { dim { size: 2 } } } } } '
        'attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 2 } } int_val: 4 } } } } '
        'node { name: "b" op: "Identity" input: "a" attr { key: "T" value { type: DT_INT32 } } '
        'attr { key: "_class" value { list { s: "loc:@a" } } } }',
        graph_pb2.GraphDef())
    (b,) = graph_io.import_graph_def(gd, return_elements=["b:0"])
    assert "CPU" in g.get_operation_by_name("import/a").device.upper()
    with Session() as sess:
        np.testing.assert_array_equal(sess.run(b), [4, 4])


def test_ref_typed_dtype_attrs_map_to_base_types(g):
    gd = text_format.Parse('node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT_REF } } '
                           'attr { key: "shape" value { shape { unknown_rank: true } } } }', graph_pb2.GraphDef())
    (p,) = graph_io.import_graph_def(gd, return_elements=["p:0"])
    assert p.dtype == dtypes.float32 and p.shape.ndims is None


def test_import_into_finalized_graph_fails(g):
    constant(1.0, name="x")
    gd = g.as_graph_def()
    g2 = Graph()
    g2.finalize()
    with g2.as_default(), pytest.raises(RuntimeError, match="finalized"):
        graph_io.import_graph_def(gd)


# ---- write_graph --------------------------------------------------------------------------------
@pytest.mark.parametrize("as_text", [True, False])
def test_write_graph_parses_back(g, tmp_path, as_text):
    _build_model(g)
    logdir = tmp_path / "new" / "dir"
    path = graph_io.write_graph(g, str(logdir), "graph.pbtxt" if as_text else "graph.pb", as_text=as_text)
    assert path == os.path.join(str(logdir), "graph.pbtxt" if as_text else "graph.pb")
    parsed = graph_pb2.GraphDef()
    with open(path, "rb") as f:
        data = f.read()
    if as_text:
        text_format.Parse(data.decode("utf-8"), parsed)
    else:
        parsed.ParseFromString(data)
    assert parsed == g.as_graph_def()
    assert graph_io.read_graph_def(path) == parsed
    assert os.listdir(logdir) == [os.path.basename(path)]  # no temporary files left behind


def test_write_graph_accepts_graph_def_and_overwrites(tmp_path):
    gd = graph_pb2.GraphDef()
    gd.versions.producer = 1087
    path = graph_io.write_graph(gd, tmp_path, "g.pbtxt")
    graph_io.write_graph(gd, tmp_path, "g.pbtxt")
    with open(path) as f:
        assert "producer: 1087" in f.read()


# ---- golden MetaGraphDef written by TensorFlow 2.15 ---------------------------------------------
@pytest.fixture(scope="module")
def golden():
    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        manifest = json.load(f)
    meta = meta_graph_pb2.MetaGraphDef()
    with open(os.path.join(FIXTURES, "model.ckpt-532.meta"), "rb") as f:
        data = f.read()
    meta.ParseFromString(data)
    return manifest, meta, data


def test_golden_meta_graph_parses(golden):
    manifest, meta, data = golden
    expected = manifest["meta_graph"]
    assert meta.SerializeToString(deterministic=True) == data  # every byte understood and rewritten
    assert len(meta.graph_def.node) == expected["num_nodes"]
    variables = sorted(n.name for n in meta.graph_def.node if n.op == "VariableV2")
    assert variables == sorted(expected["variable_node_names"])
    assert sorted(op.name for op in meta.meta_info_def.stripped_op_list.op) == expected["meta_info_def"][
        "stripped_op_list_ops"]
    assert sorted({n.op for n in meta.graph_def.node}) == expected["meta_info_def"]["stripped_op_list_ops"]
    assert meta.meta_info_def.tensorflow_version == expected["meta_info_def"]["tensorflow_version"]
    assert sorted(meta.collection_def) == expected["collections"]
    saver = expected["saver_def"]
    assert meta.saver_def.filename_tensor_name == saver["filename_tensor_name"]
    assert meta.saver_def.restore_op_name == saver["restore_op_name"]
    assert meta.saver_def.max_to_keep == saver["max_to_keep"]
    assert meta.saver_def.version == meta.saver_def.V2
    var_defs = [variable_pb2.VariableDef.FromString(b) for b in meta.collection_def["variables"].bytes_list.value]
    assert sorted(v.variable_name for v in var_defs) == sorted(n + ":0" for n in expected["variable_node_names"])


def _manifest_array(entry):
    value, dtype = entry["value"], entry["dtype"]
    if dtype == "string":
        items = value if isinstance(value, list) else [value]
        arr = np.empty(len(items), dtype=object)
        arr[:] = [bytes.fromhex(v["hex"]) for v in items]
        return arr.reshape(entry_shape(entry))
    if dtype.startswith("complex"):
        parts = np.array(value, dtype=np.float64).reshape(-1, 2)
        return (parts[:, 0] + 1j * parts[:, 1]).astype(dtype).reshape(entry_shape(entry))
    return np.array(value, dtype=dtype).reshape(entry_shape(entry))


def entry_shape(entry):
    return tuple(entry["shape"])


def test_golden_constants_decode_and_re_encode_identically(golden):
    manifest, meta, _ = golden
    nodes = {n.name: n for n in meta.graph_def.node}
    checked = 0
    for entry in manifest["variables"]:
        if entry["name"] == "global_step":
            continue  # initialised to zeros, saved at 532
        assign = nodes[entry["name"] + "/Assign"]
        const = nodes[assign.input[1]]
        proto = const.attr["value"].tensor
        value = graph_io.make_ndarray(proto)
        expected = _manifest_array(entry)
        assert value.dtype == expected.dtype and value.shape == expected.shape, entry["name"]
        np.testing.assert_array_equal(value, expected)
        # estflow writes the very bytes TensorFlow wrote.
        again = graph_io.make_tensor_proto(value)
        assert again.SerializeToString(deterministic=True) == proto.SerializeToString(deterministic=True), entry["name"]
        checked += 1
    assert checked == len(manifest["variables"]) - 1


def test_golden_registered_subset_imports_and_initialises(golden):
    manifest, meta, _ = golden
    registered = registry.registered_ops()
    keep, dropped = [], set()
    for node in meta.graph_def.node:  # TF writes nodes in creation order: inputs first
        deps = {inp.lstrip("^").split(":")[0] for inp in node.input}
        if node.op in registered and not deps & dropped:
            keep.append(node)
        else:
            dropped.add(node.name)
    subset = graph_pb2.GraphDef(node=keep, versions=meta.graph_def.versions)
    g = Graph()
    with g.as_default():
        graph_io.import_graph_def(subset, name="")
        names = {op.name for op in g.get_operations()}
        variables = [e for e in manifest["variables"] if e["name"] != "global_step"]
        initializers = [g.get_operation_by_name(e["name"] + "/Assign") for e in variables]
        reads = [g.get_tensor_by_name(e["name"] + "/read:0") for e in variables if e["name"] + "/read" in names]
        assert len(reads) == len(variables)
        with Session() as sess:
            sess.run(initializers)
            for entry, value in zip(variables, sess.run(reads), strict=True):
                np.testing.assert_array_equal(value, _manifest_array(entry))
        # Written back out, the nodes match TensorFlow's own NodeDefs.
        ours = {n.name: n for n in g.as_graph_def().node}
    for node in keep:
        mine = ours[node.name]
        assert mine.op == node.op and list(mine.input) == list(node.input) and mine.device == node.device
        for key, value in mine.attr.items():
            assert value == node.attr[key], (node.name, key)
        missing = {k for k in node.attr if not k.startswith("_")} - set(mine.attr)
        assert not missing, (node.name, missing)


def test_recorded_output_shapes_narrow_inferred_ones(g):
    gd = text_format.Parse(
        'node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } '
        'attr { key: "_output_shapes" value { list { shape { dim { size: -1 } dim { size: 4 } } } } } }',
        graph_pb2.GraphDef())
    (p,) = graph_io.import_graph_def(gd, return_elements=["p:0"])
    assert p.shape.as_list() == [None, 4]


def test_as_graph_def(g):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    tf.add(x, tf.constant([1.0, 2.0], name="c"), name="y")
    gd = g.as_graph_def()
    assert isinstance(gd, tf.GraphDef)
    nodes = {n.name: n for n in gd.node}
    assert nodes["y"].op == "AddV2" and list(nodes["y"].input) == ["x", "c"]
    assert nodes["x"].attr["dtype"].type == 1
    assert [d.size for d in nodes["x"].attr["shape"].shape.dim] == [-1, 2]
    assert gd.versions.producer > 0
    assert tf.GraphDef.FromString(gd.SerializeToString()) == gd


def test_write_graph_text_and_binary(g, tmp_path):
    tf.add(tf.constant(1.0, name="a"), tf.constant(2.0, name="two"), name="b")
    p1 = tf.train.write_graph(g, str(tmp_path), "g.pbtxt")
    p2 = tf.train.write_graph(g.as_graph_def(), str(tmp_path), "g.pb", as_text=False)
    assert p1 == str(tmp_path / "g.pbtxt") and p2 == str(tmp_path / "g.pb")
    text = (tmp_path / "g.pbtxt").read_text()
    assert 'name: "b"' in text and 'op: "AddV2"' in text
    gd = tf.GraphDef.FromString((tmp_path / "g.pb").read_bytes())
    assert [n.name for n in gd.node] == ["a", "two", "b"]
    assert tf.train.write_graph(g, str(tmp_path / "sub"), "g2.pbtxt") and (tmp_path / "sub" / "g2.pbtxt").exists()


def test_import_graph_def_input_map_return_elements_name(g):
    x = tf.placeholder(tf.float32, [2], name="x")
    tf.multiply(x, 3.0, name="y")
    gd = g.as_graph_def()
    with tf.Graph().as_default() as g2:
        new_in = tf.constant([1.0, 2.0], name="new_in")
        y, op = tf.import_graph_def(gd, input_map={"x:0": new_in}, return_elements=["y:0", "y"], name="imp")
        assert y.name == "imp/y:0" and op.name == "imp/y"
        assert g2.get_operation_by_name("imp/x").type == "Placeholder"
        with tf.Session() as sess:
            assert sess.run(y).tolist() == [3.0, 6.0]
    with tf.Graph().as_default():
        tf.import_graph_def(gd)  # default name "import"
        t = tf.get_default_graph().get_tensor_by_name("import/y:0")
        with tf.Session() as sess:
            assert sess.run(t, {"import/x:0": [1.0, 1.0]}).tolist() == [3.0, 3.0]


# ---- imported graphs are checked as TensorFlow checks them --------------------------------------
_X = ('node { name: "x" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } '
      'attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: 1.0 } } } } ')
_T = 'attr { key: "T" value { type: DT_FLOAT } }'


def _const(dtype: str, tensor: str, name: str = "c") -> str:
    return (f'node {{ name: "{name}" op: "Const" attr {{ key: "dtype" value {{ type: {dtype} }} }} '
            f'attr {{ key: "value" value {{ tensor {{ {tensor} }} }} }} }} ')


# (label, GraphDef text, the start of TF's message, a further piece it holds)
BAD_NODE_DEFS = [
    ("T of string", _X + 'node { name: "add" op: "AddV2" input: "x" input: "x" '
                         'attr { key: "T" value { type: DT_STRING } } }',
     "Value for attr 'T' of string is not in the list of allowed values: bfloat16, half, float, double,",
     "; NodeDef: {{node add}}; Op<name=AddV2; signature=x:T, y:T -> z:T; attr=T:type,allowed=[DT_BFLOAT16,"),
    ("T an unknown enum", _X + 'node { name: "add" op: "AddV2" input: "x" input: "x" '
                               'attr { key: "T" value { type: 777 } } }',
     "AttrValue has invalid DataType enum: 777", "for attr 'T'"),
    ("T a list", _X + 'node { name: "add" op: "AddV2" input: "x" input: "x" '
                      'attr { key: "T" value { list { type: DT_FLOAT } } } }',
     "AttrValue had value with type 'list(type)' when 'type' expected", "{{node add}}"),
    ("T an int", _X + 'node { name: "add" op: "AddV2" input: "x" input: "x" attr { key: "T" value { i: 1 } } }',
     "AttrValue had value with type 'int' when 'type' expected", "{{node add}}"),
    ("T empty", _X + 'node { name: "add" op: "AddV2" input: "x" input: "x" attr { key: "T" value { } } }',
     "AttrValue missing value with expected type 'type'", "{{node add}}"),
    ("T missing", _X + 'node { name: "add" op: "AddV2" input: "x" input: "x" }',
     "NodeDef missing attr 'T' from Op<name=AddV2;", "NodeDef: {{node add}}"),
    ("T says int32, inputs are float", _X + 'node { name: "add" op: "AddV2" input: "x" input: "x" '
                                            'attr { key: "T" value { type: DT_INT32 } } }',
     "Input 0 of node import/add was passed float from import/x:0 incompatible with expected int32.", ""),
    ("an attr the op lacks", _X + f'node {{ name: "add" op: "AddV2" input: "x" input: "x" {_T} '
                                  'attr { key: "foo" value { i: 1 } } }',
     "NodeDef mentions attr 'foo' not in Op<name=AddV2;", "NodeDef: {{node add}}"),
    ("three inputs to AddV2", _X + f'node {{ name: "add" op: "AddV2" input: "x" input: "x" input: "x" {_T} }}',
     "NodeDef expected inputs 'float, float' do not match 3 inputs specified; Op<name=AddV2;", "{{node add}}"),
    ("N says 3, two inputs", _X + f'node {{ name: "s" op: "AddN" input: "x" input: "x" {_T} '
                                  'attr { key: "N" value { i: 3 } } }',
     "NodeDef expected inputs 'float, float, float' do not match 2 inputs specified", "{{node s}}"),
    ("N below its minimum", f'node {{ name: "s" op: "AddN" {_T} attr {{ key: "N" value {{ i: 0 }} }} }}',
     "Value for attr 'N' of 0 must be at least minimum 1", "{{node s}}"),
    ("N a list", _X + f'node {{ name: "s" op: "AddN" input: "x" {_T} '
                      'attr { key: "N" value { list { i: 1 } } } }',
     "AttrValue had value with type 'list(int)' when 'int' expected", "{{node s}}"),
    ("N of 2^40", _X + f'node {{ name: "s" op: "AddN" input: "x" {_T} '
                       'attr { key: "N" value { i: 1099511627776 } } }',
     "Number of outputs is too big: 1099511627776", "{{node s}}"),
    ("a string attr outside its allowed values",
     _X + f'node {{ name: "b" op: "BiasAdd" input: "x" input: "x" {_T} '
          'attr { key: "data_format" value { s: "NWHC" } } }',
     'Value for attr \'data_format\' of "NWHC" is not in the list of allowed values: "NHWC", "NCHW"', "{{node b}}"),
    ("a shape attr below -1", 'node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } '
                              'attr { key: "shape" value { shape { dim { size: -7 } } } } }',
     "Shape [-7] has dimensions with values below -1 (where -1 means unknown)", "{{node p}}"),
    ("a Const int32 holding 1.5", _const("DT_INT32", "dtype: DT_FLOAT tensor_shape { } float_val: 1.5"),
     "Type mismatch between value (float) and dtype (int32)", "{{node c}}"),
    ("int32 values in float_val", _const("DT_INT32", "dtype: DT_INT32 tensor_shape { } float_val: 1.5"),
     "Attr value has value that can't be converted to a Tensor: TensorProto of dtype int32 holds values in "
     "float_val (its values belong in int_val)", "{{node c}}"),
    ("tensor_content too short", _const("DT_FLOAT", 'dtype: DT_FLOAT tensor_shape { dim { size: 3 } } '
                                                    'tensor_content: "abcdefgh"'),
     "Attr value has value that can't be converted to a Tensor: tensor_content holds 8 bytes, but shape [3] of "
     "dtype float needs 12", "{{node c}}"),
    ("more values than elements", _const("DT_FLOAT", "dtype: DT_FLOAT tensor_shape { dim { size: 1 } } "
                                                     "float_val: 1 float_val: 2"),
     "Attr value has value that can't be converted to a Tensor: TensorProto holds 2 values but its shape [1] has 1 "
     "elements", "{{node c}}"),
    ("a negative tensor dimension", _const("DT_FLOAT", "dtype: DT_FLOAT tensor_shape { dim { size: -1 } }"),
     "Attr value has value that can't be converted to a Tensor: Shape [-1] has negative dimensions", "{{node c}}"),
    ("2^64 elements", _const("DT_FLOAT", "dtype: DT_FLOAT tensor_shape { dim { size: 4294967296 } "
                                         "dim { size: 4294967296 } } float_val: 1"),
     "Attr value has value that can't be converted to a Tensor: Shape [4294967296,4294967296] is too large "
     "(more than 2**63 - 1 entries)", "{{node c}}"),
    ("an unknown op", 'node { name: "u" op: "FooBar" }', "Op type not registered 'FooBar' in estflow (node 'u'", ""),
    ("an unknown input node", f'node {{ name: "i" op: "Identity" input: "ghost" {_T} }}',
     "Node 'i': Unknown input node 'ghost'.", ""),
    ("an output the input lacks", _X + f'node {{ name: "i" op: "Identity" input: "x:3" {_T} }}',
     "Node 'i': Connecting to invalid output 3 of source node x which has 1 outputs.", ""),
    ("a data input after a control input", _X + f'node {{ name: "i" op: "Identity" input: "^x" input: "x" {_T} }}',
     "Non-control input 'x' after control input in NodeDef: {{node i}}", ""),
    ("a control input with an index", _X + f'node {{ name: "i" op: "Identity" input: "x" input: "^x:0" {_T} }}',
     "Control input '^x:0' must not have ':' in NodeDef: {{node i}}", ""),
    ("an illegal input name", _X + f'node {{ name: "i" op: "Identity" input: "x:01" {_T} }}',
     "Illegal op input name 'x:01'; NodeDef: {{node i}}", ""),
    ("an illegal node name", _X + f'node {{ name: "a b" op: "Identity" input: "x" {_T} }}',
     "Illegal op name 'a b'", ""),
]


@pytest.mark.parametrize("text, start, also", [c[1:] for c in BAD_NODE_DEFS], ids=[c[0] for c in BAD_NODE_DEFS])
def test_import_refuses_node_defs_tensorflow_refuses(g, text, start, also):
    with pytest.raises(ValueError) as e:
        graph_io.import_graph_def(text_format.Parse(text, graph_pb2.GraphDef()))
    assert str(e.value).startswith(start), str(e.value)
    assert also in str(e.value), str(e.value)
    assert not g.get_operations(), "a refused graph_def adds nothing"


def test_the_same_nodes_written_correctly_import_and_run(g):
    text = (_X + f'node {{ name: "add" op: "AddV2" input: "x" input: "x" {_T} }} '
            f'node {{ name: "s" op: "AddN" input: "x" input: "add" {_T} attr {{ key: "N" value {{ i: 2 }} }} }} '
            + _const("DT_INT32", "dtype: DT_INT32 tensor_shape { dim { size: 3 } } int_val: 1 int_val: 2"))
    s, c = graph_io.import_graph_def(text_format.Parse(text, graph_pb2.GraphDef()), return_elements=["s:0", "c:0"])
    with Session() as sess:
        np.testing.assert_array_equal(sess.run(s), [3.0, 3.0])
        np.testing.assert_array_equal(sess.run(c), [1, 2, 2])  # a short list is padded with its last value


def test_function_bodies_are_checked_too(g):
    x = tf.placeholder(tf.int32, [], name="n")
    tf.while_loop(lambda i: i < 5, lambda i: i + 1, [x], name="loop")
    gd = g.as_graph_def()
    body = next(f for f in gd.library.function if any(n.op == "AddV2" for n in f.node_def))
    add = next(n for n in body.node_def if n.op == "AddV2")
    add.attr["T"].type = types_pb2.DT_STRING
    with Graph().as_default(), pytest.raises(ValueError) as e:
        graph_io.import_graph_def(gd)
    assert str(e.value).startswith(f"Function '{body.signature.name}': Value for attr 'T' of string is not in the "
                                   "list of allowed values"), str(e.value)


def _fuzz_source():
    """A small real graph of common ops (and its fetches): placeholders, constants of each encoding,
    list ops, reductions, strings, casts, gathers."""
    graph = Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
        y = tf.nn.relu(tf.matmul(x, w) + tf.constant([0.5, -0.5], name="b"), name="y")
        s = tf.reduce_sum(y, axis=1, name="s")
        fetches = [y, s, tf.concat([y, y], axis=1, name="c"), tf.add_n([s, s, s], name="n"),
                   tf.reshape(y, [-1, 1, 2], name="r"), tf.zeros([40, 30], name="z"),
                   tf.strings.regex_replace(tf.as_string(s), "[0-9]", "#", name="st"),
                   tf.cast(s, tf.int32, name="i"), tf.gather(w, [0, 2], name="ga")]
    return graph.as_graph_def().SerializeToString(), [t.name for t in fetches]


def _names_a_node(message: str) -> bool:
    return any(k in message for k in ("node", "Node", "(op: '"))


def fuzz_graph_defs() -> dict:
    """Flip bits of a serialized real graph at every offset: each result that still parses either imports
    and runs (each fetch gives a value or a tf.errors.OpError naming its node) or is refused with a ValueError
    naming the node; never an internal AttributeError/TypeError/IndexError/KeyError. Returns the counts."""
    from google.protobuf.message import DecodeError

    data, fetch_names = _fuzz_source()
    rng = np.random.default_rng(9)
    outcomes = {"unparsable": 0, "refused": 0, "imported": 0, "run failed": 0}
    for offset in range(len(data)):
        for bit in rng.choice(8, size=2, replace=False):
            flipped = bytearray(data)
            flipped[offset] ^= 1 << int(bit)
            graph_def = graph_pb2.GraphDef()
            try:
                graph_def.ParseFromString(bytes(flipped))
            except DecodeError:
                outcomes["unparsable"] += 1
                continue
            with Graph().as_default() as graph:
                try:
                    graph_io.import_graph_def(graph_def, name="")
                except ValueError as e:
                    assert _names_a_node(str(e)), (offset, bit, str(e))
                    outcomes["refused"] += 1
                    continue
                outcomes["imported"] += 1
                names = {op.name for op in graph.get_operations()}
                feed = {}
                if "x" in names and graph.get_operation_by_name("x").type == "Placeholder":
                    x = graph.get_tensor_by_name("x:0")
                    feed = {x: np.ones([2, 3], object if x.dtype == tf.string else x.dtype.as_numpy_dtype)}
                with Session() as sess:
                    for name in fetch_names:
                        if name.split(":")[0] not in names:
                            continue
                        try:
                            sess.run(name, feed)
                        except tf.errors.OpError as e:
                            assert _names_a_node(e.message), (offset, bit, e.message)
                            outcomes["run failed"] += 1
                        except ValueError as e:  # a feed the flipped placeholder no longer takes, as in TF
                            assert "feed" in str(e), (offset, bit, str(e))
    return outcomes


def _random_attr_value(rng) -> attr_value_pb2.AttrValue:
    """An AttrValue of a random kind: odd ints, unknown enums, ref types, bad shapes and tensors, lists."""
    av = attr_value_pb2.AttrValue()
    kind = rng.choice(["i", "f", "s", "b", "type", "shape", "tensor", "list", "empty"])
    if kind == "i":
        av.i = int(rng.choice([0, 1, 2, -1, 3, 1 << 40, -(1 << 62)]))
    elif kind == "f":
        av.f = float(rng.choice([0.5, -1e30, np.nan]))
    elif kind == "s":
        av.s = bytes(rng.choice([b"SAME", b"NHWC", b"", b"\xff\xfe", b"x" * 100]))
    elif kind == "b":
        av.b = True
    elif kind == "type":
        av.type = int(rng.choice([0, 1, 3, 7, 9, 10, 101, 23, 999, 21, 14]))
    elif kind == "shape":
        for _ in range(rng.integers(4)):
            av.shape.dim.add().size = int(rng.choice([-1, -5, 0, 3, 1 << 40]))
        av.shape.unknown_rank = bool(rng.random() < 0.2)
    elif kind == "tensor":
        av.tensor.dtype = int(rng.choice([1, 3, 7, 9, 10, 0, 999]))
        for _ in range(rng.integers(3)):
            av.tensor.tensor_shape.dim.add().size = int(rng.choice([0, 2, 3, 1 << 31]))
        field = rng.choice(["float_val", "int_val", "tensor_content", "string_val"])
        if field == "tensor_content":
            av.tensor.tensor_content = b"\x01" * int(rng.integers(30))
        elif field == "string_val":
            av.tensor.string_val.append(b"ab")
        else:
            getattr(av.tensor, field).extend([7] * int(rng.integers(4)))
    elif kind == "list":
        av.list.SetInParent()
        item = rng.choice(["i", "type", "s", "shape"])
        for _ in range(rng.integers(4)):
            if item == "shape":
                av.list.shape.add().dim.add().size = 2
            else:
                getattr(av.list, item).append({"i": 1 << 40, "type": 999, "s": b"q"}[item])
    return av


def fuzz_node_defs(trials: int = 1500) -> dict:
    """Hand-built mutations of a real graph's NodeDefs (attrs replaced by values of random kinds, dropped or
    added; inputs redirected or added): each imports and runs or is refused with a ValueError naming the node."""
    data, fetch_names = _fuzz_source()
    source = graph_pb2.GraphDef()
    source.ParseFromString(data)
    rng = np.random.default_rng(11)
    outcomes = {"refused": 0, "imported": 0}
    for _ in range(trials):
        graph_def = graph_pb2.GraphDef()
        graph_def.CopyFrom(source)
        for _ in range(rng.integers(1, 3)):
            node = graph_def.node[int(rng.integers(len(graph_def.node)))]
            keys = sorted(node.attr)
            r = rng.random()
            if r < 0.6 and keys:
                node.attr[keys[int(rng.integers(len(keys)))]].CopyFrom(_random_attr_value(rng))
            elif r < 0.7 and keys:
                del node.attr[keys[int(rng.integers(len(keys)))]]
            elif r < 0.8:
                node.attr[str(rng.choice(["foo", "T", "N", "Tidx", "axis", "dtype"]))].CopyFrom(_random_attr_value(rng))
            elif r < 0.9 and node.input:
                node.input[int(rng.integers(len(node.input)))] = str(rng.choice(["x:1", "w:0", "^w", "s", "ga:5"]))
            else:
                node.input.append(str(rng.choice(["x", "w", "^b", "s:0"])))
        with Graph().as_default() as graph:
            try:
                graph_io.import_graph_def(graph_def, name="")
            except ValueError as e:
                assert _names_a_node(str(e)), str(e)
                outcomes["refused"] += 1
                continue
            outcomes["imported"] += 1
            names = {op.name for op in graph.get_operations()}
            feed = {}
            if "x" in names and graph.get_operation_by_name("x").type == "Placeholder":
                x = graph.get_tensor_by_name("x:0")
                feed = {x: np.ones([2, 3], object if x.dtype == tf.string else x.dtype.as_numpy_dtype)}
            with Session() as sess:
                for name in fetch_names:
                    if name.split(":")[0] in names:
                        try:
                            sess.run(name, feed)
                        except tf.errors.OpError as e:
                            assert _names_a_node(e.message), e.message
                        except ValueError as e:
                            assert "feed" in str(e), str(e)
    return outcomes


def _in_bounded_subprocess(code: str, address_space: int = 1 << 30, timeout: float = 300):
    """Run `code` in a fresh interpreter whose address space RLIMIT_AS bounds (a hang fails by `timeout`)."""
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    bounded = (f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({address_space}, {address_space}))\n"
               + code)
    proc = subprocess.run([sys.executable, "-c", bounded], cwd=root, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout


def test_bit_flipped_graph_defs_import_and_run_or_fail_cleanly():
    """`fuzz_graph_defs` in a process bounded to 1 GiB: flipped sizes (Fill's dims, a constant's shape) must be
    refused with ResourceExhaustedError, not allocated."""
    out = _in_bounded_subprocess("import json\nfrom tests.core.test_graph_io import fuzz_graph_defs\n"
                                 "print(json.dumps(fuzz_graph_defs()))")
    outcomes = json.loads(out.strip().splitlines()[-1])
    assert min(outcomes.values()) > 20, outcomes  # every kind of outcome was exercised


def test_hand_built_node_defs_import_and_run_or_fail_cleanly():
    out = _in_bounded_subprocess("import json\nfrom tests.core.test_graph_io import fuzz_node_defs\n"
                                 "print(json.dumps(fuzz_node_defs()))")
    outcomes = json.loads(out.strip().splitlines()[-1])
    assert outcomes["refused"] > 500 and outcomes["imported"] > 40, outcomes


def test_bit_flipped_meta_graphs_import_or_fail_cleanly():
    """The same for MetaGraphDefs with variables, collections and a while loop's function library
    (imported only: a flipped loop bound may legitimately run for ever)."""
    from google.protobuf.message import DecodeError

    graph = Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        v = tf.Variable(np.ones([3, 2], np.float32), name="v")
        loop = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2.0), [0, tf.reduce_sum(x)], name="loop")
        tf.identity(tf.matmul(x, v) + loop[1], name="y")
        data = tf.train.export_meta_graph().SerializeToString()
    rng = np.random.default_rng(10)
    refused = imported = 0
    for offset in rng.choice(len(data), size=700, replace=False):
        flipped = bytearray(data)
        flipped[offset] ^= 1 << int(rng.integers(8))
        meta_graph = meta_graph_pb2.MetaGraphDef()
        try:
            meta_graph.ParseFromString(bytes(flipped))
        except DecodeError:
            continue
        with Graph().as_default():
            try:
                tf.train.import_meta_graph(meta_graph)
                imported += 1
            except ValueError as e:
                assert _names_a_node(str(e)) or "collection" in str(e) or "unction" in str(e), (offset, str(e))
                refused += 1
    assert refused > 20 and imported > 20, (refused, imported)


def test_function_body_inputs_are_checked_against_the_attrs(g):
    x = tf.placeholder(tf.int32, [], name="n")
    tf.while_loop(lambda i: i < 5, lambda i: i + 1, [x], name="loop")
    gd = g.as_graph_def()
    body = next(f for f in gd.library.function if any(n.op == "AddV2" for n in f.node_def))
    add = next(n for n in body.node_def if n.op == "AddV2")
    add.attr["T"].type = types_pb2.DT_INT64
    with Graph().as_default(), pytest.raises(ValueError) as e:
        graph_io.import_graph_def(gd)
    assert str(e.value).startswith("Node 'loop' (op: 'While') of the graph_def: "), str(e.value)
    assert (f"Function '{body.signature.name}': Input 0 of node {add.name} was passed int32 from n:0 incompatible "
            "with expected int64.") in str(e.value), str(e.value)


def test_read_graph_def_of_a_damaged_file_names_it(g, tmp_path):
    constant(1.0, name="c")
    path = graph_io.write_graph(g, str(tmp_path), "graph.pb", as_text=False)
    data = bytearray(open(path, "rb").read())
    data[1] ^= 0xFF  # the first field's length: no longer a binary GraphDef, and not UTF-8 text
    open(path, "wb").write(bytes(data))
    with pytest.raises(ValueError, match=r"Cannot parse file .*graph\.pb as a GraphDef: not a binary one"):
        graph_io.read_graph_def(path)


def test_graphs_estflow_builds_import_back(g):
    """The checks refuse what TF refuses, never a graph estflow itself wrote: iterators (whose handles
    estflow keeps as host objects), variables, list ops, strings."""
    # An iterator built from its structure (a pipeline of Python objects cannot be exported at all).
    iterator = tf.data.Iterator.from_structure(tf.float32, tf.TensorShape([None]))
    batch = iterator.get_next()
    tf.data.Iterator.from_string_handle(iterator.string_handle(), tf.float32, tf.TensorShape([None])).get_next()
    v = tf.Variable(np.ones(2, np.float32), name="v")
    tf.add_n([batch, v, batch], name="total")
    tf.strings.regex_full_match(tf.as_string(batch), "[0-9.]+", name="digits")
    with Graph().as_default():
        graph_io.import_graph_def(g.as_graph_def())


def _build_ref_variable_graphs():
    """Variables, their updates, optimizer slots and a Saver: every op with a `Ref(T)` output."""
    g = Graph()
    with g.as_default():
        x = placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable(tf.zeros([2, 1]), name="w")
        b = tf.get_variable("b", [1], dtype=tf.float64, initializer=tf.zeros_initializer())
        step = tf.train.get_or_create_global_step()
        loss = tf.reduce_sum(tf.matmul(x, w)) + tf.cast(tf.reduce_sum(b), tf.float32)
        tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss, global_step=step)
        c = tf.Variable([1, 2, 3], name="counter")
        c.assign_add([1, 1, 1])
        tf.scatter_update(c, [0], [7])
        tf.identity(w.initialized_value(), name="init_w")
        tf.cond(tf.constant(True), lambda: c.read_value(), lambda: c + 1)
        tf.train.Saver()
    meta = tf.train.export_meta_graph(graph=g)
    meta.ClearField("meta_info_def")
    return g, meta


def test_ref_dtypes_leave_the_written_graph_unchanged():
    """Variables show TF1's `float32_ref` since ref dtypes came in; the MetaGraphDef (GraphDef, type
    attrs, collections, SaverDef) is the one estflow wrote before them, byte for byte in text form
    (tests/fixtures/graphs/ref_variables_meta_graph.pbtxt was written by the code before that change)."""
    g, meta = _build_ref_variable_graphs()
    assert g.get_tensor_by_name("w:0").dtype == dtypes.float32_ref
    assert g.get_tensor_by_name("b:0").dtype == dtypes.float64_ref
    path = os.path.join(os.path.dirname(__file__), "..", "fixtures", "graphs", "ref_variables_meta_graph.pbtxt")
    expected = text_format.Parse(open(path).read(), meta_graph_pb2.MetaGraphDef())
    assert meta == expected
    for node in meta.graph_def.node:  # no reference type reaches a NodeDef (TF writes none either)
        for key, value in node.attr.items():
            assert value.type < 100 and all(t < 100 for t in value.list.type), (node.name, key)
    # Read back, the graph shows the same ref dtypes where TF's op declares `Ref(T)`.
    with Graph().as_default() as g2:
        tf.train.import_meta_graph(meta)
        assert g2.get_tensor_by_name("w:0").dtype == dtypes.float32_ref
        assert g2.get_tensor_by_name("w/read:0").dtype == tf.float32
        assert g2.get_tensor_by_name("AssignAdd:0").dtype == dtypes.int32_ref
        assert [v.dtype for v in tf.global_variables()][:2] == [dtypes.float32_ref, dtypes.float64_ref]
