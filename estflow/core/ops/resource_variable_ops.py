"""The ops of TensorFlow 2's graphs that TF1-style SavedModels written by TF 2.x hold: resource
variables (`VarHandleOp`, `ReadVariableOp`, `AssignVariableOp`, `VarIsInitializedOp`,
`ResourceGather`), the functional `If`, and `ParseExampleV2`.

TensorFlow 2's Estimator (and `tf.compat.v1` code with resource variables) writes these, so
estflow imports and runs them: a SavedModel exported by TF 2.15 loads and predicts.

A resource handle is the variable's key in the session's variable store (its
`shared_name`, else the VarHandleOp's name); reads return the stored array, and an
assignment replaces it with a copy (never an in-place write), so a value read earlier
is never changed by a later assignment: TF's copy-on-write semantics. `If` runs the
taken branch's function graph (imported from the GraphDef's library), compiled once per
plan. `ParseExampleV2` is `ParseExample` with its keys as vectors (ragged features are
refused).
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, errors
from estflow.core import plan as _plan
from estflow.core.ops import parsing_ops
from estflow.core.ops.while_v2 import _SubPlan
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, register
from estflow.core.tensor_shape import TensorShape


def _handle_key(op) -> str:
    return op._attrs.get("shared_name") or op._name


def _uninitialized(key) -> errors.FailedPreconditionError:
    return errors.FailedPreconditionError(
        None, None, f"Could not find variable {key}. This could mean that the variable has been deleted. In TF1, "
                    f"it can also mean the variable is uninitialized.")


def _make_var_handle(op, ctx):
    key = _handle_key(op)
    return lambda: key


register(OpDef(
    "VarHandleOp",
    infer=lambda *, dtype, shape, container, shared_name, debug_name, allowed_devices: TensorSpec([],
                                                                                                   dtypes.resource),
    make_kernel=_make_var_handle,
    attrs={"dtype": REQUIRED, "shape": REQUIRED, "container": "", "shared_name": "", "debug_name": "",
           "allowed_devices": []},
    stateful=True,
    cpu_only=True,
    differentiable=False,
    output_names=("resource: resource",),
    attr_types={"container": "string", "shared_name": "string", "debug_name": "string", "dtype": "type",
                "shape": "shape", "allowed_devices": "list(string)"},
))


def _variable_shape(resource) -> TensorShape:
    op = resource.op if hasattr(resource, "op") else None
    if op is not None and getattr(op, "type", None) == "VarHandleOp":
        return TensorShape(op.get_attr("shape"))
    return TensorShape(None)


def _make_read(op, ctx):
    store = ctx.variables

    def read(handle):
        try:
            return store[handle]
        except KeyError:
            raise _uninitialized(handle) from None
    return read


def _read_infer(resource, *, dtype):
    return TensorSpec(None, dtype)


register(OpDef(
    "ReadVariableOp",
    infer=_read_infer,
    make_kernel=_make_read,
    attrs={"dtype": REQUIRED},
    stateful=True,
    cpu_only=True,
    differentiable=False,
    input_names=("resource: resource",), output_names=("value: dtype",),
    attr_types={"dtype": "type"},
))


def _make_assign(op, ctx):
    store = ctx.variables
    np_dtype = np.dtype(op._attrs["dtype"].as_numpy_dtype) if op._attrs["dtype"] != dtypes.string else object
    validate = op._attrs.get("validate_shape", False)

    def assign(handle, value):
        value = np.array(value, dtype=np_dtype, copy=True)
        current = store.get(handle)
        if validate and current is not None and current.shape != value.shape:
            raise errors.InvalidArgumentError(None, None, f"Trying to assign to variable with tensor with wrong "
                                                          f"shape. Expected {list(current.shape)} got "
                                                          f"{list(value.shape)}")
        store[handle] = value
    return assign


register(OpDef(
    "AssignVariableOp",
    infer=lambda resource, value, *, dtype, validate_shape: [],
    make_kernel=_make_assign,
    attrs={"dtype": REQUIRED, "validate_shape": False},
    stateful=True,
    cpu_only=True,
    differentiable=False,
    input_names=("resource: resource", "value: dtype"),
    attr_types={"dtype": "type", "validate_shape": "bool"},
))


def _make_is_initialized(op, ctx):
    store = ctx.variables
    return lambda handle: np.bool_(handle in store)


register(OpDef(
    "VarIsInitializedOp",
    infer=lambda resource: TensorSpec([], dtypes.bool),
    make_kernel=_make_is_initialized,
    stateful=True,
    cpu_only=True,
    differentiable=False,
    input_names=("resource: resource",), output_names=("is_initialized: bool",),
))


def _gather_infer(resource, indices, *, batch_dims, validate_indices, dtype, **_):
    if batch_dims != 0:
        raise ValueError(f"ResourceGather with batch_dims={batch_dims} is not supported by estflow (only 0).")
    return TensorSpec(None, dtype)


def _make_gather(op, ctx):
    store = ctx.variables

    def gather(handle, indices):
        try:
            params = store[handle]
        except KeyError:
            raise _uninitialized(handle) from None
        indices = np.asarray(indices)
        if indices.size and (indices.min() < 0 or indices.max() >= params.shape[0]):
            bad = indices[(indices < 0) | (indices >= params.shape[0])].flat[0]
            raise errors.InvalidArgumentError(None, None, f"indices = {bad} is not in [0, {params.shape[0]})")
        return np.take(params, indices, axis=0)
    return gather


register(OpDef(
    "ResourceGather",
    infer=_gather_infer,
    make_kernel=_make_gather,
    attrs={"batch_dims": 0, "validate_indices": True, "dtype": REQUIRED},
    stateful=True,
    cpu_only=True,
    differentiable=False,
    input_names=("resource: resource", "indices: Tindices"), output_names=("output: dtype",),
    attr_types={"batch_dims": "int", "validate_indices": "bool", "dtype": "type", "Tindices": "type"},
))


# ---- If ---------------------------------------------------------------------------------------------
def _if_infer(cond, *inputs, Tout, output_shapes, **_):  # noqa: N803
    shapes = list(output_shapes) or [None] * len(Tout)
    return [TensorSpec(s, t) for s, t in zip(shapes, Tout)]


def _make_if(op, ctx):
    compiler = _plan.Compiler(ctx.session)
    branches = []
    for attr in ("then_branch", "else_branch"):
        graph = op._attrs[attr]
        n_args = len(graph.inputs) - len(graph.captures)
        branches.append((_SubPlan(compiler, graph, graph.outputs, n_args, ctx.device_kind), n_args))
    then_plan, else_plan = branches

    def run_if(cond, *inputs):
        sub, n_args = then_plan if bool(np.asarray(cond).any() if np.asarray(cond).ndim else cond) else else_plan
        slots = sub(sub.base(()), inputs[:n_args])
        return [slots[s] for s in sub.fetch_slots]
    return run_if


register(OpDef(
    "If",
    infer=_if_infer,
    make_kernel=_make_if,
    attrs={"Tcond": REQUIRED, "Tin": REQUIRED, "Tout": REQUIRED, "then_branch": REQUIRED, "else_branch": REQUIRED,
           "output_shapes": ()},
    stateful=True,
    cpu_only=True,
    differentiable=False,
    input_names=("cond: Tcond", "input: Tin"), output_names=("output: Tout",),
    attr_types={"Tcond": "type", "Tin": "list(type) >= 0", "Tout": "list(type) >= 0", "then_branch": "func",
                "else_branch": "func", "output_shapes": "list(shape)"},
))


# ---- ParseExampleV2 -------------------------------------------------------------------------------
def _keys_count(spec, what) -> int | None:
    if spec.value is not None:
        return int(np.asarray(spec.value).size)
    dims = spec.shape.as_tuple()
    return None if dims is None or len(dims) != 1 else dims[0]


def _parse_v2_infer(serialized, names, sparse_keys, dense_keys, ragged_keys, *defaults, Tdense, num_sparse,  # noqa: N803
                    sparse_types, ragged_value_types, ragged_split_types, dense_shapes):
    if ragged_value_types or ragged_split_types:
        raise ValueError("ParseExampleV2 with ragged features is not supported by estflow.")
    if serialized.shape.ndims not in (None, 1):
        raise ValueError(f"ParseExampleV2 of serialized with shape {serialized.shape} is not supported by estflow "
                         f"(a vector of serialized Examples only).")
    key_specs = [TensorSpec([], dtypes.string)] * (num_sparse + len(Tdense))
    return parsing_ops._parse_example_infer(serialized, names, *key_specs, *defaults, Nsparse=num_sparse,
                                            Ndense=len(Tdense), sparse_types=sparse_types, Tdense=Tdense,
                                            dense_shapes=dense_shapes)


def _parse_v2_kernel(xp, serialized, names, sparse_keys, dense_keys, ragged_keys, *defaults, Tdense, num_sparse,  # noqa: N803
                     sparse_types, ragged_value_types, ragged_split_types, dense_shapes):
    if ragged_keys.size:
        raise errors.InvalidArgumentError(None, None, "ParseExampleV2 with ragged features is not supported by "
                                                      "estflow.")
    sparse_keys, dense_keys = list(sparse_keys.reshape(-1)), list(dense_keys.reshape(-1))
    if len(sparse_keys) != num_sparse or len(dense_keys) != len(Tdense):
        raise errors.InvalidArgumentError(None, None, f"Expected len(sparse_keys) == num_sparse ({num_sparse}) and "
                                                      f"len(dense_keys) == len(Tdense) ({len(Tdense)}), got "
                                                      f"{len(sparse_keys)} and {len(dense_keys)}")
    if names.ndim == 0:
        names = names.reshape(-1)
    return parsing_ops._parse_example_kernel(xp, serialized, names, *sparse_keys, *dense_keys, *defaults,
                                             Nsparse=num_sparse, Ndense=len(Tdense), sparse_types=sparse_types,
                                             Tdense=Tdense, dense_shapes=dense_shapes)


register(OpDef(
    "ParseExampleV2",
    infer=_parse_v2_infer,
    kernel=_parse_v2_kernel,
    attrs={"Tdense": REQUIRED, "num_sparse": REQUIRED, "sparse_types": REQUIRED, "ragged_value_types": REQUIRED,
           "ragged_split_types": REQUIRED, "dense_shapes": REQUIRED},
    cpu_only=True,
    differentiable=False,
    input_names=("serialized: string", "names: string", "sparse_keys: string", "dense_keys: string",
                 "ragged_keys: string", "dense_defaults: Tdense"),
    output_names=("sparse_indices: num_sparse * int64", "sparse_values: sparse_types",
                  "sparse_shapes: num_sparse * int64", "dense_values: Tdense",
                  "ragged_values: ragged_value_types", "ragged_row_splits: ragged_split_types"),
    attr_types={"Tdense": "list(type) >= 0", "num_sparse": "int >= 0", "sparse_types": "list(type) >= 0",
                "ragged_value_types": "list(type) >= 0", "ragged_split_types": "list(type) >= 0",
                "dense_shapes": "list(shape) >= 0"},
))


register(OpDef(  # TF writes `If` as StatelessIf when neither branch has a stateful op; same inputs and attrs
    "StatelessIf",
    infer=_if_infer,
    make_kernel=_make_if,
    attrs={"Tcond": REQUIRED, "Tin": REQUIRED, "Tout": REQUIRED, "then_branch": REQUIRED, "else_branch": REQUIRED,
           "output_shapes": ()},
    cpu_only=True,
    differentiable=False,
    input_names=("cond: Tcond", "input: Tin"), output_names=("output: Tout",),
    attr_types={"Tcond": "type", "Tin": "list(type) >= 0", "Tout": "list(type) >= 0", "then_branch": "func",
                "else_branch": "func", "output_shapes": "list(shape)"},
))
