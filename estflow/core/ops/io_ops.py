"""Checkpoint ops: SaveV2, RestoreV2, MergeV2Checkpoints and ShardedFilename, as TF1 defines them.

Their kernels read and write TF's V2 bundle (`estflow.core.checkpoint_bundle`); they run
on the CPU and are stateful (never folded or cached), since they touch the file system.

    save = save_v2("/tmp/model.ckpt", ["w"], [""], [w])       # an Operation
    [w_value] = restore_v2("/tmp/model.ckpt", ["w"], [""], [tf.float32])
"""

from __future__ import annotations

import os

from estflow.core import checkpoint_bundle, errors
from estflow.core import dtypes as _dtypes
from estflow.core.graph import name_scope
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape


def _file_errors(kernel):
    """Report file-system failures as the errors.* class TF would (NotFound, PermissionDenied, ...)."""
    def wrapped(*args, **kwargs):
        try:
            return kernel(*args, **kwargs)
        except OSError as e:
            raise errors.from_os_error(e.filename, e) from e

    wrapped.__name__ = kernel.__name__
    return wrapped


def _text(value) -> str:
    v = value.item() if hasattr(value, "item") else value
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def _texts(values) -> list[str]:
    return [_text(v) for v in values.reshape(-1)]


def _check_scalar(spec, what: str) -> None:
    if spec.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {spec.shape.ndims} ({what})")


def _check_vector(spec, n, what: str) -> None:
    dims = spec.shape.as_tuple()
    if dims is None:
        return
    if len(dims) != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {len(dims)} ({what})")
    if n is not None and dims[0] is not None and dims[0] != n:
        raise ValueError(f"Dimension 0 in both shapes must be equal, but are {dims[0]} and {n} ({what} must "
                         f"have one entry per tensor)")


def _check_slices_unused(slices) -> None:
    for spec in slices:
        if spec:
            raise errors.UnimplementedError(None, None, f"Saving or restoring a slice ('{spec}') is not supported; "
                                                        f"estflow checkpoints hold whole tensors.")


# ---- SaveV2 ----------------------------------------------------------------------------------
def _infer_save(prefix, tensor_names, shape_and_slices, *tensors, dtypes):
    _check_scalar(prefix, "prefix")
    _check_vector(tensor_names, len(tensors), "tensor_names")
    _check_vector(shape_and_slices, len(tensors), "shape_and_slices")
    return []


def _save_kernel(xp, prefix, tensor_names, shape_and_slices, *tensors, dtypes):
    names = _texts(tensor_names)
    if len(names) != len(tensors):
        raise errors.InvalidArgumentError(None, None, f"Expected {len(tensors)} tensor names, got {len(names)}.")
    _check_slices_unused(_texts(shape_and_slices))
    bundle = checkpoint_bundle
    writer = bundle.BundleWriter(_text(prefix))
    try:
        for name, value in zip(names, tensors, strict=True):
            writer.add(name, value)
    except BaseException:
        writer.abort()
        raise
    writer.finish()


register(OpDef(
    "SaveV2",
    infer=_infer_save,
    kernel=_file_errors(_save_kernel),
    attrs={"dtypes": REQUIRED},
    stateful=True,
    cpu_only=True,
    differentiable=False,
    input_names=("prefix: string", "tensor_names: string", "shape_and_slices: string", "tensors: dtypes"),
    attr_types={"dtypes": "list(type) >= 1"},
))


def save_v2(prefix, tensor_names, shape_and_slices, tensors, name=None):
    """An op writing `tensors` under `tensor_names` as a V2 bundle at `prefix` (`tf.raw_ops.SaveV2`)."""
    tensors = [convert_to_tensor(t) for t in tensors]
    with name_scope(name, "SaveV2", tensors) as scope:
        prefix = convert_to_tensor(prefix, dtype=_dtypes.string, name="prefix")
        names = convert_to_tensor(list(tensor_names), dtype=_dtypes.string, name="tensor_names")
        slices = convert_to_tensor(list(shape_and_slices), dtype=_dtypes.string, name="shape_and_slices")
        return apply_op("SaveV2", prefix, names, slices, *tensors, name=scope,
                        dtypes=tuple(t.dtype for t in tensors))


# ---- RestoreV2 ---------------------------------------------------------------------------------
def _infer_restore(prefix, tensor_names, shape_and_slices, *, dtypes):
    _check_scalar(prefix, "prefix")
    _check_vector(tensor_names, len(dtypes), "tensor_names")
    _check_vector(shape_and_slices, len(dtypes), "shape_and_slices")
    return [TensorSpec(TensorShape(None), dt) for dt in dtypes]


def _restore_kernel(xp, prefix, tensor_names, shape_and_slices, *, dtypes):
    names = _texts(tensor_names)
    if len(names) != len(dtypes):
        raise errors.InvalidArgumentError(None, None, f"Expected {len(dtypes)} tensor names, got {len(names)}.")
    _check_slices_unused(_texts(shape_and_slices))
    with checkpoint_bundle.BundleReader(_text(prefix)) as reader:
        out = []
        for name, dtype in zip(names, dtypes, strict=True):
            stored = reader.dtype_of(name)
            if stored != dtype:
                raise errors.InvalidArgumentError(
                    None, None, f"tensor_name = {name}; expected dtype {dtype.name} does not equal original dtype "
                                f"{stored.name}")
            out.append(reader.get_tensor(name))
    return out[0] if len(out) == 1 else out  # the session stores a single output as is


register(OpDef(
    "RestoreV2",
    infer=_infer_restore,
    kernel=_file_errors(_restore_kernel),
    attrs={"dtypes": REQUIRED},
    stateful=True,
    cpu_only=True,
    differentiable=False,
    input_names=("prefix: string", "tensor_names: string", "shape_and_slices: string"),
    output_names=("tensors: dtypes",), attr_types={"dtypes": "list(type) >= 1"},
))


def restore_v2(prefix, tensor_names, shape_and_slices, dtypes, name=None):
    """Ops reading `tensor_names` from the bundle at `prefix`; returns one tensor per name."""
    dtypes = tuple(_dtypes.as_dtype(d) for d in dtypes)
    with name_scope(name, "RestoreV2") as scope:
        prefix = convert_to_tensor(prefix, dtype=_dtypes.string, name="prefix")
        names = convert_to_tensor(list(tensor_names), dtype=_dtypes.string, name="tensor_names")
        slices = convert_to_tensor(list(shape_and_slices), dtype=_dtypes.string, name="shape_and_slices")
        out = apply_op("RestoreV2", prefix, names, slices, name=scope, dtypes=dtypes)
    return out if isinstance(out, list) else [out]


# ---- MergeV2Checkpoints and ShardedFilename -----------------------------------------------------------
def _merge_kernel(xp, checkpoint_prefixes, destination_prefix, *, delete_old_dirs, allow_missing_files):
    bundle = checkpoint_bundle
    prefixes = _texts(checkpoint_prefixes)
    destination = _text(destination_prefix)
    present = [p for p in prefixes if os.path.exists(bundle.index_filename(p))]
    if len(present) != len(prefixes) and not allow_missing_files:
        missing = sorted(set(prefixes) - set(present))
        raise errors.NotFoundError(None, None, f"MergeV2Checkpoints: no checkpoint index at {missing[0]}.index")
    merged = {}
    num_shards = len(present)
    directory = os.path.dirname(destination)
    if directory:
        os.makedirs(directory, exist_ok=True)
    for shard, prefix in enumerate(present):
        with bundle.BundleReader(prefix) as reader:
            if reader.num_shards != 1:
                raise errors.InvalidArgumentError(None, None, f"MergeV2Checkpoints expects single-shard inputs; "
                                                              f"{prefix} has {reader.num_shards} shards.")
            for name in reader.keys():
                if name in merged:
                    raise errors.InvalidArgumentError(None, None, f"Duplicate tensor keyed by {name} encountered, "
                                                                  f"when merging prefix: {prefix}")
                entry = type(reader.entry(name))()
                entry.CopyFrom(reader.entry(name))
                entry.shard_id = shard
                merged[name] = entry
        os.replace(bundle.data_filename(prefix), bundle.data_filename(destination, shard, num_shards))
    bundle.write_index(destination, merged, num_shards=num_shards)
    for prefix in present:
        if os.path.abspath(prefix) != os.path.abspath(destination):
            os.remove(bundle.index_filename(prefix))
    if delete_old_dirs:
        keep = os.path.abspath(directory or ".")
        for prefix in present:
            old = os.path.abspath(os.path.dirname(prefix) or ".")
            if old != keep:
                try:
                    os.rmdir(old)  # only if empty, as TF's Env::DeleteDir
                except OSError:
                    pass


register(OpDef(
    "MergeV2Checkpoints",
    infer=lambda checkpoint_prefixes, destination_prefix, *, delete_old_dirs, allow_missing_files: [],
    kernel=_file_errors(_merge_kernel),
    attrs={"delete_old_dirs": True, "allow_missing_files": False},
    stateful=True,
    cpu_only=True,
    differentiable=False,
    input_names=("checkpoint_prefixes: string", "destination_prefix: string"),
    attr_types={"delete_old_dirs": "bool", "allow_missing_files": "bool"},
))


def merge_v2_checkpoints(checkpoint_prefixes, destination_prefix, delete_old_dirs=True, allow_missing_files=False,
                         name=None):
    """An op merging single-shard bundles into one multi-shard bundle at `destination_prefix`."""
    return apply_op("MergeV2Checkpoints", checkpoint_prefixes, destination_prefix, name=name or "MergeV2Checkpoints",
                    delete_old_dirs=delete_old_dirs, allow_missing_files=allow_missing_files)


def _sharded_filename_kernel(xp, basename, shard, num_shards):
    text = f"{_text(basename)}-{int(shard):05d}-of-{int(num_shards):05d}"
    return xp.array(text.encode("utf-8"), dtype=object)


register(OpDef(
    "ShardedFilename",
    infer=lambda basename, shard, num_shards: TensorSpec((), _dtypes.string),
    kernel=_sharded_filename_kernel,
    cpu_only=True,
    differentiable=False,
    input_names=("basename: string", "shard: int32", "num_shards: int32"), output_names=("filename: string",),
))


def sharded_filename(basename, shard, num_shards, name=None):
    """`basename-SSSSS-of-NNNNN`, the name of one shard's bundle before merging."""
    return apply_op("ShardedFilename", basename, shard, num_shards, name=name or "ShardedFilename")
