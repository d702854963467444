"""The `checkpoint` state file and checkpoint files on disk, as TF1's checkpoint_management.

A checkpoint directory holds bundles (`model.ckpt-100.index`, `.data-00000-of-00001`,
`.meta`) and a text-format `CheckpointState` named `checkpoint`:

    model_checkpoint_path: "model.ckpt-200"
    all_model_checkpoint_paths: "model.ckpt-100"
    all_model_checkpoint_paths: "model.ckpt-200"

Relative paths in it are relative to the directory holding it. The file is replaced
atomically, so readers see the old state or the new one, never a mix.

    tf.train.latest_checkpoint("/tmp/model")   # "/tmp/model/model.ckpt-200" or None
"""

from __future__ import annotations

import glob
import logging
import os
import re

from google.protobuf import text_format

from estflow.core.file_io import atomic_write, stale_temporaries
from estflow.core.protos import checkpoint_state_pb2, saver_pb2

CheckpointState = checkpoint_state_pb2.CheckpointState
_logger = logging.getLogger("estflow")
_DEFAULT_LATEST_FILENAME = "checkpoint"


def _checkpoint_filename(save_dir: str, latest_filename: str | None) -> str:
    return os.path.join(save_dir, latest_filename or _DEFAULT_LATEST_FILENAME)


def _prefix_to_checkpoint_path(prefix: str, format_version) -> str:
    """The file whose presence shows a checkpoint exists: `prefix.index` for V2, `prefix` for V1."""
    if format_version == saver_pb2.SaverDef.V2:
        return prefix + ".index"
    return prefix


def _matching_files(pattern: str) -> list[str]:
    return sorted(glob.glob(pattern))


def atomic_write_string_to_file(filename: str, contents: str | bytes) -> None:
    """Write `contents` to a temporary file beside `filename`, then rename it over `filename`."""
    atomic_write(filename, contents)


def generate_checkpoint_state_proto(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                                    all_model_checkpoint_timestamps=None, last_preserved_timestamp=None):
    """A CheckpointState whose path list ends with `model_checkpoint_path`.

    When `save_dir` is relative, relative paths are rewritten relative to it, as TF does.
    """
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        _logger.info("%s is not in all_model_checkpoint_paths. Manually adding it.", model_checkpoint_path)
        paths.append(model_checkpoint_path)
    if all_model_checkpoint_timestamps and len(all_model_checkpoint_timestamps) != len(paths):
        raise ValueError(f"Checkpoint timestamps, if provided, must match checkpoint paths (got paths {paths} and "
                         f"timestamps {all_model_checkpoint_timestamps})")
    if not os.path.isabs(save_dir):
        if not os.path.isabs(model_checkpoint_path):
            model_checkpoint_path = os.path.relpath(model_checkpoint_path, save_dir)
        paths = [p if os.path.isabs(p) else os.path.relpath(p, save_dir) for p in paths]
    return CheckpointState(model_checkpoint_path=model_checkpoint_path, all_model_checkpoint_paths=paths,
                           all_model_checkpoint_timestamps=all_model_checkpoint_timestamps,
                           last_preserved_timestamp=last_preserved_timestamp)


def update_checkpoint_state_internal(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                                     latest_filename=None, save_relative_paths=False,
                                     all_model_checkpoint_timestamps=None, last_preserved_timestamp=None) -> None:
    """Write the state file; with `save_relative_paths`, absolute paths are made relative to `save_dir`."""
    save_dir = os.fspath(save_dir)
    model_checkpoint_path = os.fspath(model_checkpoint_path)
    paths = [os.fspath(p) for p in (all_model_checkpoint_paths or [])]
    if save_relative_paths:
        def relative(p):
            return os.path.relpath(p, save_dir) if os.path.isabs(p) else p

        model_checkpoint_path = relative(model_checkpoint_path)
        paths = [relative(p) for p in paths]
    state = generate_checkpoint_state_proto(save_dir, model_checkpoint_path, paths,
                                            all_model_checkpoint_timestamps, last_preserved_timestamp)
    filename = _checkpoint_filename(save_dir, latest_filename)
    if filename == state.model_checkpoint_path:
        raise RuntimeError(f"Save path '{model_checkpoint_path}' conflicts with path used for checkpoint state.  "
                           f"Please use a different save path.")
    atomic_write_string_to_file(filename, text_format.MessageToString(state))


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None, latest_filename=None,
                            all_model_checkpoint_timestamps=None, last_preserved_timestamp=None) -> None:
    """Write `save_dir/checkpoint` naming `model_checkpoint_path` as the latest checkpoint.

        tf.train.update_checkpoint_state("/tmp/m", "/tmp/m/model.ckpt-5")
    """
    update_checkpoint_state_internal(save_dir, model_checkpoint_path, all_model_checkpoint_paths, latest_filename,
                                     save_relative_paths=False,
                                     all_model_checkpoint_timestamps=all_model_checkpoint_timestamps,
                                     last_preserved_timestamp=last_preserved_timestamp)


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The CheckpointState of `checkpoint_dir` with paths joined to the directory, or None.

    None when there is no state file or it cannot be parsed (logged, as TF does); a state
    file without `model_checkpoint_path` raises ValueError.
    """
    checkpoint_dir = os.fspath(checkpoint_dir)
    filename = _checkpoint_filename(checkpoint_dir, latest_filename)
    if not os.path.isfile(filename):
        return None
    try:
        with open(filename, encoding="utf-8") as f:
            contents = f.read()
        state = CheckpointState()
        text_format.Merge(contents, state)
    except (OSError, UnicodeDecodeError, text_format.ParseError) as e:
        _logger.warning("%s: %s", type(e).__name__, e)
        _logger.warning("%s: Checkpoint ignored", filename)
        return None
    if not state.model_checkpoint_path:
        raise ValueError(f"Invalid checkpoint state loaded from {checkpoint_dir}")
    if not os.path.isabs(state.model_checkpoint_path):
        state.model_checkpoint_path = os.path.join(checkpoint_dir, state.model_checkpoint_path)
    for i, p in enumerate(state.all_model_checkpoint_paths):
        if not os.path.isabs(p):
            state.all_model_checkpoint_paths[i] = os.path.join(checkpoint_dir, p)
    return state


def latest_checkpoint(checkpoint_dir, latest_filename=None) -> str | None:
    """The prefix of the newest checkpoint named by the state file, if its files exist; else None.

        saver.restore(sess, tf.train.latest_checkpoint(model_dir))
    """
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state and state.model_checkpoint_path:
        prefix = state.model_checkpoint_path
        if _matching_files(_prefix_to_checkpoint_path(prefix, saver_pb2.SaverDef.V2)) or _matching_files(prefix):
            return prefix
        _logger.error("Couldn't match files for checkpoint %s", prefix)
    return None


def checkpoint_exists_internal(checkpoint_prefix) -> bool:
    """Whether a V2 (`prefix.index`) or V1 (the prefix itself) checkpoint matches `checkpoint_prefix`."""
    checkpoint_prefix = os.fspath(checkpoint_prefix)
    pattern = _prefix_to_checkpoint_path(checkpoint_prefix, saver_pb2.SaverDef.V2)
    return bool(_matching_files(pattern) or _matching_files(checkpoint_prefix))


def checkpoint_exists(checkpoint_prefix) -> bool:
    """Whether a checkpoint exists at `checkpoint_prefix` (deprecated in TF1, kept for old code)."""
    return checkpoint_exists_internal(checkpoint_prefix)


def get_checkpoint_mtimes(checkpoint_prefixes) -> list[float]:
    """Modification times (seconds) of the checkpoints that exist, in the order given."""
    mtimes = []
    for prefix in checkpoint_prefixes:
        prefix = os.fspath(prefix)
        for pattern in (_prefix_to_checkpoint_path(prefix, saver_pb2.SaverDef.V2), prefix):
            names = _matching_files(pattern)
            if names:
                mtimes.append(os.stat(names[0]).st_mtime_ns / 1e9)
                break
    return mtimes


def _delete_file_if_exists(pattern: str) -> None:
    for name in _matching_files(pattern):
        try:
            os.remove(name)
        except FileNotFoundError:
            pass


def remove_checkpoint(checkpoint_prefix, checkpoint_format_version=saver_pb2.SaverDef.V2,
                      meta_graph_suffix="meta") -> None:
    """Delete the files of one checkpoint: its meta graph, index and data files (V2)."""
    checkpoint_prefix = os.fspath(checkpoint_prefix)
    _delete_file_if_exists(glob.escape(meta_graph_filename(checkpoint_prefix, meta_graph_suffix)))
    if checkpoint_format_version == saver_pb2.SaverDef.V2:
        _delete_file_if_exists(glob.escape(checkpoint_prefix) + ".index")
        _delete_file_if_exists(glob.escape(checkpoint_prefix) + ".data-?????-of-?????")
    else:
        _delete_file_if_exists(glob.escape(checkpoint_prefix))


def meta_graph_filename(checkpoint_filename, meta_graph_suffix="meta") -> str:
    """`model.ckpt-100` -> `model.ckpt-100.meta` (a shard suffix `-00001-of-00002` is dropped)."""
    basename = re.sub(r"-[\d\?]+-of-\d+$", "", os.fspath(checkpoint_filename))
    return ".".join([basename, meta_graph_suffix])


def remove_stale_temporaries(save_path, latest_filename: str = _DEFAULT_LATEST_FILENAME,
                             meta_graph_suffix: str = "meta") -> list[str]:
    """Delete temporary files a killed save under `save_path` left behind; returns their paths.

    Only this save's own files are candidates: the temporaries of `<save_path>[-step][-shard]`
    `.index`, `.data-?????-of-?????` and `.<meta_graph_suffix>`, and of the state file
    `latest_filename`, in `save_path`'s directory. Of those, only stale ones go (see
    `estflow.core.file_io.stale_temporaries`: the writing process is dead, or, when it cannot
    be asked, nothing wrote to the file for a day), so a concurrent writer's live temporary is
    never touched. A file that cannot be removed is logged and left.
    """
    save_path = os.fspath(save_path)
    directory, base = os.path.split(save_path)
    suffixes = rf"index|data-\d{{5}}-of-\d{{5}}|{re.escape(meta_graph_suffix)}"
    own = re.compile(rf"{re.escape(base)}(?:-[^./]*)?\.(?:{suffixes})")  # [-step][-shard].index, .data-..., .meta

    def belongs(target: str) -> bool:
        return target == latest_filename or own.fullmatch(target) is not None

    removed = []
    for path in stale_temporaries(directory, belongs):
        try:
            os.remove(path)
            removed.append(path)
        except FileNotFoundError:
            pass
        except OSError as e:
            _logger.warning("Could not remove the stale temporary file %s: %s", path, e)
    if removed:
        _logger.info("Removed %d temporary file(s) left by an interrupted save: %s", len(removed), removed)
    return removed
