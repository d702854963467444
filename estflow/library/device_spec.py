"""`tf.DeviceSpec`: a device name as its parts (job, replica, task, device type and index), as TF1's
DeviceSpec: mutable, parsed from and written to TF's device strings, merged field by field.

    spec = tf.DeviceSpec(job="ps", device_type="CPU", device_index=0)
    spec.to_string()                              # '/job:ps/device:CPU:0'
    with tf.device(spec): ...
"""

from __future__ import annotations


def _as_int_or_none(value):
    return None if value is None else int(value)


def _as_type_or_none(device_type):
    if device_type is None:
        return None
    device_type = str(device_type)
    return device_type.upper() if device_type.upper() in ("CPU", "GPU") else device_type


class DeviceSpec:
    """A (partial) device specification, as TF1's `tf.DeviceSpec`."""

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job = job
        self.replica = replica
        self.task = task
        self.device_type = device_type
        self.device_index = device_index

    # ---- fields (settable, as in TF1) ----------------------------------------------------------
    job = property(lambda self: self._job, lambda self, job: setattr(self, "_job", None if job is None else str(job)))
    replica = property(lambda self: self._replica,
                       lambda self, replica: setattr(self, "_replica", _as_int_or_none(replica)))
    task = property(lambda self: self._task, lambda self, task: setattr(self, "_task", _as_int_or_none(task)))
    device_type = property(lambda self: self._device_type,
                           lambda self, kind: setattr(self, "_device_type", _as_type_or_none(kind)))
    device_index = property(lambda self: self._device_index,
                            lambda self, index: setattr(self, "_device_index", _as_int_or_none(index)))

    def _fields(self):
        return (self.job, self.replica, self.task, self.device_type, self.device_index)

    # ---- strings -------------------------------------------------------------------------------
    def parse_from_string(self, spec):
        """Sets the fields a device string names ('/job:w/task:1/device:GPU:0', '/cpu:0', 'gpu:*'), returns self."""
        for part in (spec or "").split("/"):
            fields = part.split(":")
            key = fields[0]
            if len(fields) == 2 and key == "job":
                self.job = fields[1]
            elif len(fields) == 2 and key == "replica":
                self.replica = fields[1]
            elif len(fields) == 2 and key == "task":
                self.task = fields[1]
            elif len(fields) in (1, 2) and key.upper() in ("CPU", "GPU"):
                if self.device_type is not None and self.device_type != key.upper():
                    raise ValueError(f"Multiple device types are not allowed while parsing the device spec: {spec}.")
                self.device_type = key.upper()
                if len(fields) == 2 and fields[1] != "*":
                    self.device_index = int(fields[1])
            elif len(fields) == 3 and key == "device":
                self.device_type = fields[1]
                if fields[2] != "*":
                    self.device_index = int(fields[2])
            elif key:
                raise ValueError(f"Unknown attribute '{key}' is encountered while parsing the device spec: "
                                 f"'{spec}'.")
        return self

    @classmethod
    def from_string(cls, spec):
        """A new DeviceSpec parsed from a device string."""
        return cls().parse_from_string(spec)

    def to_string(self) -> str:
        """The device string: '/job:.../replica:.../task:.../device:TYPE:INDEX' ('*' for no index)."""
        out = ""
        if self.job is not None:
            out += f"/job:{self.job}"
        if self.replica is not None:
            out += f"/replica:{self.replica}"
        if self.task is not None:
            out += f"/task:{self.task}"
        if self.device_type is not None:
            out += f"/device:{self.device_type}:{'*' if self.device_index is None else self.device_index}"
        return out

    # ---- merging -------------------------------------------------------------------------------
    def merge_from(self, dev) -> None:
        """Takes each field `dev` sets (a DeviceSpec or device string); the others stay."""
        other = dev if isinstance(dev, DeviceSpec) else DeviceSpec.from_string(dev)
        for field in ("job", "replica", "task", "device_type", "device_index"):
            value = getattr(other, field)
            if value is not None:
                setattr(self, field, value)

    def make_merged_spec(self, dev):
        """A new DeviceSpec: this one merged with `dev`."""
        merged = DeviceSpec(*self._fields())
        merged.merge_from(dev)
        return merged

    def replace(self, **kwargs):
        """A new DeviceSpec with the given fields replaced."""
        fields = dict(zip(("job", "replica", "task", "device_type", "device_index"), self._fields(), strict=True))
        unknown = set(kwargs) - set(fields)
        if unknown:
            raise TypeError(f"replace() got unexpected keyword arguments {sorted(unknown)}")
        fields.update(kwargs)
        return DeviceSpec(**fields)

    def __eq__(self, other):
        return isinstance(other, DeviceSpec) and self.to_string() == other.to_string()

    def __hash__(self):
        return hash(self.to_string())

    def __repr__(self):
        return f"<DeviceSpec {self.to_string()!r}>"
