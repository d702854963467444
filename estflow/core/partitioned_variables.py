"""TF1's partitioned variables: a variable split along one axis into `name/part_<i>` variables.

    w = tf.get_variable("w", [10, 4], partitioner=tf.fixed_size_partitioner(2))
    list(w)                            # [w/part_0 (5, 4), w/part_1 (5, 4)]
    tf.nn.embedding_lookup(w, ids)     # sharded lookup ('mod' by default, as TF)
    w.as_tensor()                      # the concatenation, [10, 4]

Each part carries a `SaveSliceInfo` (full name, full shape, offset, its shape): the Saver
writes one full tensor `w` for them, which TensorFlow restores into its own partitioned (or
unpartitioned) variable. Partitions split an axis as TF's do: the first `size % n` parts get
one row more. The partitioners here are TF1's: `fixed_size_partitioner`,
`variable_axis_size_partitioner`, `min_max_variable_partitioner`.
"""

from __future__ import annotations

import math

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.ops.array_ops import identity
from estflow.core.ops.concat_ops import concat, split
from estflow.core.tensor_conversion_registry import register_tensor_conversion_function
from estflow.core.tensor_shape import TensorShape, as_shape
from estflow.core.variables import Variable


# ---- partitioners ------------------------------------------------------------------------------------
def fixed_size_partitioner(num_shards, axis=0):
    """A partitioner giving `num_shards` parts along `axis` (fewer when the axis is shorter), as
    `tf.fixed_size_partitioner`."""

    def _partitioner(shape, dtype):
        del dtype  # TF's signature
        if not isinstance(shape, TensorShape):
            raise ValueError(f"shape is not a TensorShape: {shape}")
        if not shape.is_fully_defined():
            raise ValueError(f"shape is not fully defined: {shape}")
        partitions = [1] * shape.ndims
        partitions[axis] = min(num_shards, shape.as_list()[axis])
        return partitions

    return _partitioner


def variable_axis_size_partitioner(max_shard_bytes, axis=0, bytes_per_string_element=16, max_shards=None):
    """A partitioner keeping each part under `max_shard_bytes` along `axis` (at most `max_shards`
    parts), as `tf.variable_axis_size_partitioner`."""
    if max_shard_bytes < 1 or bytes_per_string_element < 1:
        raise ValueError(f"Both max_shard_bytes and bytes_per_string_element must be positive. Currently, "
                         f"max_shard_bytes is {max_shard_bytes} and bytes_per_string_element is "
                         f"{bytes_per_string_element}")
    if max_shards and max_shards < 1:
        raise ValueError("max_shards must be positive.")

    def _partitioner(shape, dtype):
        if not isinstance(shape, TensorShape):
            raise ValueError(f"shape is not a TensorShape: {shape}")
        if not shape.is_fully_defined():
            raise ValueError(f"shape is not fully defined: {shape}")
        dtype = dtypes.as_dtype(dtype)
        element_size = bytes_per_string_element if dtype.base_dtype == dtypes.string else dtype.size
        dims = shape.as_list()
        partitions = [1] * len(dims)
        bytes_per_slice = 1.0 * (shape.num_elements() / dims[axis]) * element_size
        slices_per_shard = max(1, math.floor(max_shard_bytes / bytes_per_slice))
        axis_shards = int(math.ceil(1.0 * dims[axis] / slices_per_shard))
        if max_shards:
            axis_shards = min(max_shards, axis_shards)
        partitions[axis] = axis_shards
        return partitions

    return _partitioner


def min_max_variable_partitioner(max_partitions=1, axis=0, min_slice_size=256 << 10, bytes_per_string_element=16):
    """A partitioner giving parts of at least `min_slice_size` bytes, at most `max_partitions` of them,
    along `axis`, as `tf.min_max_variable_partitioner`."""

    def _partitioner(shape, dtype):
        dims = as_shape(shape).as_list()
        if axis >= len(dims):
            raise ValueError(f"Can not partition variable along axis {axis} when shape is only {shape}")
        dtype = dtypes.as_dtype(dtype)
        element_size = bytes_per_string_element if dtype.base_dtype == dtypes.string else dtype.size
        partitions = as_shape(shape).num_elements() * element_size / min_slice_size
        out = [1] * len(dims)
        out[axis] = max(1, min(dims[axis], max_partitions, int(math.ceil(partitions))))
        return out

    return _partitioner


# ---- slices and the partitioned variable -------------------------------------------------------------
class SaveSliceInfo:
    """Where one part sits in its full variable (TF1's `Variable.SaveSliceInfo`)."""

    def __init__(self, full_name=None, full_shape=None, var_offset=None, var_shape=None, save_slice_info_def=None,
                 import_scope=None):
        if save_slice_info_def is not None:
            prefix = f"{import_scope}/" if import_scope else ""
            full_name = prefix + save_slice_info_def.full_name
            full_shape, var_offset = list(save_slice_info_def.full_shape), list(save_slice_info_def.var_offset)
            var_shape = list(save_slice_info_def.var_shape)
        self.full_name, self.full_shape = full_name, list(full_shape)
        self.var_offset, self.var_shape = list(var_offset), list(var_shape)

    @property
    def spec(self) -> str:
        """TF's slice spec string: "10 4 0,5:0,4" (full shape, then offset,length per dim)."""
        full = " ".join(str(d) for d in self.full_shape)
        return f"{full} " + ":".join(f"{o},{s}" for o, s in zip(self.var_offset, self.var_shape))


def partition_slices(full_shape, partitions) -> list[tuple[list[int], list[int]]]:
    """[(offset, shape)] of each part, TF's split: along the one partitioned axis, the first
    `size % n` parts get one row more."""
    full_shape, partitions = list(full_shape), [int(p) for p in partitions]
    axes = [i for i, p in enumerate(partitions) if p > 1]
    if len(axes) > 1:
        raise ValueError(f"Can only slice a variable along one dimension: shape: {full_shape}, partitioning: "
                         f"{partitions}")
    axis = axes[0] if axes else 0
    count = partitions[axis] if axes else 1
    if count > full_shape[axis]:
        raise ValueError(f"Partitioner asked for {count} parts of an axis of size {full_shape[axis]}")
    base, extra = divmod(full_shape[axis], count)
    out, offset = [], 0
    for i in range(count):
        size = base + (1 if i < extra else 0)
        part_offset = [0] * len(full_shape)
        part_offset[axis] = offset
        part_shape = list(full_shape)
        part_shape[axis] = size
        out.append((part_offset, part_shape))
        offset += size
    return out


class PartitionInfo:
    """What an initializer learns about the part it initializes (TF1's `_PartitionInfo`)."""

    def __init__(self, full_shape, var_offset):
        self.full_shape, self.var_offset = list(full_shape), list(var_offset)

    def single_offset(self, shape) -> int:
        axis = self.single_slice_dim(shape)
        return 0 if axis is None else self.var_offset[axis]

    def single_slice_dim(self, shape):
        """The one axis along which the part is smaller than the full variable (None: none)."""
        axes = [i for i, (n, full) in enumerate(zip(shape, self.full_shape)) if n != full]
        if len(axes) > 1:
            raise ValueError(f"Cannot use single_slice_dim() with shape={shape} and full_shape={self.full_shape}")
        return axes[0] if axes else None


class PartitionedVariable:
    """A variable made of parts (TF1's PartitionedVariable): iterate it for the parts, convert it
    for their concatenation."""

    def __init__(self, name, shape, dtype, variable_list, partitions):
        if not isinstance(variable_list, (list, tuple)) or not variable_list:
            raise ValueError(f"variable_list must be a non-empty list of Variables, got {variable_list!r}")
        if not all(isinstance(v, Variable) for v in variable_list):
            raise TypeError("variable_list is not a list or tuple of Variables")
        self._name, self._shape = name, as_shape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._partitions = [int(p) for p in partitions]
        self._variable_list = sorted(variable_list, key=lambda v: v._save_slice_info.var_offset
                                     if v._save_slice_info is not None else [])
        self._as_tensor = None

    def __iter__(self):
        return iter(self._variable_list)

    def __len__(self) -> int:
        num = 1
        for p in self._partitions:
            num *= p
        return num

    name = property(lambda self: self._name)
    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: self._shape)
    graph = property(lambda self: self._variable_list[0].graph)

    def get_shape(self) -> TensorShape:
        return self._shape

    def _get_variable_list(self) -> list:
        return list(self._variable_list)

    def _get_partitions(self) -> list:
        return list(self._partitions)

    def _partition_axes(self) -> list:
        axes = [i for i, p in enumerate(self._partitions) if p > 1]
        return axes or [0]

    def _concat(self):
        """The parts concatenated along the partitioned axis, an Identity named after the variable."""
        if len(self._variable_list) == 1:
            with name_scope(None):
                return identity(self._variable_list[0], name=self._name)
        axes = self._partition_axes()
        if len(axes) > 1:
            raise NotImplementedError(f"Cannot concatenate along more than one dimension: {axes}.  Multi-axis "
                                      "partition concat is not supported")
        with name_scope(self._name + "/ConcatPartitions/"):
            concatenated = concat(self._variable_list, axes[0])
        with name_scope(None):
            return identity(concatenated, name=self._name)

    def as_tensor(self):
        """The full value: the parts concatenated (TF1's `_concat`)."""
        return self._concat()

    def assign(self, value, use_locking=False, name=None, read_value=True):
        """Assign `value` (the full shape) to the parts, one slice each; returns the parts' assigns."""
        del read_value  # each part's Assign returns its value, as TF1's ref variables do
        axes = self._partition_axes()
        sizes = [v.get_shape().as_list()[axes[0]] for v in self._variable_list]
        with name_scope(name, "PartitionedVariableAssign"):
            pieces = split(value, sizes, axis=axes[0]) if len(sizes) > 1 else [value]
            return [v.assign(piece, use_locking=use_locking) for v, piece in zip(self._variable_list, pieces)]

    def __repr__(self) -> str:
        return f"<PartitionedVariable {self._name!r} shape={self._shape} dtype={self._dtype.name} " \
               f"parts={len(self._variable_list)}>"


register_tensor_conversion_function(
    PartitionedVariable, lambda v, dtype=None, name=None, as_ref=False: v._concat())
