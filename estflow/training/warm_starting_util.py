"""Warm-starting: initialize a new model's variables from another model's checkpoint (TF1's).

    tf.train.warm_start("/tmp/old_model", vars_to_warm_start=".*input_layer.*",
                        var_name_to_vocab_info={"input_layer/x_embedding/embedding_weights": vocab_info},
                        var_name_to_prev_var_name={"new/kernel": "old/kernel"})
    sess.run(tf.global_variables_initializer())        # the chosen variables get the old values

`warm_start` replaces the initializers of the chosen variables, so it runs while the graph is
built and takes effect when the initializers run (the Estimator calls it only when its
model_dir holds no checkpoint yet). The checkpoint is read when the initializers run; the
vocabulary files are read (they are small) when `warm_start` is called.

`ckpt_to_initialize_from` is a checkpoint prefix, a directory (its latest checkpoint), or a
SavedModel directory (its `variables/variables`). `vars_to_warm_start` is a regex matched from
the start of the TRAINABLE variables' names, a list of regexes over the GLOBAL variables
(optimizer slots, batch-norm statistics), a list of Variables, or None (only the variables of
`var_name_to_vocab_info`). Variables named `<name>/part_<i>` are warm-started together as
`<name>`, from `<name>/part_<i>` of the checkpoint or from the rows of the whole `<name>`.

A `VocabInfo` remaps the rows (axis=0: embeddings, linear weights of a vocabulary column) or
columns (axis=1: a class vocabulary of an output layer) from the old vocabulary to the new:
each token of the first `new_vocab_size` lines of `new_vocab` takes the old row of the same
token among the first `old_vocab_size` lines (-1: all) of `old_vocab`; new tokens and the
`num_oov_buckets` out-of-vocabulary rows get `backup_initializer` (zeros by default), called
with the 1-D shape `[number of missing values]` and filled in row-major order, as TF's
LoadAndRemapMatrix does.

Each warm-started variable is logged at INFO with where it came from
(`Warm-starting variable: dnn/hiddenlayer_0/kernel; prev_var_name: Unchanged; vocab_info: None`).
"""

from __future__ import annotations

import collections
import difflib
import logging
import os
import re

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import GraphKeys, get_default_graph
from estflow.core.init_ops import zeros_initializer
from estflow.core.ops import array_ops, concat_ops, constant_op, gather_ops, io_ops
from estflow.core.tensor_shape import TensorShape
from estflow.core.variables import Variable
from estflow.training import checkpoint_management
from estflow.training.checkpoint_utils import load_checkpoint

_logger = logging.getLogger("tensorflow")
_PART = re.compile(r"^(.*)/part_(\d+)$")


class VocabInfo(collections.namedtuple("VocabInfo", [
        "new_vocab", "new_vocab_size", "num_oov_buckets", "old_vocab", "old_vocab_size", "backup_initializer",
        "axis"])):
    """How to remap a variable's rows (axis=0) or columns (axis=1) from an old vocabulary to a new one.

        tf.estimator.VocabInfo(new_vocab="new_vocab.txt", new_vocab_size=100, num_oov_buckets=1,
                               old_vocab="old_vocab.txt", backup_initializer=tf.truncated_normal_initializer())
    """

    __slots__ = ()

    def __new__(cls, new_vocab, new_vocab_size, num_oov_buckets, old_vocab, old_vocab_size=-1,
                backup_initializer=None, axis=0):
        if axis not in (0, 1):
            raise ValueError(f"The only supported values for the axis argument are 0 and 1.  Provided axis: {axis}")
        if not new_vocab or not old_vocab:
            raise ValueError(f"VocabInfo needs both vocabulary files: new_vocab={new_vocab!r}, "
                             f"old_vocab={old_vocab!r}.")
        if int(new_vocab_size) <= 0:
            raise ValueError(f"VocabInfo new_vocab_size must be > 0, got {new_vocab_size}.")
        if int(num_oov_buckets) < 0:
            raise ValueError(f"VocabInfo num_oov_buckets must be >= 0, got {num_oov_buckets}.")
        if int(old_vocab_size) == 0 or int(old_vocab_size) < -1:
            raise ValueError(f"VocabInfo old_vocab_size must be > 0 or -1 (the whole file), got {old_vocab_size}.")
        return super().__new__(cls, os.fspath(new_vocab), int(new_vocab_size), int(num_oov_buckets),
                               os.fspath(old_vocab), int(old_vocab_size), backup_initializer, axis)


def checkpoint_to_initialize_from(ckpt_to_initialize_from) -> str:
    """The checkpoint prefix meant by a prefix, a model_dir (latest checkpoint) or a SavedModel directory."""
    path = os.fspath(ckpt_to_initialize_from)
    if os.path.isdir(path):
        saved_model_variables = os.path.join(path, "variables", "variables")
        if os.path.exists(saved_model_variables + ".index"):
            return saved_model_variables
        latest = checkpoint_management.latest_checkpoint(path)
        if not latest:
            raise ValueError(f"Cannot warm-start from {path}: the directory holds no checkpoint (no 'checkpoint' "
                             f"state file naming one) and no SavedModel variables (variables/variables.index).")
        return latest
    if not os.path.exists(path + ".index"):
        raise ValueError(f"Cannot warm-start from {path}: no checkpoint there ({path}.index does not exist). Pass "
                         f"a checkpoint prefix such as /tmp/model/model.ckpt-100, a model_dir or a SavedModel "
                         f"directory.")
    return path


def _group_name(variable) -> str:
    """The name a variable is warm-started under: a partition's full name, else its own."""
    slice_info = getattr(variable, "_save_slice_info", None)
    if slice_info is not None:
        return slice_info.full_name
    name = variable.op.name
    match = _PART.match(name)
    return match.group(1) if match else name


def _part_index(variable) -> int:
    match = _PART.match(variable.op.name)
    return int(match.group(2)) if match else 0


def _chosen_variables(vars_to_warm_start) -> dict[str, list]:
    """{name: [variable or its partitions in order]} of the variables `vars_to_warm_start` selects."""
    graph = get_default_graph()
    if isinstance(vars_to_warm_start, str):
        variables = graph.get_collection(GraphKeys.TRAINABLE_VARIABLES, scope=vars_to_warm_start)
    elif isinstance(vars_to_warm_start, (list, tuple)):
        if all(isinstance(v, str) for v in vars_to_warm_start):
            variables = []
            for scope in vars_to_warm_start:
                variables += [v for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES, scope=scope)
                              if v not in variables]
        elif all(isinstance(v, Variable) for v in vars_to_warm_start):
            variables = list(vars_to_warm_start)
        else:
            raise ValueError(f"If `vars_to_warm_start` is a list, it must be all `Variable` or all `str`.  Given "
                             f"types are {[type(v).__name__ for v in vars_to_warm_start]}")
    elif vars_to_warm_start is None:
        variables = graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
    else:
        raise ValueError(f"`vars_to_warm_start` must be a `list` or `str`.  Given type "
                         f"{type(vars_to_warm_start).__name__}")
    grouped: dict[str, list] = {}
    for variable in variables:
        grouped.setdefault(_group_name(variable), []).append(variable)
    for parts in grouped.values():
        parts.sort(key=_part_index)
    return grouped


def _not_found(tensor_name, variable_name, shapes, ckpt) -> ValueError:
    near = difflib.get_close_matches(tensor_name, list(shapes), n=5, cutoff=0.5)
    hint = f" Near matches in the checkpoint: {near}." if near else " The checkpoint holds no similar name."
    source = "" if tensor_name == variable_name else f" (the prev_var_name of {variable_name!r})"
    return ValueError(f"Cannot warm-start variable {variable_name!r}: tensor {tensor_name!r}{source} is not in "
                      f"checkpoint {ckpt}.{hint} Map it with var_name_to_prev_var_name or leave it out of "
                      f"vars_to_warm_start.")


def _shape_error(variable_name, var_shape, tensor_name, ckpt_shape, ckpt, why="") -> ValueError:
    return ValueError(f"Cannot warm-start variable {variable_name!r} of shape {list(var_shape)} from tensor "
                      f"{tensor_name!r} of shape {list(ckpt_shape)} in checkpoint {ckpt}{why}.")


def _restore(ckpt, tensor_name, dtype, shape, name):
    value = io_ops.restore_v2(ckpt, [tensor_name], [""], [dtype], name=name)[0]
    value.set_shape(TensorShape(shape))
    return value


def _set_initializer(variable, value) -> None:
    """Make `value` the initial value of `variable` (its initializer assigns it)."""
    variable._initializer_op = variable.assign(value, name="warm_start_assign", read_value=False)
    variable._initial_value = value


def _var_shape(variable) -> list[int]:
    return [int(d) for d in variable.get_shape().as_list()]


def _warm_start_plain(name, parts, tensor_name, shapes, dtypes_by_name, ckpt) -> str:
    """Initializers restoring `parts` (one variable or `<name>/part_i`s) from `tensor_name`; what was read."""
    graph = parts[0].graph
    part_names = [f"{tensor_name}/part_{_part_index(v)}" for v in parts]
    if len(parts) == 1 and tensor_name not in shapes and parts[0].op.name in shapes and tensor_name == name:
        tensor_name = parts[0].op.name  # a lone `x/part_0` saved under its own name
    if tensor_name not in shapes and len(parts) > 1 and all(n in shapes for n in part_names):
        sources = list(zip(parts, part_names, strict=True))
    elif tensor_name in shapes:
        sources = None
    else:
        raise _not_found(tensor_name, name, shapes, ckpt)
    with graph.as_default(), graph.control_dependencies(None), graph.name_scope("warm_start"):
        if sources is not None:
            for variable, part_name in sources:
                if shapes[part_name] != _var_shape(variable):
                    raise _shape_error(variable.op.name, _var_shape(variable), part_name, shapes[part_name], ckpt)
                with graph.device(variable.device):
                    _set_initializer(variable, _restore(ckpt, part_name, dtypes_by_name[part_name],
                                                        shapes[part_name], "restore"))
            return ", ".join(part_names)
        full = shapes[tensor_name]
        var_shapes = [_var_shape(v) for v in parts]
        if len(parts) == 1:
            if full != var_shapes[0]:
                raise _shape_error(name, var_shapes[0], tensor_name, full, ckpt)
            with graph.device(parts[0].device):
                _set_initializer(parts[0], _restore(ckpt, tensor_name, dtypes_by_name[tensor_name], full, "restore"))
            return tensor_name
        total = [sum(s[0] for s in var_shapes)] + var_shapes[0][1:]
        if full != total or any(s[1:] != var_shapes[0][1:] for s in var_shapes):
            raise _shape_error(name, total, tensor_name, full, ckpt, " (the partitions, stacked along axis 0)")
        whole = _restore(ckpt, tensor_name, dtypes_by_name[tensor_name], full, "restore")
        offset = 0
        for variable, shape in zip(parts, var_shapes, strict=True):
            rows = constant_op.constant(np.arange(offset, offset + shape[0], dtype=np.int64))
            with graph.device(variable.device):
                _set_initializer(variable, gather_ops.gather(whole, rows))
            offset += shape[0]
        return tensor_name


def _read_vocab(path, size, what) -> list[bytes]:
    """The first `size` lines (all when size == -1) of a vocabulary file, without their line ends."""
    try:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
    except OSError as e:
        raise ValueError(f"Cannot read the {what} vocabulary file {path}: {e.strerror}.") from e
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [line.removesuffix(b"\r") for line in lines]
    if size == -1:
        return lines
    if len(lines) < size:
        raise ValueError(f"The {what} vocabulary file {path} has {len(lines)} lines, fewer than the "
                         f"{what}_vocab_size {size} of the VocabInfo.")
    return lines[:size]


def vocab_remapping(vocab_info: VocabInfo) -> tuple[np.ndarray, int]:
    """For each new row (new tokens, then OOV buckets): its old row, or -1; and the number of old tokens."""
    new_tokens = _read_vocab(vocab_info.new_vocab, vocab_info.new_vocab_size, "new")
    old_tokens = _read_vocab(vocab_info.old_vocab, vocab_info.old_vocab_size, "old")
    old_index: dict[bytes, int] = {}
    for i, token in enumerate(old_tokens):
        old_index.setdefault(token, i)
    remap = [old_index.get(token, -1) for token in new_tokens] + [-1] * vocab_info.num_oov_buckets
    return np.asarray(remap, dtype=np.int64), len(old_tokens)


def _warm_start_with_vocab(name, parts, tensor_name, vocab_info, shapes, dtypes_by_name, ckpt) -> str:
    """Initializers taking each new row (or column) of `parts` from the old one of the same token."""
    if tensor_name not in shapes:
        if len(parts) == 1 and parts[0].op.name in shapes and tensor_name == name:
            tensor_name = parts[0].op.name
        else:
            raise _not_found(tensor_name, name, shapes, ckpt)
    old_shape = shapes[tensor_name]
    axis = vocab_info.axis
    var_shapes = [_var_shape(v) for v in parts]
    if any(s[1:] != var_shapes[0][1:] for s in var_shapes):
        raise ValueError(f"Cannot warm-start variable {name!r}: its partitions {var_shapes} differ beyond axis 0.")
    new_shape = [sum(s[0] for s in var_shapes)] + var_shapes[0][1:]
    if len(new_shape) <= axis or len(old_shape) != len(new_shape):
        raise _shape_error(name, new_shape, tensor_name, old_shape, ckpt,
                           f" (a VocabInfo with axis={axis} needs both of rank > {axis} and equal ranks)")
    remap, old_count = vocab_remapping(vocab_info)
    expected = vocab_info.new_vocab_size + vocab_info.num_oov_buckets
    if new_shape[axis] != expected:
        raise _shape_error(name, new_shape, tensor_name, old_shape, ckpt,
                           f": dimension {axis} of the variable must be new_vocab_size + num_oov_buckets = "
                           f"{vocab_info.new_vocab_size} + {vocab_info.num_oov_buckets} = {expected}")
    if old_count > old_shape[axis]:
        raise _shape_error(name, new_shape, tensor_name, old_shape, ckpt,
                           f": the old vocabulary {vocab_info.old_vocab} has {old_count} tokens but the checkpoint's "
                           f"dimension {axis} only {old_shape[axis]}")
    other = [d for i, d in enumerate(new_shape) if i != axis]
    if other != [d for i, d in enumerate(old_shape) if i != axis]:
        raise _shape_error(name, new_shape, tensor_name, old_shape, ckpt,
                           f": they must agree on every dimension but the vocabulary's ({axis})")
    missing = remap < 0
    n_missing = int(missing.sum())
    index = remap.copy()
    index[missing] = old_shape[axis] + np.arange(n_missing)
    dtype = dtypes_by_name[tensor_name]
    graph = parts[0].graph
    with graph.as_default(), graph.control_dependencies(None), graph.name_scope("warm_start"):
        table = _restore(ckpt, tensor_name, dtype, old_shape, "restore")
        if n_missing:
            initializer = vocab_info.backup_initializer or zeros_initializer()
            count = n_missing * int(np.prod(other, dtype=np.int64))
            backup = initializer([count], dtype=dtype)
            if axis == 0:
                backup = array_ops.reshape(backup, [n_missing] + new_shape[1:])
            else:  # row-major: each row's missing columns, row after row
                backup = array_ops.reshape(backup, [new_shape[0], n_missing] + new_shape[2:])
            table = concat_ops.concat([table, backup], axis)
        if axis == 1:
            _set_initializer(parts[0], gather_ops.gather(table, constant_op.constant(index), axis=1))
        else:
            offset = 0
            for variable, shape in zip(parts, var_shapes, strict=True):
                rows = constant_op.constant(index[offset:offset + shape[0]])
                with graph.device(variable.device):
                    _set_initializer(variable, gather_ops.gather(table, rows))
                offset += shape[0]
    kept = int((~missing).sum())
    what = "rows" if axis == 0 else "columns"
    return (f"{tensor_name}; {kept} of {expected} {what} from the old vocabulary, {n_missing} from "
            f"backup_initializer")


def _describe(vocab_info: VocabInfo) -> str:
    init = vocab_info.backup_initializer
    return (f"VocabInfo(new_vocab={vocab_info.new_vocab}, new_vocab_size={vocab_info.new_vocab_size}, "
            f"num_oov_buckets={vocab_info.num_oov_buckets}, old_vocab={vocab_info.old_vocab}, "
            f"old_vocab_size={vocab_info.old_vocab_size}, backup_initializer="
            f"{type(init).__name__ if init is not None else None}, axis={vocab_info.axis})")


def warm_start(ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
               var_name_to_prev_var_name=None) -> list[str]:
    """Make the chosen variables' initializers load them from `ckpt_to_initialize_from`.

    Returns the names of the warm-started variables. Errors name the variable: a tensor missing
    from the checkpoint (with the checkpoint's nearest names), a shape that differs (both shapes),
    a key of `var_name_to_prev_var_name` or `var_name_to_vocab_info` that names no chosen variable.
    """
    ckpt = checkpoint_to_initialize_from(ckpt_to_initialize_from)
    _logger.info("Warm-starting from: %s", ckpt)
    reader = load_checkpoint(ckpt)
    shapes = reader.get_variable_to_shape_map()
    dtypes_by_name = {name: dtypes.as_dtype(dt) for name, dt in reader.get_variable_to_dtype_map().items()}
    reader.close()
    grouped = _chosen_variables(vars_to_warm_start)
    vocab_infos = dict(var_name_to_vocab_info or {})
    renames = dict(var_name_to_prev_var_name or {})
    for name, info in vocab_infos.items():
        if not isinstance(info, VocabInfo):
            raise TypeError(f"var_name_to_vocab_info[{name!r}] must be a tf.estimator.VocabInfo, got "
                            f"{type(info).__name__}.")
    for label, mapping in (("var_name_to_prev_var_name", renames), ("var_name_to_vocab_info", vocab_infos)):
        unused = sorted(set(mapping) - set(grouped))
        if unused:
            raise ValueError(f"You provided the following variables in {label} that were not used: {unused}.  "
                             f"Perhaps you misspelled them?  Here is the list of viable variable names: "
                             f"{sorted(grouped)}")
    warm_started = []
    for name in sorted(grouped):
        parts = grouped[name]
        prev = renames.get(name)
        tensor_name = prev or name
        info = vocab_infos.get(name)
        if info is not None:
            source = _warm_start_with_vocab(name, parts, tensor_name, info, shapes, dtypes_by_name, ckpt)
        elif vars_to_warm_start:
            source = _warm_start_plain(name, parts, tensor_name, shapes, dtypes_by_name, ckpt)
        else:
            continue  # vars_to_warm_start=None: only the variables with a VocabInfo
        warm_started.append(name)
        _logger.info("Warm-starting variable: %s; prev_var_name: %s; vocab_info: %s; from: %s", name,
                     prev or "Unchanged", _describe(info) if info is not None else None, source)
    _logger.info("Warm-started %d variables.", len(warm_started))
    return warm_started
