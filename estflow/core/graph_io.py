"""Graphs to and from TensorFlow's wire format: AttrValue, TensorProto, NodeDef, GraphDef.

    graph_def = graph.as_graph_def()                  # graph_to_graph_def(graph)
    with tf.Graph().as_default():
        y, = tf.import_graph_def(graph_def, input_map={"x:0": batch}, return_elements=["y:0"])
    tf.train.write_graph(graph_def, logdir, "graph.pbtxt")

`make_tensor_proto` / `make_ndarray` convert numpy arrays exactly as TensorFlow does
(`tensor_content` for numeric arrays of more than one element, the typed `*_val` fields
otherwise), so checkpoints, SavedModels and summaries share them.

Importing never runs code from the file: every node is rebuilt through the op registry
from its op type and the attrs that op type declares.

Attrs holding a function graph (the `cond`/`body` of a functional `While`) are written as
`func` attrs naming a `FunctionDef` of `GraphDef.library`, and rebuilt from it on import:
see `estflow.core.function_io` for the function format. Export is strict: an attr that can't be
encoded raises TypeError naming the node and attr, and an op whose attrs are Python objects
(a `PythonObjectAttr`: iterators over a tf.data pipeline built in Python) raises
`UnexportableGraphError`, a ValueError saying why. `graph_to_graph_def(graph, strict=False)`
never fails on an attr: it drops it and lists it in the node's `_estflow_unencodable_attr`
attr (for drawing graphs in TensorBoard).
"""

from __future__ import annotations

import contextlib
import os

import numpy as np
from google.protobuf import text_format

from estflow.core import dtypes as _dtypes
from estflow.core import registry
from estflow.core.file_io import atomic_write
from estflow.core.func_graph import FuncGraph
from estflow.core.graph import Graph, Operation, Tensor, get_default_graph
from estflow.core.lazy_constant import LazyConstant
from estflow.core.node_def_check import (
    check_graph_input_dtypes,
    check_input_dtypes,
    check_node_def,
    stored_values,
    tensor_proto_size,
)
from estflow.core.protos import attr_value_pb2, graph_pb2, node_def_pb2, tensor_pb2, tensor_shape_pb2
from estflow.core.tensor_shape import TensorShape
from estflow.core.tensor_util import to_numpy, to_string_array

# GraphDef producer version written by TensorFlow 1.15-era graphs; TensorBoard and TF read it.
GRAPH_DEF_VERSION = 1087
GRAPH_DEF_VERSION_MIN_CONSUMER = 0

# Element types TensorFlow stores as raw bytes in `tensor_content` (bool and complex use *_val).
_TENSOR_CONTENT_TYPES = frozenset({
    _dtypes.float16, _dtypes.float32, _dtypes.float64, _dtypes.int8, _dtypes.int16, _dtypes.int32,
    _dtypes.int64, _dtypes.uint8, _dtypes.uint16, _dtypes.uint32, _dtypes.uint64, _dtypes.bfloat16,
})
_INT_VAL_TYPES = frozenset({_dtypes.int8, _dtypes.int16, _dtypes.int32, _dtypes.uint8, _dtypes.uint16})


# ---- TensorShapeProto ---------------------------------------------------------------------
def shape_to_proto(shape) -> tensor_shape_pb2.TensorShapeProto:
    """A TensorShape (or anything `TensorShape` accepts) as a TensorShapeProto (-1: unknown dim)."""
    shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
    proto = tensor_shape_pb2.TensorShapeProto()
    dims = shape.as_tuple()
    if dims is None:
        proto.unknown_rank = True
    else:
        for d in dims:
            proto.dim.add().size = -1 if d is None else int(d)
    return proto


def shape_from_proto(proto: tensor_shape_pb2.TensorShapeProto) -> TensorShape:
    """The TensorShape a TensorShapeProto describes (unknown_rank, -1 dims as None)."""
    if proto.unknown_rank:
        return TensorShape(None)
    return TensorShape([None if d.size < 0 else d.size for d in proto.dim])


# ---- TensorProto ----------------------------------------------------------------------------
def _to_array(values, dtype):
    if isinstance(values, np.ndarray):
        if dtype is None:
            return to_string_array(values) if values.dtype.kind in "SU" else values
        if dtype == _dtypes.string:
            return to_string_array(values)
        if values.dtype.kind == "O" and dtype != _dtypes.string:
            raise TypeError(f"Expected {dtype.name}, got an array of objects (strings?) instead.")
        return values.astype(dtype.as_numpy_dtype, copy=False)
    return to_numpy(values, dtype)


def _as_bytes(x) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, np.bytes_):
        return bytes(x)
    raise TypeError(f"Expected a string (bytes or str) in a string tensor, got {type(x).__name__}: {x!r}.")


def _append_values(proto: tensor_pb2.TensorProto, dtype: _dtypes.DType, flat: np.ndarray) -> None:
    """Write `flat` (1-D, already of `dtype`) into the typed repeated field TF uses for it."""
    if dtype == _dtypes.string:
        proto.string_val.extend(_as_bytes(x) for x in flat)
    elif dtype == _dtypes.float16:
        proto.half_val.extend(flat.astype(np.float16).view(np.uint16).tolist())
    elif dtype == _dtypes.bfloat16:  # TF keeps bfloat16's 16 bits in half_val too
        proto.half_val.extend(flat.astype(_dtypes.bfloat16.as_numpy_dtype).view(np.uint16).tolist())
    elif dtype == _dtypes.float32:
        proto.float_val.extend(flat.tolist())
    elif dtype == _dtypes.float64:
        proto.double_val.extend(flat.tolist())
    elif dtype in _INT_VAL_TYPES:
        proto.int_val.extend(flat.tolist())
    elif dtype == _dtypes.int64:
        proto.int64_val.extend(flat.tolist())
    elif dtype == _dtypes.uint32:
        proto.uint32_val.extend(flat.tolist())
    elif dtype == _dtypes.uint64:
        proto.uint64_val.extend(flat.tolist())
    elif dtype == _dtypes.bool:
        proto.bool_val.extend(flat.tolist())
    elif dtype == _dtypes.complex64:
        proto.scomplex_val.extend(np.stack([flat.real, flat.imag], axis=-1).reshape(-1).tolist())
    elif dtype == _dtypes.complex128:
        proto.dcomplex_val.extend(np.stack([flat.real, flat.imag], axis=-1).reshape(-1).tolist())
    else:  # pragma: no cover - every estflow dtype is handled above
        raise TypeError(f"Unsupported tensor type: {dtype.name}")


def make_tensor_proto(values, dtype=None, shape=None, verify_shape=False, allow_broadcast=False):
    """A TensorProto holding `values`, as `tf.make_tensor_proto`.

    Python values are typed as TF1 types them (floats become float32, ints int32); with
    `shape`, a single value is stored once and broadcast, and a shorter list is padded
    with its last element when read back. Numeric arrays of more than one element go to
    `tensor_content` (little-endian bytes); scalars, bools, complex numbers and strings
    go to the typed `*_val` fields, exactly as TensorFlow writes them.

        proto = make_tensor_proto([[1., 2.], [3., 4.]])      # float32, tensor_content
        make_ndarray(make_tensor_proto(0, shape=[2, 3]))     # 2x3 int32 zeros
    """
    if isinstance(values, tensor_pb2.TensorProto):
        return values
    if isinstance(values, LazyConstant):  # an imported constant, written back as it was read
        proto = tensor_pb2.TensorProto()
        proto.CopyFrom(values.proto)
        return proto
    dtype = None if dtype is None else _dtypes.as_dtype(dtype).base_dtype
    nparray = _to_array(values, dtype)
    if dtype is None:
        dtype = _dtypes.as_dtype(nparray.dtype) if nparray.dtype != object else _dtypes.string
    if shape is None:
        shape = tuple(nparray.shape)
        is_same_size = True
        shape_size = nparray.size
    else:
        dims = TensorShape(shape).as_tuple()
        if dims is None or any(d is None for d in dims):
            raise ValueError(f"make_tensor_proto needs a fully defined shape, got {TensorShape(shape)}.")
        shape = tuple(int(d) for d in dims)
        shape_size = int(np.prod(shape, dtype=np.int64))
        is_same_size = shape_size == nparray.size
        if allow_broadcast:
            if nparray.shape == (1,) or nparray.shape == ():
                pass
            elif nparray.size != shape_size:
                raise TypeError(f"Expected Tensor's shape: {shape}, but got {nparray.shape}.")
        else:
            if verify_shape and nparray.shape != shape:
                raise TypeError(f"Expected Tensor's shape: {shape}, but got {nparray.shape}.")
            if nparray.size > shape_size:
                raise ValueError(f"Too many elements provided. Takes at most {shape_size:d}, "
                                 f"but got {nparray.size:d}.")
    proto = tensor_pb2.TensorProto(dtype=dtype.as_datatype_enum, tensor_shape=shape_to_proto(shape))
    if is_same_size and dtype in _TENSOR_CONTENT_TYPES and shape_size > 1:
        if nparray.nbytes >= (1 << 31):
            raise ValueError("Cannot create a tensor proto whose content is larger than 2GB.")
        little = np.ascontiguousarray(nparray, dtype=nparray.dtype.newbyteorder("<"))
        proto.tensor_content = little.tobytes()
        return proto
    _append_values(proto, dtype, nparray.reshape(-1))
    return proto


def make_ndarray(tensor: tensor_pb2.TensorProto) -> np.ndarray:
    """The numpy array a TensorProto holds, as `tf.make_ndarray` (strings: object array of bytes)."""
    shape = [d.size for d in tensor.tensor_shape.dim]
    num_elements = int(np.prod(shape, dtype=np.int64))
    dtype = _dtypes.as_dtype(tensor.dtype)
    if dtype == _dtypes.string:
        values = list(tensor.string_val)
        if num_elements > len(values):
            values.extend([values[-1] if values else b""] * (num_elements - len(values)))
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    np_type = np.dtype(dtype.as_numpy_dtype)
    if tensor.tensor_content:
        return np.frombuffer(tensor.tensor_content, dtype=np_type.newbyteorder("<")).astype(np_type).reshape(shape)
    if dtype in (_dtypes.float16, _dtypes.bfloat16):
        values = np.array(tensor.half_val, dtype=np.int64).astype(np.uint16).view(np_type)
    elif dtype == _dtypes.float32:
        values = np.array(tensor.float_val, dtype=np.float32)
    elif dtype == _dtypes.float64:
        values = np.array(tensor.double_val, dtype=np.float64)
    elif dtype in _INT_VAL_TYPES:
        values = np.array(tensor.int_val, dtype=np.int64).astype(np_type)
    elif dtype == _dtypes.int64:
        values = np.array(tensor.int64_val, dtype=np.int64)
    elif dtype == _dtypes.uint32:
        values = np.array(tensor.uint32_val, dtype=np.uint32)
    elif dtype == _dtypes.uint64:
        values = np.array(tensor.uint64_val, dtype=np.uint64)
    elif dtype == _dtypes.bool:
        values = np.array(tensor.bool_val, dtype=np.bool_)
    elif dtype in (_dtypes.complex64, _dtypes.complex128):
        parts = np.array(tensor.scomplex_val if dtype == _dtypes.complex64 else tensor.dcomplex_val,
                         dtype=np.float32 if dtype == _dtypes.complex64 else np.float64)
        values = (parts[0::2] + 1j * parts[1::2]).astype(np_type) if parts.size else np.zeros(0, np_type)
    else:  # pragma: no cover - as_dtype rejects types estflow does not know
        raise TypeError(f"Unsupported tensor type: {tensor.dtype}")
    if values.size == 0:
        return np.zeros(shape, np_type)
    if values.size < num_elements:
        values = np.pad(values, (0, num_elements - values.size), "edge")
    elif values.size > num_elements:
        raise ValueError(f"TensorProto holds {values.size} values but its shape {shape} has {num_elements}.")
    return values.reshape(shape)


# ---- AttrValue ------------------------------------------------------------------------------
def _is_dtype_like(v) -> bool:
    return isinstance(v, (_dtypes.DType, np.dtype)) or (isinstance(v, type) and issubclass(v, np.generic))


def _attr_kind(v) -> str:
    """The AttrValue field a Python value goes to (also the ListValue field for list items)."""
    if _is_dtype_like(v):
        return "type"
    if isinstance(v, TensorShape):
        return "shape"
    if isinstance(v, (bool, np.bool_)):
        return "b"
    if isinstance(v, (int, np.integer)):
        return "i"
    if isinstance(v, (float, np.floating)):
        return "f"
    if isinstance(v, (str, bytes, np.str_, np.bytes_)):
        return "s"
    if isinstance(v, (np.ndarray, tensor_pb2.TensorProto, LazyConstant)):
        return "tensor"
    if isinstance(v, attr_value_pb2.NameAttrList):
        return "func"
    raise TypeError(f"Can't convert {type(v).__name__} ({v!r:.80}) to an AttrValue: attrs are dtypes, shapes, "
                    f"bools, ints, floats, strings, numpy arrays or lists of those.")


def _scalar_to_field(kind: str, v):
    if kind == "type":
        return _dtypes.as_dtype(v).base_dtype.as_datatype_enum  # no NodeDef attr holds a ref type
    if kind == "b":
        return bool(v)
    if kind == "i":
        return int(v)
    if kind == "f":
        return float(v)
    if kind == "s":
        return v.encode("utf-8") if isinstance(v, str) else bytes(v)
    raise AssertionError(kind)


def attr_to_proto(value) -> attr_value_pb2.AttrValue | None:
    """A Python attr value as an AttrValue; None for None (the attr is left out).

    DType -> type, TensorShape -> shape, bool -> b, int -> i, float -> f, str/bytes -> s,
    numpy array -> tensor, list/tuple of those -> list (ints mixed with floats -> f).
    """
    if value is None:
        return None
    if isinstance(value, attr_value_pb2.AttrValue):
        out = attr_value_pb2.AttrValue()
        out.CopyFrom(value)
        return out
    out = attr_value_pb2.AttrValue()
    if isinstance(value, (list, tuple)):
        out.list.SetInParent()
        kinds = {_attr_kind(v) for v in value}
        if kinds == {"i", "f"}:
            kinds = {"f"}
        if len(kinds) > 1:
            raise TypeError(f"Can't convert a list mixing {sorted(kinds)} values to an AttrValue: {value!r:.80}")
        if not kinds:
            return out
        kind = kinds.pop()
        field = getattr(out.list, kind)
        if kind == "shape":
            field.extend(shape_to_proto(v) for v in value)
        elif kind == "tensor":
            field.extend(make_tensor_proto(v) for v in value)
        elif kind == "func":
            field.extend(value)
        else:
            field.extend(_scalar_to_field(kind, v) for v in value)
        return out
    kind = _attr_kind(value)
    if kind == "shape":
        out.shape.CopyFrom(shape_to_proto(value))
    elif kind == "tensor":
        out.tensor.CopyFrom(make_tensor_proto(value))
    elif kind == "func":
        out.func.CopyFrom(value)
    else:
        setattr(out, kind, _scalar_to_field(kind, value))
    return out


def _float32_value(f: float) -> float:
    """The shortest decimal that reads back as float32 `f` (0.1 stays 0.1, not 0.100000001)."""
    return float(str(np.float32(f)))


def _string_value(s: bytes):
    try:
        return s.decode("utf-8")
    except UnicodeDecodeError:
        return s


def _from_list(lv: attr_value_pb2.AttrValue.ListValue) -> tuple:
    for kind in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
        items = getattr(lv, kind)
        if not items:
            continue
        if kind == "s":
            return tuple(_string_value(x) for x in items)
        if kind == "i":
            return tuple(int(x) for x in items)
        if kind == "f":
            return tuple(_float32_value(x) for x in items)
        if kind == "b":
            return tuple(bool(x) for x in items)
        if kind == "type":
            return tuple(_dtypes.as_dtype(int(x)).base_dtype for x in items)
        if kind == "shape":
            return tuple(shape_from_proto(x) for x in items)
        if kind == "tensor":
            return tuple(make_ndarray(x) for x in items)
        return tuple(items)
    return ()


# Imported constants with more elements than this (and than their TensorProto spells out) stay
# lazy: smaller ones keep their value for shape inference, as constants built in Python do.
LAZY_CONSTANT_ELEMENTS = 1000


def tensor_attr_from_proto(proto: tensor_pb2.TensorProto, node_name: str, lazy: bool = False):
    """A tensor attr of an imported node (already checked by `node_def_check`): a read-only array, or with
    `lazy` a `LazyConstant` when the proto broadcasts a few values over many more elements, decoded (and
    checked against available memory) only when a plan needs it."""
    n = tensor_proto_size(proto)
    if lazy and n > max(LAZY_CONSTANT_ELEMENTS, stored_values(proto)):
        kept = tensor_pb2.TensorProto()
        kept.CopyFrom(proto)
        shape = tuple(d.size for d in proto.tensor_shape.dim)
        return LazyConstant(kept, shape, _dtypes.as_dtype(proto.dtype), node_name, make_ndarray)
    array = make_ndarray(proto)
    array.setflags(write=False)
    return array


def attr_from_proto(attr_value: attr_value_pb2.AttrValue):
    """The Python value of an AttrValue: DType, TensorShape, int, float, bool, str (bytes when
    not UTF-8), numpy array, or a tuple of those for lists. Reference dtypes map to base types."""
    which = attr_value.WhichOneof("value")
    if which is None:
        return None
    if which == "s":
        return _string_value(attr_value.s)
    if which == "i":
        return int(attr_value.i)
    if which == "f":
        return _float32_value(attr_value.f)
    if which == "b":
        return bool(attr_value.b)
    if which == "type":
        return _dtypes.as_dtype(int(attr_value.type)).base_dtype
    if which == "shape":
        return shape_from_proto(attr_value.shape)
    if which == "tensor":
        return make_ndarray(attr_value.tensor)
    if which == "list":
        return _from_list(attr_value.list)
    if which == "placeholder":
        return attr_value.placeholder
    return attr_value.func


# ---- NodeDef / GraphDef export --------------------------------------------------------------
def _colocation_name(target) -> str | None:
    if isinstance(target, Tensor):
        return target.op.name
    if isinstance(target, Operation):
        return target.name
    op = getattr(target, "op", None)
    return op.name if isinstance(op, Operation) else None


def node_def_from_operation(op: Operation, add_shapes: bool = False, strict: bool = True, functions=None):
    """The NodeDef of one operation: name, op type, inputs ("x", "x:1", "^ctrl"), device, attrs.

    Attrs are the op's own, typed as its OpDef's `attr_types` say, plus those TF derives from
    the arguments (`input_names=("values: N * T", ...)`: N and T from the inputs), `_class`
    for colocation and, with `add_shapes`, `_output_shapes`. A function-graph attr becomes a
    `func` attr naming the function; `functions` (a `function_io.FunctionLibraryBuilder`) also collects its FunctionDef.
    With `strict=False` an attr that can't be encoded is dropped and named in
    `_estflow_unencodable_attr` instead of raising TypeError.
    """
    return _node_def(op, add_shapes, strict, functions, Tensor._as_node_def_input)


UNENCODABLE_ATTR = "_estflow_unencodable_attr"


class PythonObjectAttr(str):
    """An attr value standing for Python objects of this process (a tf.data pipeline, a function).

    The text describes them; `payload` holds them. A GraphDef can't hold Python objects, so
    a strict export raises `UnexportableGraphError` with `kind`, `why` and `advice`, and a
    non-strict one (TensorBoard's FileWriter) drops the attr with a note.
    """

    payload = None
    kind = "Op"  # "Dataset op": how the error names the node's kind
    why = "holds Python objects"
    advice = ""


class UnexportableGraphError(ValueError):
    """A graph holds an op that no GraphDef can represent (an attr of Python objects)."""


def _func_attr(value, functions):
    """A FuncGraph (or a list of them) as NameAttrList(s); other values unchanged."""
    if isinstance(value, FuncGraph):
        name = functions.function_name(value) if functions is not None else value.name
        return attr_value_pb2.NameAttrList(name=name)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, FuncGraph) for v in value):
        return [_func_attr(v, functions) for v in value]
    return value


def _node_def(op: Operation, add_shapes: bool, strict: bool, functions, tensor_ref, where: str = "",
              op_name=None):
    """A NodeDef of `op` whose inputs are named by `tensor_ref(tensor)` and `op_name(control_op)`
    (GraphDef style, or function-body style for the nodes of a FunctionDef)."""
    node = node_def_pb2.NodeDef(name=op._name, op=op._type)
    node.input.extend(tensor_ref(t) for t in op._inputs)
    node.input.extend("^" + (op_name(c) if op_name is not None else c._name) for c in op._control_inputs)
    if op._device:
        node.device = op._device
    dropped = []
    op_def = op._op_def
    attr_defs = op_def.attr_defs if op_def is not None else {}
    attrs = {**op._attrs, **op_def.derived_attrs(op)} if attr_defs else op._attrs
    for key, value in attrs.items():
        if isinstance(value, PythonObjectAttr):
            if not strict:
                dropped.append(f"{key}: Python objects ({value})")
                continue
            raise UnexportableGraphError(
                f"{value.kind} '{op._name}' (op: '{op._type}'){where} {value.why} and cannot be written to a "
                f"GraphDef (attr '{key}'): a GraphDef holds no Python objects. {value.advice}".rstrip())
        value = _func_attr(value, functions)  # errors inside a function name their own node
        try:
            attr_def = attr_defs.get(key)
            if attr_def is not None and (value is not None or attr_def.type == "shape"):
                value = attr_def.normalize(value)  # the AttrValue kind TF's OpDef declares
            proto = attr_to_proto(value)
        except (TypeError, ValueError) as e:
            if not strict:
                dropped.append(f"{key}: {type(value).__name__}")
                continue
            raise TypeError(f"Operation '{op._name}' (op: '{op._type}'){where} can't be written to a GraphDef: "
                            f"attr '{key}': {e}") from None
        if proto is not None:
            node.attr[key].CopyFrom(proto)
        elif strict and getattr(op._op_def, "attrs", {}).get(key) is not None:
            # None only ever means "not given" for an optional attr (default None); anywhere else
            # the value would silently vanish from the GraphDef.
            raise TypeError(f"Operation '{op._name}' (op: '{op._type}'){where} can't be written to a GraphDef: "
                            f"attr '{key}' has no value (None).")
    if op._colocation is not None and "_class" not in node.attr:
        target = _colocation_name(op._colocation)
        if target is not None and target != op._name:
            node.attr["_class"].list.s.append(b"loc:@" + target.encode("utf-8"))
    if add_shapes:
        shapes = node.attr["_output_shapes"].list
        shapes.SetInParent()
        shapes.shape.extend(shape_to_proto(t._shape) for t in op._outputs)
    if functions is not None:
        dropped.extend(functions.annotate(op, node, strict))
    if dropped:
        node.attr[UNENCODABLE_ATTR].list.s.extend(d.encode("utf-8") for d in dropped)
    return node


def graph_to_graph_def(graph: Graph, add_shapes: bool = False, strict: bool = True) -> graph_pb2.GraphDef:
    """`graph` as a GraphDef (TensorFlow's wire format: TensorBoard draws it, TF imports it).

    The function graphs of functional ops (`while_loop`'s cond and body) go to
    `graph_def.library` as FunctionDefs. With `strict=False` (TensorBoard's FileWriter)
    attrs that can't be encoded are dropped with a note instead of raising.
    """
    from estflow.core import function_io  # function_io builds on this module

    functions = function_io.FunctionLibraryBuilder(add_shapes=add_shapes, strict=strict)
    graph_def = graph_pb2.GraphDef()
    graph_def.versions.producer = GRAPH_DEF_VERSION
    graph_def.versions.min_consumer = GRAPH_DEF_VERSION_MIN_CONSUMER
    graph_def.node.extend(_node_def(op, add_shapes, strict, functions, Tensor._as_node_def_input)
                          for op in graph.get_operations())
    if functions.library.function:
        graph_def.library.CopyFrom(functions.library)
    return graph_def


# ---- import ---------------------------------------------------------------------------------
def _parse_input(name: str):
    """("x", 0, False) for "x", ("x", 1, False) for "x:1", ("x", None, True) for "^x"."""
    if name.startswith("^"):
        return name[1:], None, True
    op_name, sep, index = name.rpartition(":")
    if sep and index.isdigit():
        return op_name, int(index), False
    return name, 0, False


def _canonical_map_key(key) -> str:
    if not isinstance(key, str):
        raise TypeError(f"input_map keys are tensor names (strings), got {key!r}.")
    op_name, index, is_control = _parse_input(key)
    return f"^{op_name}" if is_control else f"{op_name}:{index}"


def _topological_order(nodes: list, by_name: dict, node_of=None, where: str = "graph_def") -> list:
    """The nodes ordered so each comes after its inputs; ValueError on a cycle.

    `node_of(input_string)` names the node an input string refers to (default: GraphDef style).
    """
    node_of = node_of or (lambda inp: _parse_input(inp)[0])
    order, state = [], {}  # state: 1 visiting, 2 done
    for root in nodes:
        if state.get(root.name) == 2:
            continue
        stack = [(root, iter(root.input))]
        state[root.name] = 1
        while stack:
            node, inputs = stack[-1]
            advanced = False
            for inp in inputs:
                dep = by_name.get(node_of(inp))
                if dep is None or state.get(dep.name) == 2:
                    continue
                if state.get(dep.name) == 1:
                    raise ValueError(f"{where} contains a cycle through node '{dep.name}' (TF1 while loops "
                                     f"with NextIteration edges can't be imported by estflow).")
                state[dep.name] = 1
                stack.append((dep, iter(dep.input)))
                advanced = True
                break
            if not advanced:
                stack.pop()
                state[node.name] = 2
                order.append(node)
    return order


def _single_op(result) -> Operation:
    if isinstance(result, Tensor):
        return result.op
    if isinstance(result, Operation):
        return result
    return result[0].op


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None, op_dict=None,
                     producer_op_list=None):
    """Add the nodes of `graph_def` to the default graph, as `tf.import_graph_def`.

    Nodes are named `name/original_name` (`name` defaults to "import"; "" imports the
    names unchanged). `input_map` maps tensor names of `graph_def` ("x:0" or "x") to
    tensors of this graph that replace them; `return_elements` names tensors ("y:0") or
    operations ("train") of `graph_def` to return, in order.

        x = tf.placeholder(tf.float32, [None, 3])
        logits, = tf.import_graph_def(gd, input_map={"features:0": x}, return_elements=["logits:0"])

    `op_dict` is deprecated and unused in TF1 too. `producer_op_list` lets TF1 drop attrs its
    own OpDefs do not know when they hold the producer's default; estflow reads only the
    attrs its OpDefs declare, so the list cannot change what is imported.
    """
    del op_dict, producer_op_list  # TF1 legacy arguments: attrs are decoded by estflow's own OpDefs
    from estflow.core import function_io  # also registers TF's StatelessWhile

    if not isinstance(graph_def, graph_pb2.GraphDef):
        raise TypeError(f"graph_def must be a GraphDef proto, got {type(graph_def).__name__}.")
    graph = get_default_graph()
    if graph.finalized:
        raise RuntimeError("Graph is finalized and cannot be modified.")

    mapped = {}
    for key, value in (input_map or {}).items():
        if hasattr(value, "_as_graph_element") and not isinstance(value, (Tensor, Operation)):
            value = value._as_graph_element()
        k = _canonical_map_key(key)
        if k.startswith("^"):
            if isinstance(value, Tensor):
                value = value.op
            if not isinstance(value, Operation):
                raise TypeError(f"input_map['{key}'] must be an Operation, got {value!r}.")
        elif not isinstance(value, Tensor):
            raise TypeError(f"input_map['{key}'] must be a Tensor, got {value!r}.")
        if value.graph is not graph:
            raise ValueError(f"input_map['{key}'] ({value.name}) must be from the default graph.")
        mapped[k] = value

    nodes = list(graph_def.node)
    by_name = {}
    for node in nodes:
        if node.name in by_name:
            raise ValueError(f"graph_def has two nodes named '{node.name}'.")
        by_name[node.name] = node
    op_defs = {}
    for node in nodes:
        try:
            op_defs[node.name] = registry.get_op_def(node.op)
        except ValueError:
            raise ValueError(f"Op type not registered '{node.op}' in estflow (node '{node.name}' of the "
                             f"graph_def): it can't be imported.") from None
    for node in nodes:
        check_node_def(node, op_defs[node.name])
        for inp in node.input:
            if _parse_input(inp)[0] not in by_name:
                raise ValueError(f"Node '{node.name}': Unknown input node '{inp}'.")
    missing = sorted(k for k in mapped if not _mapped_key_exists(k, by_name))
    if missing:
        raise ValueError(f"Attempted to map inputs that were not found in graph_def: [{', '.join(missing)}]")
    functions = function_io.FunctionLibraryImporter(graph_def.library)
    functions.check(nodes)

    order = _topological_order(nodes, by_name)
    outer_deps = graph._current_control_dependencies([])
    imported: dict[str, Operation] = {}
    with graph.name_scope(name if name is not None else "import") as scope:
        check_graph_input_dtypes(nodes, op_defs, by_name, mapped, _parse_input, scope)  # before building anything
        functions.scope = scope
        with graph.control_dependencies(None):
            for node in order:
                try:
                    imported[node.name] = _import_node(graph, node, op_defs[node.name], scope, imported, mapped,
                                                       outer_deps, functions)
                except ValueError as e:
                    text = str(e)
                    if f"'{node.name}'" in text or f"node {node.name}" in text or f"node {scope}{node.name}" in text:
                        raise
                    raise ValueError(f"Node '{node.name}' (op: '{node.op}') of the graph_def: {e}") from e
                except (TypeError, AttributeError, IndexError, KeyError, OverflowError, ArithmeticError,
                        MemoryError) as e:
                    # what the node's checked attrs still can't build (an op's own shape or dtype rule)
                    raise ValueError(f"Node '{node.name}' (op: '{node.op}') of the graph_def can't be imported: "
                                     f"{type(e).__name__}: {e}") from e

    if return_elements is None:
        return None
    out = []
    for element in return_elements:
        if not isinstance(element, str):
            raise TypeError(f"return_elements must be names (strings), got {element!r}.")
        if ":" in element:
            key = _canonical_map_key(element)
            if key in mapped:
                out.append(mapped[key])
                continue
            op_name, index, _ = _parse_input(element)
            op = imported.get(op_name)
            if op is None or index >= len(op._outputs):
                raise ValueError(f"Requested return_element '{element}' not found in graph_def.")
            out.append(op._outputs[index])
        else:
            op = imported.get(element)
            if op is None:
                raise ValueError(f"Requested return_element '{element}' not found in graph_def.")
            out.append(op)
    return out


def _mapped_key_exists(key: str, by_name: dict) -> bool:
    """Whether an input_map key names a node of graph_def (consumed or not, as TF1 accepts)."""
    op_name = key[1:] if key.startswith("^") else key.rpartition(":")[0]
    return op_name in by_name


def _import_node(graph: Graph, node, op_def, scope: str, imported: dict, mapped: dict, outer_deps,
                 functions) -> Operation:
    inputs, control = [], []
    for i, inp in enumerate(node.input):
        op_name, index, is_control = _parse_input(inp)
        if is_control:
            op = mapped.get("^" + op_name) or imported[op_name]
            if op not in control:
                control.append(op)
            continue
        source = imported[op_name]
        if index >= len(source._outputs):
            raise ValueError(f"Node '{node.name}': Connecting to invalid output {index} of source node {op_name} "
                             f"which has {len(source._outputs)} outputs.")
        t = mapped.get(f"{op_name}:{index}")
        if t is None:
            t = source._outputs[index]
        elif t.dtype != source._outputs[index].dtype:
            raise ValueError(f"Input {i} of node {scope}{node.name} was passed {t.dtype.name} from {t.name} "
                             f"incompatible with expected {source._outputs[index].dtype.name}.")
        inputs.append(t)
    check_input_dtypes(node, op_def, inputs, scope + node.name)
    if not node.input:
        control.extend(d for d in outer_deps if d not in control)
    attrs = functions.decode_attrs(node, op_def, graph)
    attrs = functions.prepare(node, attrs, inputs, imported.get)
    full_name = graph.unique_name(node.name)
    if full_name != scope + node.name:
        raise ValueError(f"Duplicate node name in graph: '{scope}{node.name}'")
    device = graph.device(node.device) if node.device else contextlib.nullcontext()
    target = _colocation_target(node, imported)
    colocation = graph.colocate_with(target) if target is not None else contextlib.nullcontext()
    with device, colocation:
        result = registry.apply_op(node.op, *inputs, name=full_name + "/", control_inputs=control, graph=graph,
                                   **attrs)
    op = _single_op(result)
    _narrow_shapes(node, op)
    functions.finish(node, op, imported.get)
    return op


def _narrow_shapes(node, op: Operation) -> None:
    """Apply a node's recorded `_output_shapes` where they are more specific than estflow's."""
    if "_output_shapes" in node.attr:
        for t, shape in zip(op._outputs, node.attr["_output_shapes"].list.shape, strict=False):
            s = shape_from_proto(shape)
            if t.shape.is_compatible_with(s):  # TF's recorded shapes only ever narrow estflow's
                t.set_shape(s)


def _colocation_target(node, imported: dict):
    """The already-imported op a `_class: "loc:@name"` attr colocates this node with, if any."""
    if "_class" not in node.attr:
        return None
    for spec in node.attr["_class"].list.s:
        if spec.startswith(b"loc:@"):
            target = imported.get(spec[5:].decode("utf-8", "replace"))
            if target is not None:
                return target
    return None


# ---- files ----------------------------------------------------------------------------------
def write_graph(graph_or_graph_def, logdir, name, as_text=True) -> str:
    """Write a graph (or any proto: GraphDef, MetaGraphDef) to `logdir/name`, as `tf.train.write_graph`.

    Text format when `as_text`, else binary; the directory is created; the file is
    replaced atomically. Returns the path written.
    """
    if isinstance(graph_or_graph_def, Graph):
        graph_def = graph_or_graph_def.as_graph_def()
    else:
        graph_def = graph_or_graph_def
    logdir = os.fspath(logdir)
    os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, os.fspath(name))
    if as_text:
        data = text_format.MessageToString(graph_def).encode("utf-8")
    else:
        data = graph_def.SerializeToString(deterministic=True)
    atomic_write(path, data)
    return path


def read_graph_def(path) -> graph_pb2.GraphDef:
    """Read a GraphDef written by `write_graph` (text or binary: the format is detected)."""
    with open(os.fspath(path), "rb") as f:
        data = f.read()
    graph_def = graph_pb2.GraphDef()
    try:
        graph_def.ParseFromString(data)
        return graph_def
    except Exception as e:  # noqa: BLE001 - not binary: try the text format
        binary_error = e
        graph_def = graph_pb2.GraphDef()
    try:
        text_format.Parse(data.decode("utf-8"), graph_def)
    except (UnicodeDecodeError, text_format.ParseError) as e:
        raise ValueError(f"Cannot parse file {os.fspath(path)} as a GraphDef: not a binary one ({binary_error}) "
                         f"nor a text one ({e}).") from None
    return graph_def
