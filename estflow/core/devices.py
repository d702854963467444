"""Device strings and the array module each device runs on (numpy or cupy).

`/cpu:0` runs numpy kernels; `/gpu:N` (also `/device:GPU:N`) runs cupy kernels on GPU
N. cupy is imported only when a GPU device is first asked for.
"""

from __future__ import annotations

import numpy as np


class DeviceSpec:
    """A parsed device string: job, replica, task, device type and index."""

    __slots__ = ("job", "replica", "task", "device_type", "device_index")

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job = job
        self.replica = replica
        self.task = task
        self.device_type = device_type.upper() if device_type else None
        self.device_index = device_index

    @classmethod
    def from_string(cls, spec: str) -> DeviceSpec:
        """Parse TF's device strings: '/cpu:0', 'cpu:0', '/gpu', '/device:GPU:1', '/job:w/task:2/cpu:0'."""
        job = replica = task = device_type = index = None
        for part in spec.strip().split("/"):
            if not part:
                continue
            fields = part.split(":")
            key = fields[0].lower()
            if key == "job" and len(fields) == 2:
                job = fields[1]
            elif key in ("replica", "task") and len(fields) == 2 and fields[1].isdigit():
                replica, task = (int(fields[1]), task) if key == "replica" else (replica, int(fields[1]))
            elif key == "device" and len(fields) in (2, 3) and fields[1].upper() in ("CPU", "GPU", "*"):
                device_type, index = fields[1], fields[2] if len(fields) == 3 else None
            elif key in ("cpu", "gpu", "*") and len(fields) in (1, 2):
                device_type, index = fields[0], fields[1] if len(fields) == 2 else None
            else:
                raise ValueError(f"Unknown device '{spec}': expected a string like '/cpu:0', '/gpu:1', "
                                 "'/device:GPU:0' or '/job:worker/task:0/cpu:0'.")
        if index is not None and index != "*" and not index.isdigit():
            raise ValueError(f"Unknown device '{spec}': the device index must be a number.")
        return cls(job, replica, task, device_type if device_type != "*" else None,
                   int(index) if index not in (None, "*") else None)

    def merge_from(self, other: DeviceSpec) -> DeviceSpec:
        return DeviceSpec(*(o if o is not None else s for s, o in zip(self._fields(), other._fields())))

    def _fields(self):
        return (self.job, self.replica, self.task, self.device_type, self.device_index)

    def to_string(self) -> str:
        out = ""
        if self.job is not None:
            out += f"/job:{self.job}"
        if self.replica is not None:
            out += f"/replica:{self.replica}"
        if self.task is not None:
            out += f"/task:{self.task}"
        if self.device_type is not None:
            out += f"/device:{self.device_type}:{self.device_index if self.device_index is not None else 0}"
        return out


def canonical_device(spec: str) -> str:
    return DeviceSpec.from_string(spec).to_string() if spec else ""


def merge_device(outer: str, inner: str) -> str:
    """An inner `tf.device` scope refines the outer one field by field (TF1's merge)."""
    if not inner:
        return outer
    if not outer:
        return canonical_device(inner)
    return DeviceSpec.from_string(outer).merge_from(DeviceSpec.from_string(inner)).to_string()


def device_kind(device: str) -> tuple[str, int]:
    """('CPU', 0) or ('GPU', n) for an op's device string; empty means the CPU."""
    if not device:
        return "CPU", 0
    spec = DeviceSpec.from_string(device)
    if spec.device_type == "GPU":
        return "GPU", spec.device_index or 0
    return "CPU", 0


_cupy = None
_cupy_checked = False


def cupy_module():
    """cupy if it is installed and sees a GPU, else None."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # optional dependency, looked for on first use

            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cupy = cupy
        except Exception:  # noqa: BLE001 - no cupy, no driver or no device: CPU only
            _cupy = None
    return _cupy


def num_gpus() -> int:
    cp = cupy_module()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def array_module(kind: str):
    return np if kind == "CPU" else cupy_module()


def to_numpy(value):
    """A fetched value as numpy (cupy arrays are copied to the host)."""
    get = getattr(value, "get", None)
    if get is not None and type(value).__module__.startswith("cupy"):
        return get()
    return value
