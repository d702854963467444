"""Reading checkpoints outside a Saver: list, load, and initialize variables from them.

`ckpt_dir_or_file` is a checkpoint prefix (`/tmp/model/model.ckpt-100`) or a directory,
meaning the latest checkpoint its `checkpoint` state file names.

    tf.train.list_variables("/tmp/model")          # [("dense/bias", [1]), ("dense/kernel", [3, 1]), ...]
    tf.train.load_variable("/tmp/model", "dense/kernel")
    tf.train.init_from_checkpoint("/tmp/pretrained", {"encoder/": "model/encoder/"})
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import numpy as np

from estflow.core import variable_scope
from estflow.core.checkpoint_bundle import BundleReader
from estflow.core.ops import io_ops
from estflow.core.variables import Variable
from estflow.training import checkpoint_management
from estflow.training.saver import ReferenceVariableSaveable

_logger = logging.getLogger("estflow")
_DTYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}  # TF's DataTypeString


class CheckpointReader:
    """A checkpoint's tensors by name (`tf.train.NewCheckpointReader`).

        reader = tf.train.NewCheckpointReader("/tmp/model/model.ckpt-100")
        reader.get_variable_to_shape_map()   # {"w": [3, 1], "global_step": []}
        reader.get_tensor("w")
    """

    def __init__(self, filepattern):
        self._prefix = os.fspath(filepattern)
        self._reader = BundleReader(self._prefix)

    def get_tensor(self, tensor_str) -> np.ndarray:
        """The value saved under `tensor_str`; NotFoundError "Key ... not found in checkpoint" if absent."""
        value = self._reader.get_tensor(tensor_str)
        return value[()] if value.ndim == 0 and value.dtype == object else value

    def has_tensor(self, tensor_str) -> bool:
        return self._reader.has_tensor(tensor_str)

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return {name: list(shape) for name, shape in self._reader.shapes().items()}

    def get_variable_to_dtype_map(self) -> dict:
        return self._reader.dtypes()

    def debug_string(self) -> bytes:
        """One line per tensor: `name (float) [3,1]`, as TF's CheckpointReader prints them."""
        lines = []
        dtypes_by_name = self._reader.dtypes()
        for name, shape in self._reader.shapes().items():
            dtype = _DTYPE_NAMES.get(dtypes_by_name[name].name, dtypes_by_name[name].name)
            lines.append(f"{name} ({dtype}) [{','.join(str(d) for d in shape)}]\n")
        return "".join(lines).encode("utf-8")

    def close(self) -> None:
        self._reader.close()


def NewCheckpointReader(filepattern) -> CheckpointReader:  # noqa: N802 - TF's public name
    """A CheckpointReader over the checkpoint at prefix `filepattern`."""
    return CheckpointReader(filepattern)


def _get_checkpoint_filename(ckpt_dir_or_file) -> str | None:
    ckpt_dir_or_file = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(ckpt_dir_or_file):
        return checkpoint_management.latest_checkpoint(ckpt_dir_or_file)
    return ckpt_dir_or_file


def load_checkpoint(ckpt_dir_or_file) -> CheckpointReader:
    """A CheckpointReader for a checkpoint prefix, or for a directory's latest checkpoint."""
    filename = _get_checkpoint_filename(ckpt_dir_or_file)
    if filename is None:
        raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given directory {ckpt_dir_or_file}")
    return NewCheckpointReader(filename)


def load_variable(ckpt_dir_or_file, name) -> np.ndarray:
    """The value of tensor `name` (":0" ignored) in the checkpoint."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


def list_variables(ckpt_dir_or_file) -> list[tuple[str, list[int]]]:
    """[(name, shape)] of every tensor in the checkpoint, sorted by name."""
    shapes = load_checkpoint(ckpt_dir_or_file).get_variable_to_shape_map()
    return [(name, shapes[name]) for name in sorted(shapes)]


# ---- init_from_checkpoint -----------------------------------------------------------------------------------
def _set_checkpoint_initializer(variable: Variable, ckpt_file: str, tensor_name: str,
                                name="checkpoint_initializer") -> None:
    """Make `variable`'s initializer assign it from the checkpoint (RestoreV2 + Assign), as TF does."""
    if getattr(variable, "_save_slice_info", None) is not None:
        raise NotImplementedError(f"Variable {variable.name} is a slice of a partitioned variable; estflow "
                                  f"initializes whole variables only.")
    graph = variable.graph
    # RestoreV2 runs on the CPU; the initializer is placed there too (it runs once).
    with graph.device(variable.device), graph.device("/device:CPU:0"):
        restored = io_ops.restore_v2(ckpt_file, [tensor_name], [""], [variable.dtype], name=name)[0]
        saveable = ReferenceVariableSaveable(variable._ref(), "", variable.op.name)
    init_op = saveable.restore([restored], restored_shapes=None)
    restored.set_shape(variable.shape)
    variable._initializer_op = init_op.op
    variable._initial_value = restored


def _collect_partitioned_variable(name, store_vars):
    if f"{name}/part_0" in store_vars:
        parts, i = [], 0
        while f"{name}/part_{i}" in store_vars:
            parts.append(store_vars[f"{name}/part_{i}"])
            i += 1
        return parts
    return None


def _set_variable_or_list_initializer(variable_or_list, ckpt_file, tensor_name) -> None:
    if isinstance(variable_or_list, (list, tuple)):
        raise NotImplementedError(f"Checkpoint tensor {tensor_name} maps to a partitioned variable; estflow "
                                  f"initializes whole variables only.")
    _set_checkpoint_initializer(variable_or_list, ckpt_file, tensor_name)


def _is_variable(x) -> bool:
    return isinstance(x, Variable)


def init_from_checkpoint(ckpt_dir_or_file, assignment_map) -> None:
    """Replace the initializers of variables so they load values from a checkpoint.

    `assignment_map` maps checkpoint names to current variables (TF1's rules):

        {"old/w": "new/w"}       one tensor to the variable named new/w (or to a Variable object)
        {"old/": "new/"}         every variable under scope new/ from old/<same rest of name>
        {"/": "new/"}            every variable under new/ from the checkpoint root
        {"old/": "/"}            every variable from old/<its name>

    Names resolve through tf.get_variable's store. Run the initializers (e.g.
    `tf.global_variables_initializer()` built afterwards) to load the values.
    """
    ckpt_file = _get_checkpoint_filename(ckpt_dir_or_file)
    reader = load_checkpoint(ckpt_dir_or_file)
    variable_map = reader.get_variable_to_shape_map()
    reader.close()
    items = assignment_map.items() if isinstance(assignment_map, Mapping) else assignment_map
    store_vars = variable_scope._get_default_variable_store()._vars
    for tensor_name_in_ckpt, current_var_or_name in sorted(items, key=lambda pair: pair[0]):
        if _is_variable(current_var_or_name) or (
                isinstance(current_var_or_name, list) and all(_is_variable(v) for v in current_var_or_name)):
            var = current_var_or_name
        else:
            var = store_vars.get(current_var_or_name)
            if var is None:
                var = _collect_partitioned_variable(current_var_or_name, store_vars)
        if var is not None:
            if tensor_name_in_ckpt not in variable_map:
                raise ValueError(f"Tensor {tensor_name_in_ckpt} is not found in {ckpt_dir_or_file} checkpoint "
                                 f"{variable_map}")
            if _is_variable(var) and not var.get_shape().is_compatible_with(variable_map[tensor_name_in_ckpt]):
                raise ValueError(f"Shape of variable {var.name} ({var.get_shape()}) doesn't match with shape of "
                                 f"tensor {tensor_name_in_ckpt} ({variable_map[tensor_name_in_ckpt]}) from "
                                 f"checkpoint reader.")
            _set_variable_or_list_initializer(var, ckpt_file, tensor_name_in_ckpt)
            _logger.debug("Initialize variable %s from checkpoint %s with %s", current_var_or_name,
                          ckpt_dir_or_file, tensor_name_in_ckpt)
            continue
        if not isinstance(current_var_or_name, str):
            raise TypeError(f"assignment_map values must be variables or variable names, got "
                            f"{current_var_or_name!r}.")
        scopes = current_var_or_name[:current_var_or_name.rindex("/")] if "/" in current_var_or_name else ""
        if not tensor_name_in_ckpt.endswith("/"):
            raise ValueError(f"Assignment map with scope only name {scopes} should map to scope only "
                             f"{tensor_name_in_ckpt}. Should be 'scope/': 'other_scope/'.")
        scope_variables = set()
        for var_name in store_vars:
            if not scopes or var_name.startswith(scopes + "/"):
                if "/part_" in var_name:
                    var_name = var_name[:var_name.index("/part_")]
                scope_variables.add(var_name)
        for var_name in sorted(scope_variables):
            full_tensor_name = var_name[len(scopes):]
            if current_var_or_name != "/":
                full_tensor_name = full_tensor_name[1:]
            if tensor_name_in_ckpt != "/":
                full_tensor_name = tensor_name_in_ckpt + full_tensor_name
            full_tensor_name = full_tensor_name.removesuffix("/")
            if full_tensor_name not in variable_map:
                raise ValueError(f"Tensor {full_tensor_name} ({var_name[len(scopes) + 1:]} in {tensor_name_in_ckpt}) "
                                 f"is not found in {ckpt_dir_or_file} checkpoint")
            var = store_vars.get(var_name)
            if var is None:
                var = _collect_partitioned_variable(var_name, store_vars)
            _set_variable_or_list_initializer(var, ckpt_file, full_tensor_name)
            _logger.debug("Initialize variable %s from checkpoint %s with %s", var_name, ckpt_dir_or_file,
                          full_tensor_name)

