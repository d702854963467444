"""device_lib.list_local_devices, as TF1's tensorflow.python.client.device_lib."""

import estflow as tf
from estflow.core import devices
from estflow.python.client import device_lib


def test_lists_the_cpu_first_and_each_gpu_cupy_sees():
    listed = device_lib.list_local_devices()
    assert listed[0].name == "/device:CPU:0" and listed[0].device_type == "CPU"
    assert listed[0].memory_limit == 268435456 and listed[0].incarnation > 0
    gpus = [d for d in listed if d.device_type == "GPU"]
    assert [d.name for d in gpus] == [f"/device:GPU:{i}" for i in range(devices.num_gpus())]
    assert 'name: "/device:CPU:0"' in str(listed[0]) and 'device_type: "CPU"' in str(listed[0])


def test_takes_a_session_config_and_names_are_stable():
    first = device_lib.list_local_devices(tf.ConfigProto())
    assert [d.name for d in first] == [d.name for d in device_lib.list_local_devices()]
    assert first[0].incarnation == device_lib.list_local_devices()[0].incarnation
