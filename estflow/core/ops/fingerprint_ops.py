"""Fingerprint and Timestamp (`tf.fingerprint`, `tf.timestamp`).

Fingerprint hashes each slice of its input along dimension 0 with FarmHash's Fingerprint64, as
TF does: the row's bytes for a numeric tensor (row-major, native little-endian); for strings,
the fingerprint of the one string of a row, or of the row's strings' fingerprints laid end to end
(8 little-endian bytes each) when a row holds several. Each fingerprint is 8 uint8 bytes,
least significant first.
"""

from __future__ import annotations

import time

import farmhash
import numpy as np

from estflow.core import dtypes, errors
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import OpDef, TensorSpec, apply_op, register

_FINGERPRINT_BYTES = 8


def _fingerprint_bytes(values: list[int]) -> np.ndarray:
    return np.array(values, dtype="<u8").view(np.uint8).reshape(len(values), _FINGERPRINT_BYTES)


def _fingerprint_infer(data, method):
    if method.dtype != dtypes.string:
        raise TypeError(f"Input 'method' has type {method.dtype.name} that does not match expected type of string.")
    if method.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {method.shape.ndims} for 'method'")
    if method.value is not None and method.value.item() != b"farmhash64":
        raise ValueError(f"Invalid fingerprint method: {method.value.item().decode('utf-8', 'replace')}")
    dims = data.shape.as_tuple()
    if dims is not None and len(dims) == 0:
        raise ValueError("Shape must be at least rank 1 but is rank 0 for 'data'")
    return TensorSpec([None if dims is None else dims[0], _FINGERPRINT_BYTES], dtypes.uint8)


def _fingerprint_kernel(xp, data, method):
    if method.item() != b"farmhash64":
        raise errors.InvalidArgumentError(None, None, f"Invalid fingerprint method: {method.item()!r}")
    rows = int(data.shape[0])
    if data.dtype == object:
        per_row = int(np.prod(data.shape[1:], dtype=np.int64))
        strings = data.reshape(-1).tolist()
        hashes = [farmhash.fingerprint64(s) for s in strings]
        if per_row != 1:
            row_bytes = _fingerprint_bytes(hashes).reshape(rows, per_row * _FINGERPRINT_BYTES)
            hashes = [farmhash.fingerprint64(row.tobytes()) for row in row_bytes]
        return _fingerprint_bytes(hashes)
    flat = np.ascontiguousarray(data).reshape(rows, -1)
    return _fingerprint_bytes([farmhash.fingerprint64(row.tobytes()) for row in flat])


register(OpDef("Fingerprint", infer=_fingerprint_infer, kernel=_fingerprint_kernel, cpu_only=True,
               differentiable=False, input_names=("data: T", "method: string"),
               output_names=("fingerprint: uint8",), attr_types={"T": "type"}))


def fingerprint(data, method="farmhash64", name=None):
    """An 8-byte FarmHash fingerprint of each slice of `data` along dimension 0, as `tf.fingerprint`
    (stable across runs and platforms): shape [data.shape[0], 8], uint8.

        tf.fingerprint(tf.constant(["a", "b"]))   # two rows of 8 bytes
    """
    return apply_op("Fingerprint", convert_to_tensor(data, name="data"),
                    convert_to_tensor(method, dtype=dtypes.string, name="method"), name=name or "Fingerprint")


def _timestamp_kernel(xp):
    return xp.asarray(time.time(), dtype=xp.float64)


register(OpDef("Timestamp", infer=lambda: TensorSpec([], dtypes.float64), kernel=_timestamp_kernel, stateful=True,
               cpu_only=True, differentiable=False, output_names=("ts: double",)))


def timestamp(name=None):
    """The time when the op runs, in seconds since the Unix epoch (float64), as `tf.timestamp`."""
    return apply_op("Timestamp", name=name or "Timestamp")
