"""tf.DeviceSpec (estflow/library/device_spec.py): TF1's parsing, strings, merging, and use in tf.device."""

import pytest

import estflow as tf


def test_fields_and_strings():
    spec = tf.DeviceSpec(job="ps", replica="0", task=1, device_type="gpu", device_index=2)
    assert (spec.job, spec.replica, spec.task, spec.device_type, spec.device_index) == ("ps", 0, 1, "GPU", 2)
    assert spec.to_string() == "/job:ps/replica:0/task:1/device:GPU:2"
    assert tf.DeviceSpec(device_type="CPU").to_string() == "/device:CPU:*"
    assert tf.DeviceSpec().to_string() == ""
    spec.device_index = None
    assert spec.to_string() == "/job:ps/replica:0/task:1/device:GPU:*"


@pytest.mark.parametrize("text, expected", [
    ("/job:worker/replica:0/task:3/device:CPU:0", "/job:worker/replica:0/task:3/device:CPU:0"),
    ("/cpu:0", "/device:CPU:0"),
    ("gpu:*", "/device:GPU:*"),
    ("/job:w/GPU", "/job:w/device:GPU:*"),
    ("/device:GPU:1", "/device:GPU:1"),
])
def test_from_string(text, expected):
    assert tf.DeviceSpec.from_string(text).to_string() == expected


def test_bad_strings():
    with pytest.raises(ValueError, match="Unknown attribute 'bogus'"):
        tf.DeviceSpec.from_string("/bogus:1")
    with pytest.raises(ValueError, match="Multiple device types"):
        tf.DeviceSpec.from_string("/cpu:0/gpu:0")


def test_merging_and_replace():
    spec = tf.DeviceSpec.from_string("/job:ps/cpu:0")
    merged = spec.make_merged_spec("/task:2/device:GPU:1")
    assert merged.to_string() == "/job:ps/task:2/device:GPU:1" and spec.to_string() == "/job:ps/device:CPU:0"
    spec.merge_from(tf.DeviceSpec(job="worker"))
    assert spec.to_string() == "/job:worker/device:CPU:0"
    assert spec.replace(device_index=3).device_index == 3 and spec.device_index == 0
    assert tf.DeviceSpec.from_string("/cpu:0") == tf.DeviceSpec(device_type="CPU", device_index=0)
    assert len({tf.DeviceSpec.from_string("/cpu:0"), tf.DeviceSpec(device_type="cpu", device_index=0)}) == 1
    with pytest.raises(TypeError, match="unexpected"):
        spec.replace(colour="red")


@pytest.mark.usefixtures("g")
def test_tf_device_takes_a_device_spec():
    with tf.device(tf.DeviceSpec(device_type="CPU", device_index=0)):
        t = tf.constant(1.0)
    assert t.device == "/device:CPU:0"
