"""The devices a session can use, as TF1's `tensorflow.python.client.device_lib`.

    from estflow.python.client import device_lib
    gpus = [d.name for d in device_lib.list_local_devices() if d.device_type == "GPU"]

Each entry has TF's `DeviceAttributes` fields: `name` ("/device:CPU:0", "/device:GPU:0"),
`device_type`, `memory_limit` (bytes), `locality`, `incarnation` and `physical_device_desc`.
GPUs are listed when cupy sees them (estflow runs '/gpu:N' ops on cupy).
"""

from __future__ import annotations

import dataclasses
import zlib

from estflow.core import devices

_CPU_MEMORY_LIMIT = 268435456  # what TF reports for its host allocator


@dataclasses.dataclass
class DeviceAttributes:
    """One device, with the fields of TF's DeviceAttributes proto."""

    name: str
    device_type: str
    memory_limit: int
    locality: dict = dataclasses.field(default_factory=dict)
    incarnation: int = 0
    physical_device_desc: str = ""

    def __str__(self) -> str:
        lines = [f'name: "{self.name}"', f'device_type: "{self.device_type}"', f"memory_limit: {self.memory_limit}",
                 "locality {", "}" if not self.locality else "  bus_id: 1\n}", f"incarnation: {self.incarnation}"]
        if self.physical_device_desc:
            lines.append(f'physical_device_desc: "{self.physical_device_desc}"')
        return "\n".join(lines) + "\n"


def _incarnation(name: str) -> int:
    return zlib.crc32(name.encode()) * 2654435761 % (1 << 63)


def list_local_devices(session_config=None) -> list:
    """The CPU, then each GPU cupy sees; `session_config` (a ConfigProto) is accepted as in TF."""
    out = [DeviceAttributes("/device:CPU:0", "CPU", _CPU_MEMORY_LIMIT, incarnation=_incarnation("/device:CPU:0"))]
    cupy = devices.cupy_module()
    for index in range(devices.num_gpus()):
        with cupy.cuda.Device(index):
            free, total = cupy.cuda.runtime.memGetInfo()
        props = cupy.cuda.runtime.getDeviceProperties(index)
        gpu_name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
        desc = (f"device: {index}, name: {gpu_name}, pci bus id: {props.get('pciBusID', 0):04x}:00.0, "
                f"compute capability: {props['major']}.{props['minor']}")
        name = f"/device:GPU:{index}"
        out.append(DeviceAttributes(name, "GPU", int(total), {"bus_id": 1}, _incarnation(name), desc))
    return out
