"""`tf.train.Saver`: save and restore variables as TF V2 checkpoints, with TF1's graph and files.

The Saver adds ops under the `save` name scope, named as TF1 names them, and records them
in a SaverDef (so a `.meta` file can rebuild the Saver without Python code):

    save/filename           PlaceholderWithDefault("model")
    save/Const              PlaceholderWithDefault(save/filename)     SaverDef.filename_tensor_name
    save/SaveV2             writes every variable                     (by device when sharded)
    save/control_dependency Identity(save/Const) after save/SaveV2    SaverDef.save_tensor_name
    save/RestoreV2          reads every variable
    save/Assign, _1, ...    one per variable
    save/restore_all        runs the assigns                          SaverDef.restore_op_name

`save(sess, "dir/model.ckpt", global_step=100)` runs the save tensor with the prefix
`dir/model.ckpt-100` fed, writes `dir/model.ckpt-100.meta`, then replaces the `checkpoint`
state file, and only then deletes checkpoints beyond `max_to_keep`. Every file is written
by rename, and the state file last, so a crash at any point leaves the previous checkpoint
whole and named by the state file.

    saver = tf.train.Saver(max_to_keep=3)
    path = saver.save(sess, "/tmp/model/model.ckpt", global_step=step)
    saver.restore(sess, tf.train.latest_checkpoint("/tmp/model"))
"""

from __future__ import annotations

import logging
import os
import time

import numpy as np

from estflow.core import checkpoint_bundle, dtypes, errors, graph_io
from estflow.core.graph import GraphKeys, Operation, Tensor, get_default_graph
from estflow.core.ops import io_ops
from estflow.core.ops.constant_op import constant
from estflow.core.partitioned_variables import PartitionedVariable
from estflow.core.protos import saver_pb2
from estflow.core.registry import apply_op, registered_ops
from estflow.core.variables import Variable
from estflow.training import checkpoint_management, meta_graph

_logger = logging.getLogger("estflow")
SaverDef = saver_pb2.SaverDef


# ---- what gets saved -----------------------------------------------------------------------------
class SaveSpec:
    """One tensor to save: its value tensor, slice spec ("" for whole), checkpoint key and dtype."""

    def __init__(self, tensor, slice_spec, name, dtype=None, device=None):
        self.tensor = tensor
        self.slice_spec = slice_spec
        self.name = name
        self.dtype = dtypes.as_dtype(dtype if dtype is not None else tensor.dtype).base_dtype
        self.device = device if device is not None else getattr(tensor, "device", "")


class SaveableObject:
    """Something a Saver saves as one or more tensors and restores with an op (`restore`)."""

    def __init__(self, op, specs, name):
        self.op = op
        self.specs = specs
        self.name = name

    @property
    def device(self) -> str:
        return self.specs[0].device

    def restore(self, restored_tensors, restored_shapes):
        raise NotImplementedError


class ReferenceVariableSaveable(SaveableObject):
    """A TF1 variable: saved from its VariableV2 output, restored with an Assign."""

    def __init__(self, variable_ref: Tensor, slice_spec: str, name: str):
        super().__init__(variable_ref, [SaveSpec(variable_ref, slice_spec, name, dtype=variable_ref.dtype)], name)

    def restore(self, restored_tensors, restored_shapes):
        value = restored_tensors[0]
        if restored_shapes is not None:
            value = apply_op("Reshape", value, restored_shapes[0], name="Reshape")
        shape = self.op.shape
        return apply_op("Assign", self.op, value, name="Assign",
                        validate_shape=restored_shapes is None and shape.is_fully_defined(), use_locking=True)


def _variable_ref(var) -> Tensor:
    if isinstance(var, Variable):
        return var._ref()
    if isinstance(var, Tensor) and var.op.type in ("VariableV2", "Variable"):
        return var
    raise TypeError(f"Variable to save is not a Variable: {var!r}. Pass tf.Variable objects (or their VariableV2 "
                    f"outputs) in var_list.")


def op_list_to_dict(op_list) -> dict:
    """{checkpoint key: variable} for a list (keys are op names) or a dict (keys given)."""
    if isinstance(op_list, dict):
        for name in op_list:
            if not isinstance(name, str):
                raise TypeError(f"var_list keys must be strings (checkpoint names), got {name!r}.")
        return dict(op_list)
    if not isinstance(op_list, (list, tuple, set)):
        raise TypeError(f"Variables to save should be passed in a dict or a list: {op_list!r}")
    named = []
    for var in op_list:
        if isinstance(var, PartitionedVariable):  # its parts, saved as one tensor under its name
            named.extend((var.name, part) for part in var)
        elif isinstance(var, Variable) and var._save_slice_info is not None:
            named.append((var._save_slice_info.full_name, var))
        else:
            named.append((var.name if isinstance(var, SaveableObject) else _variable_ref(var).op.name, var))
    if isinstance(op_list, set):
        named.sort(key=lambda pair: pair[0])
    out = {}
    for name, var in named:
        sliced = isinstance(var, Variable) and var._save_slice_info is not None
        if sliced and isinstance(out.get(name, []), list):  # the parts of one partitioned variable
            if any(part is var for part in out.get(name, [])):
                raise ValueError(f"At least two variables have the same name: {name}")
            out.setdefault(name, []).append(var)
            continue
        if name in out:
            if sliced or isinstance(out[name], list):
                raise ValueError(f"Mixing slices and non-slices with the same name: {name}")
            raise ValueError(f"At least two variables have the same name: {name}")
        out[name] = var
    return out


def validate_and_slice_inputs(names_to_saveables) -> list[SaveableObject]:
    """SaveableObjects for `{name: variable or saveable}` (or a list), sorted by name as TF does."""
    if not isinstance(names_to_saveables, dict):
        names_to_saveables = op_list_to_dict(names_to_saveables)
    saveables, seen = [], set()
    for name, item in sorted(names_to_saveables.items(), key=lambda kv: kv[0]):
        if isinstance(item, SaveableObject):
            saveable = item
        elif isinstance(item, (list, PartitionedVariable)):
            # partitioned_saveable builds on this module's SaveableObject: imported when first needed
            from estflow.training.partitioned_saveable import PartitionedVariableSaveable

            saveable = PartitionedVariableSaveable(list(item), name)
        else:
            saveable = ReferenceVariableSaveable(_variable_ref(item), "", name)
        if id(saveable.op) in seen:
            raise ValueError(f"The same saveable will be restored with two names: {name}")
        seen.add(id(saveable.op))
        saveables.append(saveable)
    return saveables


# ---- building the save/restore ops ----------------------------------------------------------------------
def _group(ops, name: str) -> Operation:
    """A NoOp `name` running after `ops` (what tf.group builds for ops on one device)."""
    ops = [t.op if isinstance(t, Tensor) else t for t in ops]
    g = get_default_graph()
    with g.name_scope(name) as scope, g.control_dependencies(ops):
        return apply_op("NoOp", name=scope)


class BaseSaverBuilder:
    """Builds a Saver's ops (TF's BulkSaverBuilder: one SaveV2 and one RestoreV2 per shard)."""

    SaveSpec = SaveSpec
    SaveableObject = SaveableObject

    def __init__(self, write_version=saver_pb2.SaverDef.V2):
        self._write_version = write_version

    def save_op(self, filename_tensor, saveables):
        if self._write_version != saver_pb2.SaverDef.V2:
            raise ValueError(f"estflow writes V2 checkpoints only (write_version={self._write_version}); use "
                             f"tf.train.SaverDef.V2.")
        specs = [spec for saveable in saveables for spec in saveable.specs]
        return io_ops.save_v2(filename_tensor, [s.name for s in specs], [s.slice_spec for s in specs],
                              [s.tensor for s in specs])

    def bulk_restore(self, filename_tensor, saveables, preferred_shard, restore_sequentially):
        specs = [spec for saveable in saveables for spec in saveable.specs]
        with get_default_graph().device("/device:CPU:0"):
            return io_ops.restore_v2(filename_tensor, [s.name for s in specs], [s.slice_spec for s in specs],
                                     [s.dtype for s in specs])

    def _with_dependencies(self, dependencies, output_tensor):
        g = output_tensor.graph
        with g.name_scope("control_dependency") as scope, g.control_dependencies(dependencies):
            with g.colocate_with(output_tensor.op):
                return apply_op("Identity", output_tensor, name=scope)

    def _AddSaveOps(self, filename_tensor, saveables):  # noqa: N802 - TF's name
        save = self.save_op(filename_tensor, saveables)
        return self._with_dependencies([save], filename_tensor)

    def _AddRestoreOps(self, filename_tensor, saveables, restore_sequentially, reshape,  # noqa: N802
                       preferred_shard=-1, name="restore_all"):
        tensors = self.bulk_restore(filename_tensor, saveables, preferred_shard, restore_sequentially)
        assigns, i = [], 0
        for saveable in saveables:
            shapes = None
            if reshape:
                shapes = [constant(s.tensor.shape.as_list(), dtype=dtypes.int32, name="Const")
                          if s.tensor.shape.is_fully_defined() else apply_op("Shape", s.tensor, name="Shape",
                                                                              out_type=dtypes.int32)
                          for s in saveable.specs]
            part = tensors[i:i + len(saveable.specs)]
            i += len(saveable.specs)
            assigns.append(saveable.restore(part, shapes))
        return _group(assigns, name)

    def _GroupByDevices(self, saveables):  # noqa: N802
        per_device: dict[str, list] = {}
        for saveable in saveables:
            per_device.setdefault(saveable.device or "", []).append(saveable)
        return sorted(per_device.items(), key=lambda kv: kv[0])

    def _AddShardedSaveOps(self, filename_tensor, per_device):  # noqa: N802
        if len(per_device) == 1:  # one shard: the files are what the plain path writes
            return self._AddSaveOps(filename_tensor, per_device[0][1])
        if "Pack" not in registered_ops():
            raise NotImplementedError("Saver(sharded=True) over several devices needs the Pack op.")
        g = filename_tensor.graph
        num_shards = constant(len(per_device), dtype=dtypes.int32, name="num_shards")
        saves, prefixes = [], []
        for shard, (device, saveables) in enumerate(per_device):
            with g.device(device):
                prefix = io_ops.sharded_filename(filename_tensor, constant(shard, dtype=dtypes.int32), num_shards)
                prefixes.append(prefix)
                saves.append(self._AddSaveOps(prefix, saveables))
        with g.control_dependencies([s.op for s in saves]):
            packed = apply_op("Pack", *prefixes, name="MergeV2Checkpoints/checkpoint_prefixes", axis=0,
                              N=len(prefixes))
            merge = io_ops.merge_v2_checkpoints(packed, filename_tensor, delete_old_dirs=True)
            with g.control_dependencies([merge]):
                return apply_op("Identity", filename_tensor, name="Identity")

    def _AddShardedRestoreOps(self, filename_tensor, per_device, restore_sequentially, reshape):  # noqa: N802
        g = filename_tensor.graph
        restores = []
        for shard, (device, saveables) in enumerate(per_device):
            with g.device(device):
                restores.append(self._AddRestoreOps(filename_tensor, saveables, restore_sequentially, reshape,
                                                    preferred_shard=shard, name="restore_shard"))
        return _group(restores, "restore_all")

    def _build_internal(self, names_to_saveables, reshape=False, sharded=False, max_to_keep=5,
                        keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                        filename="model", build_save=True, build_restore=True):
        if not build_save or not build_restore:
            raise ValueError("save and restore operations need to be built together when eager execution is "
                             "not enabled.")
        saveables = validate_and_slice_inputs(names_to_saveables)
        g = get_default_graph()
        with g.name_scope(name or "save"):
            with g.name_scope("filename") as scope:
                default = constant(filename or "model", dtype=dtypes.string, name="input")
                filename_tensor = apply_op("PlaceholderWithDefault", default, name=scope, shape=(),
                                           dtype=dtypes.string)
            # TF keeps the name "Const" for backwards compatibility.
            filename_tensor = apply_op("PlaceholderWithDefault", filename_tensor, name="Const", shape=(),
                                       dtype=dtypes.string)
            if sharded:
                per_device = self._GroupByDevices(saveables)
                save_tensor = self._AddShardedSaveOps(filename_tensor, per_device)
                restore_op = self._AddShardedRestoreOps(filename_tensor, per_device, restore_sequentially, reshape)
            else:
                save_tensor = self._AddSaveOps(filename_tensor, saveables)
                restore_op = self._AddRestoreOps(filename_tensor, saveables, restore_sequentially, reshape)
        return saver_pb2.SaverDef(
            filename_tensor_name=filename_tensor.name, save_tensor_name=save_tensor.name,
            restore_op_name=restore_op.name, max_to_keep=max_to_keep, sharded=sharded,
            keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours, version=self._write_version)


BulkSaverBuilder = BaseSaverBuilder


def _all_saveable_objects(scope=None) -> list:
    g = get_default_graph()
    return g.get_collection(GraphKeys.GLOBAL_VARIABLES, scope) + g.get_collection(GraphKeys.SAVEABLE_OBJECTS, scope)


def _prepend_scope(name: str, scope: str) -> str:
    return f"{scope.rstrip('/')}/{name}" if scope else name


def _wrap_restore_error(err: errors.OpError, reason: str) -> errors.OpError:
    message = (f"Restoring from checkpoint failed. This is most likely due to {reason} from the checkpoint. "
               f"Please ensure that you have not altered the graph expected based on the checkpoint. "
               f"Original error:\n\n{err.message}")
    return type(err)(err.node_def, err.op, message)


def _refuse_debug_info(save_debug_info) -> None:
    if save_debug_info:
        raise NotImplementedError("save_debug_info=True writes the Python stack trace of every op's creation "
                                  "(GraphDebugInfo), which estflow does not record; leave it False.")


# ---- the Saver ------------------------------------------------------------------------------------
def _tf_partitioned_slot_key(name: str, keys) -> str | None:
    """The key TF1 saved slot `name` under when its variable was partitioned, or None.

    TF1's slot_creator names the slots of a partitioned variable by slicing the primary's name
    length off the slot's name; when the slot sits under a doubled name scope (the DNN
    estimators' `dnn/`), the cut lands inside `part_0` and the checkpoint key becomes
    `dnn/hiddenlayer_0/kernel/t_0/Adagrad` for estflow's `dnn/hiddenlayer_0/kernel/Adagrad`.
    The middle component is a tail of `part_<i>` ("t_0", "part_0", "_0", ...); one match only.
    """
    head, _, slot = name.rpartition("/")
    if not head:
        return None
    found = []
    for key in keys:
        if key.startswith(head + "/") and key.endswith("/" + slot) and len(key) > len(head) + len(slot) + 2:
            middle = key[len(head) + 1:-len(slot) - 1]
            letters = middle.rstrip("0123456789")
            if "/" not in middle and letters != middle and "part_".endswith(letters):
                found.append(key)
    return found[0] if len(found) == 1 else None


def _tf_partitioned_slot_feeds(graph, restore_op_name, save_path) -> dict | None:
    """Values for the restore ops' outputs when the checkpoint holds TF1's partitioned-slot names.

    Only when every key a RestoreV2 op misses has exactly one such alias (same dtype); else None
    and the NotFoundError stands. The fed values replace the ops' reads: nothing is added to the
    (possibly finalized) graph and what estflow writes is unchanged.
    """
    try:
        pending = [graph.as_graph_element(restore_op_name)]
    except (KeyError, ValueError):
        return None
    pending = [p.op if isinstance(p, Tensor) else p for p in pending]
    seen, restores = set(), []
    while pending:
        op = pending.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        if op.type == "RestoreV2":
            restores.append(op)
            continue
        pending.extend(t.op for t in op.inputs)
        pending.extend(op.control_inputs)
    feeds, aliases = {}, []
    with checkpoint_bundle.BundleReader(save_path) as reader:
        keys = reader.shapes()
        for op in restores:
            names_op = op.inputs[1].op
            if names_op.type != "Const":
                return None
            names = [n.decode("utf-8") if isinstance(n, bytes) else str(n)
                     for n in np.asarray(names_op.get_attr("value")).reshape(-1)]
            if all(n in keys for n in names):
                continue
            for name, output in zip(names, op.outputs, strict=True):
                key = name if name in keys else _tf_partitioned_slot_key(name, keys)
                if key is None or reader.dtype_of(key) != output.dtype.base_dtype:
                    return None
                if key != name:
                    aliases.append(f"{name} <- {key}")
                feeds[output] = reader.get_tensor(key)
    if not aliases:
        return None
    _logger.info("Restored %d optimizer slots saved under TF1's partitioned-variable names: %s", len(aliases),
                 ", ".join(aliases))
    return feeds


class Saver:
    """Saves and restores variables (`tf.train.Saver`); see the module docstring.

        saver = tf.train.Saver({"old_name": v})   # save v under the key "old_name"
        saver.save(sess, "/tmp/ckpt/model.ckpt", global_step=7)   # "/tmp/ckpt/model.ckpt-7"

    `restore_sequentially=True` makes TF1 restore one variable after another to bound
    memory; the restored values are the same, and estflow's restore op reads the tensors in
    one pass whatever its value.
    """

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False, saver_def=None,
                 builder=None, defer_build=False, allow_empty=False, write_version=saver_pb2.SaverDef.V2,
                 pad_step_number=False, save_relative_paths=False, filename=None):
        self._var_list = var_list
        self._reshape = reshape
        self._sharded = sharded
        self._max_to_keep = max_to_keep
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._name = name
        self._restore_sequentially = restore_sequentially
        self.saver_def = saver_def
        self._builder = builder
        self._is_built = False
        self._allow_empty = allow_empty
        self._is_empty = None
        self._write_version = write_version
        self._pad_step_number = pad_step_number
        self._filename = filename
        self._last_checkpoints: list[tuple[str, float]] = []
        self._warned_unexportable = False  # the ".meta left out" warning is given once per Saver
        self._checkpoints_to_be_deleted: list[tuple[str, float]] = []
        self._save_relative_paths = save_relative_paths
        self._next_checkpoint_time = None
        if not self.saver_def and not defer_build:
            self.build()
        if self.saver_def:
            self._check_saver_def()
            self._write_version = self.saver_def.version
            if not self._is_built:
                self.build()

    # ---- building ---------------------------------------------------------------------------------------
    def build(self) -> None:
        """Add the save and restore ops (called by the constructor unless `defer_build`)."""
        self._build(self._filename, build_save=True, build_restore=True)

    def _build(self, checkpoint_path, build_save, build_restore) -> None:
        if self._is_built:
            return
        self._is_built = True
        if not self.saver_def:
            if self._builder is None:
                self._builder = BulkSaverBuilder(self._write_version)
            if self._var_list is None:
                self._var_list = _all_saveable_objects()
            if not self._var_list:
                if self._allow_empty:
                    self._is_empty = True
                    return
                raise ValueError("No variables to save")
            self._is_empty = False
            self.saver_def = self._builder._build_internal(
                self._var_list, reshape=self._reshape, sharded=self._sharded,
                max_to_keep=self._max_to_keep if self._max_to_keep is not None else 0,
                keep_checkpoint_every_n_hours=self._keep_checkpoint_every_n_hours, name=self._name,
                restore_sequentially=self._restore_sequentially, filename=checkpoint_path,
                build_save=build_save, build_restore=build_restore)
        elif self._name:
            # A SaverDef from an import under a scope: its names gain that scope (TF's overloading of `name`).
            d = self.saver_def
            d.filename_tensor_name = _prepend_scope(d.filename_tensor_name, self._name)
            d.save_tensor_name = _prepend_scope(d.save_tensor_name, self._name)
            d.restore_op_name = _prepend_scope(d.restore_op_name, self._name)
        self._check_saver_def()
        self._next_checkpoint_time = time.time() + self.saver_def.keep_checkpoint_every_n_hours * 3600

    def _check_saver_def(self) -> None:
        if not isinstance(self.saver_def, saver_pb2.SaverDef):
            raise ValueError(f"saver_def must be a saver_pb2.SaverDef: {self.saver_def}")
        for field in ("save_tensor_name", "restore_op_name", "filename_tensor_name"):
            if not getattr(self.saver_def, field):
                raise ValueError(f"saver_def must specify the {field}: {self.saver_def}")

    def as_saver_def(self) -> saver_pb2.SaverDef:
        """The SaverDef naming this Saver's ops (what `.meta` files store)."""
        return self.saver_def

    def to_proto(self, export_scope=None):
        """The SaverDef, with `export_scope` stripped from its names (None if they lie outside it)."""
        if export_scope is None:
            return self.saver_def
        prefix = export_scope.rstrip("/") + "/"
        d = self.saver_def
        names = (d.filename_tensor_name, d.save_tensor_name, d.restore_op_name)
        if not all(n.startswith(prefix) for n in names):
            return None
        out = saver_pb2.SaverDef()
        out.CopyFrom(d)
        out.filename_tensor_name, out.save_tensor_name, out.restore_op_name = (n[len(prefix):] for n in names)
        return out

    @staticmethod
    def from_proto(saver_def, import_scope=None) -> Saver:
        """A Saver driving the ops a SaverDef names (under `import_scope`)."""
        return Saver(saver_def=saver_def, name=import_scope)

    # ---- the checkpoints it keeps -------------------------------------------------------------------------
    @property
    def last_checkpoints(self) -> list[str]:
        """Prefixes of the checkpoints this Saver keeps, oldest first."""
        return [path for path, _ in self._last_checkpoints]

    def set_last_checkpoints(self, last_checkpoints) -> None:
        """Replace the kept list (deprecated in TF1: times become infinite, so none is kept for age)."""
        if not isinstance(last_checkpoints, list):
            raise TypeError(f"last_checkpoints must be a list, got {type(last_checkpoints).__name__}.")
        self._last_checkpoints = [(path, np.inf) for path in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time) -> None:
        """Replace the kept list with (prefix, timestamp) pairs."""
        if not isinstance(last_checkpoints_with_time, list):
            raise TypeError(f"last_checkpoints_with_time must be a list, got "
                            f"{type(last_checkpoints_with_time).__name__}.")
        self._last_checkpoints = list(last_checkpoints_with_time)

    def recover_last_checkpoints(self, checkpoint_paths) -> None:
        """Adopt existing checkpoints (e.g. after a restart), timed by their files' mtimes.

            state = tf.train.get_checkpoint_state(model_dir)
            saver.recover_last_checkpoints(state.all_model_checkpoint_paths)
        """
        with_times = []
        for path in checkpoint_paths:
            mtime = checkpoint_management.get_checkpoint_mtimes([path])
            if mtime:  # checkpoints whose files are gone are dropped
                with_times.append((path, mtime[0]))
        self.set_last_checkpoints_with_time(with_times)

    def _record_last_checkpoint(self, latest_save_path: str) -> None:
        if not self.saver_def.max_to_keep:
            return
        self._last_checkpoints = [p for p in self._last_checkpoints if p[0] != latest_save_path]
        self._last_checkpoints.append((latest_save_path, time.time()))
        if len(self._last_checkpoints) > self.saver_def.max_to_keep:
            self._checkpoints_to_be_deleted.append(self._last_checkpoints.pop(0))

    def _maybe_delete_old_checkpoints(self, meta_graph_suffix="meta") -> None:
        while self._checkpoints_to_be_deleted:
            path, saved_at = self._checkpoints_to_be_deleted.pop(0)
            # One checkpoint per keep_checkpoint_every_n_hours survives rotation.
            if saved_at > self._next_checkpoint_time:
                self._next_checkpoint_time += self.saver_def.keep_checkpoint_every_n_hours * 3600
                continue
            try:
                checkpoint_management.remove_checkpoint(path, self.saver_def.version, meta_graph_suffix)
            except OSError as e:
                _logger.warning("Ignoring: %s", e)

    # ---- save and restore -------------------------------------------------------------------------------
    def save(self, sess, save_path, global_step=None, latest_filename=None, meta_graph_suffix="meta",
             write_meta_graph=True, write_state=True, strip_default_attrs=False, save_debug_info=False):
        """Write a checkpoint at `save_path` (`-<global_step>` appended); returns its prefix.

        Also writes `<prefix>.meta` (write_meta_graph) and the `checkpoint` state file
        (write_state, last of all), then deletes checkpoints beyond `max_to_keep`. First it
        removes the temporary files that an earlier save of the same `save_path`, killed
        mid-write, left behind (only those whose writing process is gone: see
        `checkpoint_management.remove_stale_temporaries`).
        """
        _refuse_debug_info(save_debug_info)
        if not self._is_built:
            raise RuntimeError("`build()` should be called before save if defer_build==True")
        latest_filename = latest_filename or "checkpoint"
        if os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        save_path = os.fspath(save_path)
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):
                global_step = int(sess.run(global_step))
            step = f"{int(global_step):08d}" if self._pad_step_number else str(int(global_step))
            checkpoint_file = f"{save_path}-{step}"
        else:
            checkpoint_file = save_path
            if os.path.basename(save_path) == latest_filename and not self._sharded:
                raise ValueError(f"'latest_filename' collides with 'save_path': '{latest_filename}' and "
                                 f"'{save_path}'")
        if not hasattr(sess, "run") or not hasattr(sess, "graph"):
            raise TypeError(f"'sess' must be a Session; {sess}")
        save_dir = os.path.dirname(save_path)
        # A save killed earlier (SIGKILL, power loss) left its temporaries: clear the stale ones of this prefix.
        checkpoint_management.remove_stale_temporaries(save_path, latest_filename, meta_graph_suffix)
        model_checkpoint_path = None
        if not self._is_empty:
            try:
                result = sess.run(self.saver_def.save_tensor_name,
                                  {self.saver_def.filename_tensor_name: checkpoint_file})
            except (errors.FailedPreconditionError, errors.NotFoundError, errors.AlreadyExistsError) as exc:
                if save_dir and not os.path.isdir(save_dir):
                    raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.") from exc
                raise
            model_checkpoint_path = result.decode("utf-8") if isinstance(result, bytes) else str(result)
        if write_meta_graph:
            filename = checkpoint_management.meta_graph_filename(checkpoint_file, meta_graph_suffix)
            with sess.graph.as_default():
                try:
                    self.export_meta_graph(filename, strip_default_attrs=strip_default_attrs)
                except graph_io.UnexportableGraphError as exc:
                    # The checkpoint itself is complete; a training loop must not stop because its input
                    # pipeline (Python objects) has no GraphDef form. Only the .meta file is left out.
                    # Warned once per Saver (an Estimator saves every few hundred steps); later saves log at INFO.
                    log = _logger.info if self._warned_unexportable else _logger.warning
                    self._warned_unexportable = True
                    log("Checkpoint %s saved without its %s file: %s", model_checkpoint_path or checkpoint_file,
                        meta_graph_suffix, exc)
        if model_checkpoint_path is not None and write_state:
            # Last: until this rename, the state file names the previous (complete) checkpoint.
            self._record_last_checkpoint(model_checkpoint_path)
            checkpoint_management.update_checkpoint_state_internal(
                save_dir=save_dir, model_checkpoint_path=model_checkpoint_path,
                all_model_checkpoint_paths=self.last_checkpoints, latest_filename=latest_filename,
                save_relative_paths=self._save_relative_paths)
            self._maybe_delete_old_checkpoints(meta_graph_suffix=meta_graph_suffix)
        return model_checkpoint_path

    def export_meta_graph(self, filename=None, collection_list=None, as_text=False, export_scope=None,
                          clear_devices=False, clear_extraneous_savers=False, strip_default_attrs=False,
                          save_debug_info=False):
        """The default graph as a MetaGraphDef carrying this Saver's SaverDef (written to `filename`)."""
        _refuse_debug_info(save_debug_info)
        return meta_graph.export_meta_graph(
            filename=filename, graph_def=get_default_graph().as_graph_def(add_shapes=True), saver_def=self.saver_def,
            collection_list=collection_list, as_text=as_text, export_scope=export_scope,
            clear_devices=clear_devices, clear_extraneous_savers=clear_extraneous_savers,
            strip_default_attrs=strip_default_attrs)

    def restore(self, sess, save_path) -> None:
        """Set the saved variables from the checkpoint at `save_path` (a prefix, not a directory).

        Raises ValueError when `save_path` is None or no checkpoint is there, NotFoundError
        when a variable's key is missing, InvalidArgumentError on a shape or dtype mismatch.
        """
        if self._is_empty:
            return
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = os.fspath(save_path)
        if not checkpoint_management.checkpoint_exists_internal(save_path):
            raise ValueError(f"The passed save_path is not a valid checkpoint: {save_path}")
        _logger.info("Restoring parameters from %s", save_path)
        feeds = {self.saver_def.filename_tensor_name: save_path}
        try:
            try:
                sess.run(self.saver_def.restore_op_name, feeds)
            except errors.NotFoundError as err:
                aliased = _tf_partitioned_slot_feeds(sess.graph, self.saver_def.restore_op_name, save_path)
                if aliased is None:
                    raise _wrap_restore_error(err, "a Variable name or other graph key that is missing") from None
                sess.run(self.saver_def.restore_op_name, {**feeds, **aliased})
        except errors.InvalidArgumentError as err:
            raise _wrap_restore_error(err, "a mismatch between the current graph and the graph") from None


meta_graph.register_proto_function(GraphKeys.SAVERS, saver_pb2.SaverDef, Saver.to_proto, Saver.from_proto)


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None, **kwargs):
    """Rebuild a graph from a MetaGraphDef (or `.meta` file); returns a Saver for it, or None.

    The Saver comes from the SaverDef in the file, so a checkpoint restores into the
    imported graph without the code that built it:

        saver = tf.train.import_meta_graph("/tmp/model/model.ckpt-100.meta")
        saver.restore(sess, "/tmp/model/model.ckpt-100")
    """
    return _import_meta_graph_with_return_elements(meta_graph_or_file, clear_devices, import_scope, **kwargs)[0]


def _import_meta_graph_with_return_elements(meta_graph_or_file, clear_devices=False, import_scope=None,
                                            return_elements=None, **kwargs):
    if isinstance(meta_graph_or_file, meta_graph.MetaGraphDef):
        meta_graph_def = meta_graph_or_file
    else:
        meta_graph_def = meta_graph.read_meta_graph_file(meta_graph_or_file)
    imported_vars, elements = meta_graph.import_scoped_meta_graph_with_return_elements(
        meta_graph_def, clear_devices=clear_devices, import_scope=import_scope, return_elements=return_elements,
        **kwargs)
    if meta_graph_def.HasField("saver_def"):
        scope = import_scope
        if imported_vars:
            key, var = next(iter(imported_vars.items()))
            scope = var.name[:-len(key)]
        return Saver(saver_def=meta_graph_def.saver_def, name=scope or None), elements
    if _all_saveable_objects(scope=import_scope):
        return Saver(), elements
    _logger.info("Saver not created because there are no variables in the graph to restore")
    return None, elements


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None, collection_list=None,
                      as_text=False, graph=None, export_scope=None, clear_devices=False,
                      clear_extraneous_savers=False, strip_default_attrs=False, save_debug_info=False, **kwargs):
    """`tf.train.export_meta_graph`: the graph as a MetaGraphDef, written to `filename` if given."""
    _refuse_debug_info(save_debug_info)
    return meta_graph.export_meta_graph(
        filename=filename, meta_info_def=meta_info_def, graph_def=graph_def, saver_def=saver_def,
        collection_list=collection_list, as_text=as_text, graph=graph, export_scope=export_scope,
        clear_devices=clear_devices, clear_extraneous_savers=clear_extraneous_savers,
        strip_default_attrs=strip_default_attrs, **kwargs)
