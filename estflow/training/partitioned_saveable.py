"""How a Saver saves a partitioned variable: its parts as ONE full tensor under the variable's name.

The parts (each with a SaveSliceInfo) are concatenated along the partitioned axis into the
tensor a checkpoint key `w` holds, as an unpartitioned `w` would be stored; TensorFlow
restores it into a partitioned or an unpartitioned variable alike (its readers take any slice
of a whole stored tensor). Restoring slices the full tensor back into the parts.
"""

from __future__ import annotations

from estflow.core.graph import name_scope
from estflow.core.ops import slicing_ops
from estflow.core.ops.concat_ops import concat
from estflow.core.registry import apply_op
from estflow.training.saver import SaveableObject, SaveSpec


def _partition_axis(info) -> int:
    axes = [i for i, (n, full) in enumerate(zip(info.var_shape, info.full_shape)) if n != full]
    return axes[0] if axes else 0


class PartitionedVariableSaveable(SaveableObject):
    """The parts of one partitioned variable, saved whole under `name` (their SaveSliceInfo's full name)."""

    def __init__(self, parts, name):
        infos = [p._save_slice_info for p in parts]
        if any(info is None or info.full_name != name for info in infos):
            raise ValueError(f"Every part saved under {name} needs a SaveSliceInfo of full name {name}.")
        order = sorted(range(len(parts)), key=lambda i: infos[i].var_offset)
        self._parts = [parts[i] for i in order]
        self._infos = [infos[i] for i in order]
        covered = sum(info.var_shape[_partition_axis(info)] for info in self._infos)
        axis = _partition_axis(self._infos[0])
        if covered != self._infos[0].full_shape[axis]:
            raise ValueError(f"The parts of {name} cover {covered} of its {self._infos[0].full_shape[axis]} rows "
                             f"along axis {axis}: save every part together.")
        with name_scope(None):
            with name_scope(f"{name}/ConcatPartitions/"):
                whole = concat([p.value() for p in self._parts], axis) if len(parts) > 1 else \
                    apply_op("Identity", self._parts[0].value(), name="Identity")
        super().__init__(whole, [SaveSpec(whole, "", name, dtype=self._parts[0].dtype,
                                          device=self._parts[0].device)], name)

    def restore(self, restored_tensors, restored_shapes):
        whole = restored_tensors[0]
        if restored_shapes is not None:
            whole = apply_op("Reshape", whole, restored_shapes[0], name="Reshape")
        assigns = []
        for part, info in zip(self._parts, self._infos):
            piece = slicing_ops.slice(whole, info.var_offset, info.var_shape)
            assigns.append(apply_op("Assign", part._ref(), piece, name="Assign", validate_shape=True,
                                    use_locking=True))
        return apply_op("NoOp", name="restore_partitioned", control_inputs=[a.op for a in assigns])
