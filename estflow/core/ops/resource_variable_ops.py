"""Resource variables as TensorFlow 2 writes them into graphs: `VarHandleOp` and the ops that
read and write through its handle.

TF2 (and TF1 with `use_resource=True`) stores a variable behind a resource handle: a
`VarHandleOp` names it, `ReadVariableOp` reads it, `AssignVariableOp` writes it. Graphs and
SavedModels that TensorFlow writes today use them, so estflow runs them: the value lives in
the session's variable store under the handle's `shared_name` (the op name when it is empty),
beside the TF1 `VariableV2` values, so two sessions never share state.

A handle is a host object (an object scalar holding the store key), as a lookup table's is.
Writes store a fresh array, never update in place, so a value read earlier in the same step
stays what it was when read (TF's copy-on-write read semantics).
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, errors, row_rules
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, register


def _dims(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _key(handle) -> str:
    return handle.item() if isinstance(handle, np.ndarray) else handle


def _uninitialized(name: str):
    return errors.FailedPreconditionError(
        None, None, f"Could not find variable {name}. This could mean that the variable has been deleted or was "
                    "never initialized: run its initializer (or restore a checkpoint) first.")


def _check_handle(spec: TensorSpec, op: str) -> None:
    if spec.dtype != dtypes.resource:
        raise TypeError(f"{op}: input 'resource' expected type resource, got {spec.dtype.name}: pass the output of a "
                        "VarHandleOp.")


def _make_var_handle(op, ctx):
    handle = np.empty((), dtype=object)
    handle[()] = op._attrs["shared_name"] or op._name
    return lambda: handle


register(OpDef(
    "VarHandleOp",
    infer=lambda *, dtype, shape, container, shared_name, debug_name, allowed_devices: TensorSpec([], dtypes.resource),
    make_kernel=_make_var_handle,
    attrs={"dtype": REQUIRED, "shape": REQUIRED, "container": "", "shared_name": "", "debug_name": "",
           "allowed_devices": ()},
    stateful=True, cpu_only=True, differentiable=False, row_wise=row_rules.invariant,
    output_names=("resource: resource",),
    attr_types={"container": "string", "shared_name": "string", "debug_name": "string", "dtype": "type",
                "shape": "shape", "allowed_devices": "list(string)"},
))


def _infer_read(resource, *, dtype):
    _check_handle(resource, "ReadVariableOp")
    return TensorSpec(None, dtype)  # the variable's shape is not known from its handle


def _make_read(op, ctx):
    store = ctx.variables
    want = op._attrs["dtype"].as_numpy_dtype

    def read(handle):
        name = _key(handle)
        try:
            value = store[name]
        except KeyError:
            raise _uninitialized(name) from None
        if value.dtype != want and want is not object:
            raise errors.InvalidArgumentError(
                None, None, f"Trying to read variable {name} with wrong dtype. Expected "
                            f"{dtypes.as_dtype(want).name} got {dtypes.as_dtype(value.dtype).name}")
        return value

    return read


register(OpDef(
    "ReadVariableOp",
    infer=_infer_read,
    make_kernel=_make_read,
    attrs={"dtype": REQUIRED},
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("resource: resource",), output_names=("value: dtype",),
    attr_types={"dtype": "type"},
))


def _infer_assign(resource, value, *, validate_shape=False):
    _check_handle(resource, "AssignVariableOp")
    return []


def _make_assign(op, ctx):
    store = ctx.variables
    np_dtype = op._inputs[1].dtype.as_numpy_dtype
    validate = op._attrs.get("validate_shape", False)

    def assign(handle, value):
        name = _key(handle)
        arr = np.array(value, dtype=np_dtype, copy=True)
        cur = store.get(name)
        if validate and cur is not None and cur.shape != arr.shape:
            raise errors.InvalidArgumentError(
                None, None, f"Trying to assign to variable {name} with tensor with wrong shape. Expected "
                            f"{_dims(cur.shape)} got {_dims(arr.shape)}")
        store[name] = arr
        return ()

    return assign


register(OpDef(
    "AssignVariableOp",
    infer=_infer_assign,
    make_kernel=_make_assign,
    attrs={"validate_shape": False},
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("resource: resource", "value: dtype"), output_names=(),
    attr_types={"dtype": "type", "validate_shape": "bool"},
))


def _make_update(sign):
    def make(op, ctx):
        store = ctx.variables
        np_dtype = op._inputs[1].dtype.as_numpy_dtype

        def update(handle, value):
            name = _key(handle)
            try:
                cur = store[name]
            except KeyError:
                raise _uninitialized(name) from None
            value = np.asarray(value, dtype=np_dtype)
            if value.shape != cur.shape:
                raise errors.InvalidArgumentError(
                    None, None, f"Cannot update variable {name} with shape {_dims(cur.shape)} using a Tensor with "
                                f"shape {_dims(value.shape)}, shapes must be equal.")
            store[name] = (cur + value if sign > 0 else cur - value).astype(np_dtype, copy=False)
            return ()

        return update

    return make


for _type, _sign in (("AssignAddVariableOp", 1), ("AssignSubVariableOp", -1)):
    register(OpDef(
        _type,
        infer=lambda resource, value, _op=_type: (_check_handle(resource, _op) or []),
        make_kernel=_make_update(_sign),
        stateful=True, cpu_only=True, differentiable=False,
        input_names=("resource: resource", "value: dtype"), output_names=(),
        attr_types={"dtype": "type"},
    ))


def _make_is_initialized(op, ctx):
    store = ctx.variables
    return lambda handle: np.bool_(_key(handle) in store)


register(OpDef(
    "VarIsInitializedOp",
    infer=lambda resource: (_check_handle(resource, "VarIsInitializedOp"), TensorSpec([], dtypes.bool))[1],
    make_kernel=_make_is_initialized,
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("resource: resource",), output_names=("is_initialized: bool",),
))


def _make_variable_shape(op, ctx):
    store = ctx.variables
    np_dtype = op._attrs["out_type"].as_numpy_dtype

    def shape(handle):
        name = _key(handle)
        if name not in store:
            raise _uninitialized(name)
        return np.array(store[name].shape, dtype=np_dtype)

    return shape


register(OpDef(
    "VariableShape",
    infer=lambda input, *, out_type: (_check_handle(input, "VariableShape"), TensorSpec([None], out_type))[1],
    make_kernel=_make_variable_shape,
    attrs={"out_type": dtypes.int32},
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("input: resource",), output_names=("output: out_type",),
    attr_types={"out_type": "type"},
))


def _infer_gather(resource, indices, *, dtype, batch_dims, validate_indices):
    _check_handle(resource, "ResourceGather")
    if not indices.dtype.is_integer:
        raise TypeError(f"ResourceGather: indices must be int32 or int64, got {indices.dtype.name}.")
    if batch_dims:
        raise ValueError("ResourceGather with batch_dims != 0 is not supported by estflow; gather after "
                         "ReadVariableOp with tf.gather(..., batch_dims=...) instead.")
    return TensorSpec(None, dtype)  # the variable's shape is not known from its handle


def _make_gather(op, ctx):
    store = ctx.variables

    def gather(handle, indices):
        name = _key(handle)
        try:
            params = store[name]
        except KeyError:
            raise _uninitialized(name) from None
        indices = np.asarray(indices)
        if indices.size and (indices.min() < 0 or indices.max() >= params.shape[0]):
            flat = indices.reshape(-1)
            bad = int(flat[np.argmax((flat < 0) | (flat >= params.shape[0]))])
            raise errors.InvalidArgumentError(None, None, f"indices = {bad} is not in [0, {params.shape[0]})")
        return params[indices]  # fancy indexing: a fresh array

    return gather


register(OpDef(
    "ResourceGather",
    infer=_infer_gather,
    make_kernel=_make_gather,
    attrs={"dtype": REQUIRED, "batch_dims": 0, "validate_indices": True},
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("resource: resource", "indices: Tindices"), output_names=("output: dtype",),
    attr_types={"batch_dims": "int", "validate_indices": "bool", "dtype": "type", "Tindices": "type"},
))
