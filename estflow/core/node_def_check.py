"""NodeDefs checked against their op's definition, as TensorFlow checks a GraphDef it imports.

`check_node_def(node, op_def)` runs TF's ValidateNodeDef over one NodeDef before estflow
builds anything from it, and raises ValueError in TF's words, naming the node:

- input syntax: data inputs before control inputs, no ':' in a control input, legal names;
- every attr against the op's `AttrDef`: an attr the op doesn't declare ("NodeDef mentions
  attr 'x' not in Op<...>"), the AttrValue kind ("AttrValue had value with type 'list(type)'
  when 'type' expected"), DataType enums, minimums, TF's allowed values ("Value for attr 'T'
  of string is not in the list of allowed values: ..."), shapes, and tensors whose content
  disagrees with their shape and dtype;
- attrs the op requires ("NodeDef missing attr 'T' from Op<...>");
- the number of inputs the attrs imply ("NodeDef expected inputs 'float, float' do not match
  3 inputs specified");
- a Const whose tensor's dtype is not its `dtype` attr.

`check_input_dtypes` then checks each input tensor's dtype against what the attrs say
("Input 0 of node X was passed float from Y:0 incompatible with expected int32").
"""

from __future__ import annotations

import re

from estflow.core import dtypes as _dtypes
from estflow.core.lazy_constant import datatype_string
from estflow.core.protos import types_pb2
from estflow.core.registry import FIXED_TYPES, REQUIRED, OpDef

_MAX_RANK = 254
_MAX_ELEMENTS = (1 << 63) - 1
_MAX_LIST_LENGTH = (1 << 31) - 1  # TF keeps argument list lengths in an int32
_NAME = r"[A-Za-z0-9.][A-Za-z0-9_./\-]*(?:>[A-Za-z0-9.][A-Za-z0-9_./\-]*)*"
_NODE_NAME = re.compile(_NAME)
_DATA_INPUT = re.compile(_NAME + r"(?::(?:0|[1-9][0-9]*))?")
_CONTROL_INPUT = re.compile(r"\^" + _NAME)

# The AttrValue field of each scalar attr type, and the type name TF gives each field.
_FIELD_OF = {"string": "s", "int": "i", "float": "f", "bool": "b", "type": "type", "shape": "shape",
             "tensor": "tensor", "func": "func"}
_TYPE_OF = {field: kind for kind, field in _FIELD_OF.items()}
_VALID_ENUMS = frozenset(types_pb2.DataType.values())

# The typed value field of a TensorProto for each dtype (TF's encoding), and how many numbers one
# element takes there (complex numbers: two).
_VALUE_FIELDS = ("half_val", "float_val", "double_val", "int_val", "string_val", "scomplex_val", "int64_val",
                 "bool_val", "dcomplex_val", "uint32_val", "uint64_val")
_FIELD_OF_DTYPE = {
    _dtypes.float16: "half_val", _dtypes.float32: "float_val", _dtypes.float64: "double_val",
    _dtypes.int8: "int_val", _dtypes.int16: "int_val", _dtypes.int32: "int_val", _dtypes.uint8: "int_val",
    _dtypes.uint16: "int_val", _dtypes.int64: "int64_val", _dtypes.uint32: "uint32_val",
    _dtypes.uint64: "uint64_val", _dtypes.bool: "bool_val", _dtypes.string: "string_val",
    _dtypes.complex64: "scomplex_val", _dtypes.complex128: "dcomplex_val", _dtypes.bfloat16: "half_val",
}


def _own_arguments(op_def: OpDef) -> bool:
    """Whether estflow builds the op with other arguments than TF's: it has attrs of estflow's own
    (MakeIterator's dataset; tests/core/test_registry.py lists them) or passes handles (resource, variant)
    as host objects of its own (iterators, datasets). Their attrs are checked, their arguments are not."""
    if set(op_def.attrs) - set(op_def.attr_types):
        return True
    return any(a.type in ("resource", "variant") for a in op_def.input_args + op_def.output_args)


def _node(name: str) -> str:
    return f"{{{{node {name}}}}}"


def summarize_op_def(op_def: OpDef) -> str:
    """TF's one-line OpDef summary: "Op<name=AddV2; signature=x:T, y:T -> z:T; attr=T:type,allowed=[...]>"."""
    def sig(specs):
        return ", ".join(s.replace(" ", "") for s in specs)

    parts = [f"name={op_def.name}", f"signature={sig(op_def.input_names)} -> {sig(op_def.output_names)}"]
    for attr in op_def.attr_defs.values():
        text = f"attr={attr.name}:{attr.type}"
        if attr.minimum is not None:
            text += f",min={attr.minimum}"
        if attr.allowed:
            if attr.type.endswith("type") or attr.type.endswith("type)"):
                text += ",allowed=[" + ", ".join("DT_" + v.upper() for v in attr.allowed) + "]"
            else:
                text += ",allowed=[" + ", ".join(f'"{v}"' for v in attr.allowed) + "]"
        parts.append(text)
    return "Op<" + "; ".join(parts) + ">"


def _fail(message: str):
    raise ValueError(message)


# ---- TensorProto ---------------------------------------------------------------------------------
def tensor_proto_problem(proto) -> str | None:
    """Why a TensorProto can't be a tensor (None: it can): dtype, shape, content length, value count."""
    if proto.dtype not in _VALID_ENUMS or proto.dtype == types_pb2.DT_INVALID:
        return f"TensorProto has invalid DataType enum: {proto.dtype}"
    try:
        dtype = _dtypes.as_dtype(int(proto.dtype))
    except (TypeError, ValueError):
        return f"TensorProto has dtype {datatype_string(proto.dtype)}, which estflow does not support"
    shape = proto.tensor_shape
    dims = [d.size for d in shape.dim]
    if shape.unknown_rank:
        return "TensorProto has a shape of unknown rank: a tensor's shape must be fully defined"
    if len(dims) > _MAX_RANK:
        return f"Shape has {len(dims)} dimensions which is over the limit of {_MAX_RANK}"
    if any(d < 0 for d in dims):
        return f"Shape [{','.join(map(str, dims))}] has negative dimensions"
    n = 1
    for d in dims:
        n *= d
    if n > _MAX_ELEMENTS:
        return f"Shape [{','.join(map(str, dims))}] is too large (more than 2**63 - 1 entries)"
    set_fields = [f for f in _VALUE_FIELDS if len(getattr(proto, f))]
    if proto.tensor_content and dtype != _dtypes.string:
        if set_fields:
            return f"TensorProto holds both tensor_content and {set_fields[0]}"
        need = n * dtype.size
        if len(proto.tensor_content) != need:
            return (f"tensor_content holds {len(proto.tensor_content)} bytes, but shape [{','.join(map(str, dims))}] "
                    f"of dtype {datatype_string(proto.dtype)} needs {need}")
        return None
    expected = _FIELD_OF_DTYPE.get(dtype)
    foreign = [f for f in set_fields if f != expected]
    if foreign:
        return (f"TensorProto of dtype {datatype_string(proto.dtype)} holds values in {foreign[0]} "
                f"(its values belong in {expected})")
    count = len(getattr(proto, expected)) if expected else 0
    if dtype in (_dtypes.complex64, _dtypes.complex128):
        if count % 2:
            return f"{expected} holds {count} numbers: complex values come in (real, imaginary) pairs"
        count //= 2
    if count > n:
        return f"TensorProto holds {count} values but its shape [{','.join(map(str, dims))}] has {n} elements"
    return None


def tensor_proto_size(proto) -> int:
    """The number of elements a (checked) TensorProto's shape holds."""
    n = 1
    for d in proto.tensor_shape.dim:
        n *= d.size
    return n


def stored_values(proto) -> int:
    """How many elements a (checked) TensorProto spells out; the rest repeat the last one."""
    if proto.tensor_content:
        return tensor_proto_size(proto)
    return max((len(getattr(proto, f)) for f in _VALUE_FIELDS), default=0)


# ---- AttrValue -----------------------------------------------------------------------------------
def _type_problem(enum: int) -> str | None:
    # NOTE: TF also refuses reference types ("float_ref") here; estflow reads them as their base type
    # (graphs written by old TF1 tools carry them), as it always has.
    if enum not in _VALID_ENUMS:
        return f"AttrValue has invalid DataType enum: {enum}"
    if enum == types_pb2.DT_INVALID:
        return "AttrValue has invalid DataType"
    return None


def _shape_problem(shape) -> str | None:
    dims = [d.size for d in shape.dim]
    if shape.unknown_rank and dims:
        return "Unknown rank with dims: a TensorShapeProto with unknown_rank lists no dimensions"
    if len(dims) > _MAX_RANK:
        return f"Shape has {len(dims)} dimensions which is over the limit of {_MAX_RANK}"
    if any(d < -1 for d in dims):
        return f"Shape [{','.join(map(str, dims))}] has dimensions with values below -1 (where -1 means unknown)"
    return None


def attr_value_problem(av, attr_def) -> str | None:
    """Why AttrValue `av` is not a valid value of `attr_def` (None: it is), in TF's words."""
    kind = attr_def.type
    is_list = kind.startswith("list(")
    item = kind[5:-1] if is_list else kind
    which = av.WhichOneof("value")
    if which == "placeholder":
        return None  # a function's attr placeholder: bound when the function is instantiated
    if which == "list":
        kinds = [f for f in ("s", "i", "f", "b", "type", "shape", "tensor", "func") if len(getattr(av.list, f))]
        for f in kinds:
            if not is_list or f != _FIELD_OF.get(item):
                return f"AttrValue had value with type 'list({_TYPE_OF[f]})' when '{kind}' expected"
        if not kinds and not is_list:
            return f"AttrValue missing value with expected type '{kind}'"
    elif which is None:
        if not is_list:
            return f"AttrValue missing value with expected type '{kind}'"
    elif kind == "func" and which == "s":
        return None  # NOTE: estflow writes a dataset's Python function by name (it can't export its body)
    elif is_list or _FIELD_OF.get(kind) != which:
        return f"AttrValue had value with type '{_TYPE_OF[which]}' when '{kind}' expected"
    values = list(getattr(av.list, _FIELD_OF.get(item, "s"))) if is_list else (
        [getattr(av, which)] if which is not None else [])
    if item == "type":
        for v in values:
            problem = _type_problem(int(v))
            if problem:
                return problem
    elif item == "shape":
        for v in values:
            problem = _shape_problem(v)
            if problem:
                return problem
    elif item == "tensor":
        for v in values:
            problem = tensor_proto_problem(v)
            if problem:
                return f"Attr {attr_def.name} has value that can't be converted to a Tensor: {problem}"
    if attr_def.minimum is not None:
        if is_list and len(values) < attr_def.minimum:
            return f"Length for attr '{attr_def.name}' of {len(values)} must be at least minimum {attr_def.minimum}"
        if kind == "int" and values[0] < attr_def.minimum:
            return f"Value for attr '{attr_def.name}' of {values[0]} must be at least minimum {attr_def.minimum}"
    if attr_def.allowed:
        for v in values:
            if item == "type" and datatype_string(int(v)) not in attr_def.allowed:
                return (f"Value for attr '{attr_def.name}' of {datatype_string(int(v))} is not in the list of allowed "
                        f"values: {', '.join(attr_def.allowed)}")
            if item == "string" and v.decode("utf-8", "replace") not in attr_def.allowed:
                return (f"Value for attr '{attr_def.name}' of \"{v.decode('utf-8', 'backslashreplace')}\" is not in "
                        f"the list of allowed values: {', '.join(chr(34) + a + chr(34) for a in attr_def.allowed)}")
    if item == "type":
        for v in values:
            try:
                _dtypes.as_dtype(int(v))
            except (TypeError, ValueError):
                return (f"Value for attr '{attr_def.name}' of {datatype_string(int(v))} is a dtype estflow does "
                        "not support")
    return None


# ---- NodeDef -------------------------------------------------------------------------------------
def check_node_def(node, op_def: OpDef, graph_style: bool = True) -> None:
    """ValueError (TF's wording, naming the node) unless `node` is a valid NodeDef of `op_def`.

    `graph_style`: inputs are GraphDef references ("x", "x:1", "^x"); False for the nodes
    of a FunctionDef, whose inputs name function outputs ("x:output:0") and are resolved later.
    """
    name = node.name
    if graph_style and not _NODE_NAME.fullmatch(name):
        _fail(f"Illegal op name '{name}'; NodeDef: {_node(name)}")
    seen_control, n_data = False, 0
    for inp in node.input:
        if inp.startswith("^"):
            seen_control = True
            if ":" in inp:
                _fail(f"Control input '{inp}' must not have ':' in NodeDef: {_node(name)}")
            if graph_style and not _CONTROL_INPUT.fullmatch(inp):
                _fail(f"Illegal op input name '{inp}'; NodeDef: {_node(name)}")
        elif seen_control:
            _fail(f"Non-control input '{inp}' after control input in NodeDef: {_node(name)}")
        else:
            n_data += 1
            if graph_style and not _DATA_INPUT.fullmatch(inp):
                _fail(f"Illegal op input name '{inp}'; NodeDef: {_node(name)}")
    attr_defs = op_def.attr_defs
    for key in node.attr:
        if key.startswith("_"):
            continue  # TF's internal optional attrs (_class, _output_shapes, ...)
        attr_def = attr_defs.get(key)
        if attr_def is None:
            if key in op_def.attrs:
                continue  # an attr of estflow's own that TF's op lacks (tests/core/test_registry.py)
            _fail(f"NodeDef mentions attr '{key}' not in {summarize_op_def(op_def)}; NodeDef: {_node(name)}. "
                  "(Check whether your GraphDef-interpreting binary is up to date with your GraphDef-generating "
                  "binary.).")
        problem = attr_value_problem(node.attr[key], attr_def)
        if problem:
            _fail(f"{problem}\n\t for attr '{key}'\n\t; NodeDef: {_node(name)}; {summarize_op_def(op_def)}")
    missing = sorted(k for k, d in attr_defs.items() if d.default is REQUIRED and k not in node.attr)
    if missing and not _own_arguments(op_def):
        _fail(f"NodeDef missing attr{'s' if len(missing) > 1 else ''} '{', '.join(missing)}' from "
              f"{summarize_op_def(op_def)}; NodeDef: {_node(name)}")
    # ops estflow alone defines may leave their args implicit
    if (op_def.input_names or op_def.attr_types) and not _own_arguments(op_def):
        expected = _input_types(node, op_def, n_data)
        if expected is not None and len(expected) != n_data:
            shown = ", ".join(datatype_string(t) if isinstance(t, int) else t for t in expected)
            _fail(f"NodeDef expected inputs '{shown}' do not match {n_data} inputs specified; "
                  f"{summarize_op_def(op_def)}; NodeDef: {_node(name)}")
    if op_def.name == "Const" and "value" in node.attr and "dtype" in node.attr:
        value_type, attr_type = node.attr["value"].tensor.dtype, node.attr["dtype"].type
        if value_type != attr_type:
            _fail(f"Type mismatch between value ({datatype_string(value_type)}) and dtype "
                  f"({datatype_string(attr_type)}); NodeDef: {_node(name)}")


def _attr_int(node, attr_def) -> int | None:
    if attr_def.name in node.attr:
        return int(node.attr[attr_def.name].i)
    default = attr_def.default
    return None if default is REQUIRED or default is None else int(default)


def _attr_type(node, attr_def) -> int | None:
    if attr_def.name in node.attr:
        return int(node.attr[attr_def.name].type)
    default = attr_def.default
    return None if default is REQUIRED or default is None else _dtypes.as_dtype(default).as_datatype_enum


def _input_types(node, op_def: OpDef, n_data: int) -> list | None:
    """The dtype enum (None: unknown) of each input the node's attrs imply; None when they don't say."""
    attr_defs = op_def.attr_defs
    out: list = []
    for arg in op_def.input_args:
        if arg.type_list_attr:
            if arg.type_list_attr not in node.attr:
                return None
            out.extend(int(t) for t in node.attr[arg.type_list_attr].list.type)
            continue
        if arg.type:
            enum = types_pb2.DataType.Value("DT_" + arg.type.upper()) if arg.type in FIXED_TYPES else None
        else:
            enum = _attr_type(node, attr_defs[arg.type_attr]) if arg.type_attr in attr_defs else None
        if arg.number_attr:
            n = _attr_int(node, attr_defs[arg.number_attr]) if arg.number_attr in attr_defs else None
            if n is None:
                return None
            if n < 0:
                _fail(f"Value for number_attr() {n} < 0; NodeDef: {_node(node.name)}")
            if n > _MAX_LIST_LENGTH or len(out) + n > n_data + _MAX_LIST_LENGTH:
                _fail(f"Number of outputs is too big: {n}; NodeDef: {_node(node.name)}")
            if len(out) + n > n_data:  # already too many: say so without listing them all
                return out + [enum] * min(n, n_data + 1 - len(out))
            out.extend([enum] * n)
        else:
            out.append(enum)
    return out


def check_input_dtypes(node, op_def: OpDef, inputs: list, full_name: str) -> None:
    """ValueError when an input tensor's dtype is not the one the node's attrs declare."""
    if _own_arguments(op_def):
        return
    expected = _input_types(node, op_def, len(inputs))
    if expected is None:
        return
    for i, (t, enum) in enumerate(zip(inputs, expected)):
        if enum is not None and t._dtype.as_datatype_enum != enum:  # a ref input reads as its value type
            _fail(f"Input {i} of node {full_name} was passed {datatype_string(t._dtype.as_datatype_enum)} from "
                  f"{t.name} incompatible with expected {datatype_string(enum)}.")


def output_type(node, op_def: OpDef, index: int) -> int | None:
    """The dtype enum of output `index` of a checked NodeDef, as its attrs declare it (None: they don't say,
    or the node has no such output)."""
    attr_defs = op_def.attr_defs
    for arg in op_def.output_args:
        if arg.type_list_attr:
            types = node.attr[arg.type_list_attr].list.type if arg.type_list_attr in node.attr else None
            if types is None:
                return None
            if index < len(types):
                return int(types[index])
            index -= len(types)
            continue
        count = 1
        if arg.number_attr:
            n = _attr_int(node, attr_defs[arg.number_attr]) if arg.number_attr in attr_defs else None
            if n is None:
                return None
            count = n
        if index < count:
            if arg.type:
                return types_pb2.DataType.Value("DT_" + arg.type.upper()) if arg.type in FIXED_TYPES else None
            return _attr_type(node, attr_defs[arg.type_attr]) if arg.type_attr in attr_defs else None
        index -= count
    return None


def num_outputs(node, op_def: OpDef) -> int | None:
    """How many outputs a checked NodeDef's attrs declare (None: they don't say)."""
    count = 0
    for arg in op_def.output_args:
        if arg.type_list_attr:
            if arg.type_list_attr not in node.attr:
                return None
            count += len(node.attr[arg.type_list_attr].list.type)
        elif arg.number_attr:
            n = _attr_int(node, op_def.attr_defs[arg.number_attr]) if arg.number_attr in op_def.attr_defs else None
            if n is None:
                return None
            count += n
        else:
            count += 1
    return count


def check_graph_input_dtypes(nodes, op_defs: dict, by_name: dict, mapped: dict, parse_input, scope: str) -> None:
    """Before anything is built: ValueError when a node's input names an output its source lacks, or comes
    from an output (or an `input_map` tensor) whose dtype, as the source's attrs declare it, is not what the
    node's attrs expect."""
    for node in nodes:
        op_def = op_defs[node.name]
        if _own_arguments(op_def):
            continue
        data = [inp for inp in node.input if not inp.startswith("^")]
        for inp in data:
            src, index, _ = parse_input(inp)
            source = by_name[src]
            if op_defs[src].output_names:
                n = num_outputs(source, op_defs[src])
                if n is not None and index >= n:
                    _fail(f"Node '{node.name}': Connecting to invalid output {index} of source node {src} which has "
                          f"{n} outputs.")
        expected = _input_types(node, op_def, len(data))
        if expected is None:
            continue
        for i, (inp, want) in enumerate(zip(data, expected)):
            if want is None:
                continue
            src, index, _ = parse_input(inp)
            tensor = mapped.get(f"{src}:{index}")
            if tensor is not None:
                got, where = tensor._dtype.as_datatype_enum, tensor.name
            elif _own_arguments(op_defs[src]):
                continue
            else:
                got, where = output_type(by_name[src], op_defs[src], index), f"{scope}{src}:{index}"
            if got is not None and got % 100 != want % 100:
                _fail(f"Input {i} of node {scope}{node.name} was passed {datatype_string(got % 100)} from {where} "
                      f"incompatible with expected {datatype_string(want % 100)}.")
