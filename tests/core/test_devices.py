"""Device placement and copies, exercised without a GPU through a numpy-backed stand-in for cupy.

The stand-in's arrays are an ndarray subclass, so a value that crossed to the "GPU" is
visible as such; these tests cover the session's device logic (placement, copies at
boundaries, CPU fallback for string ops, numpy results), not CUDA kernels, which the
`gpu`-marked tests cover on a real device.
"""

import contextlib
import types

import numpy as np
import pytest

import estflow as tf
from estflow.core import devices
from estflow.core.devices import DeviceSpec, canonical_device, device_kind, merge_device


class _DeviceArray(np.ndarray):
    pass


@pytest.fixture
def fake_gpu(monkeypatch):
    fake = types.SimpleNamespace(__name__="cupy")
    for name in dir(np):
        setattr(fake, name, getattr(np, name))
    fake.asarray = lambda x, dtype=None: np.asarray(x, dtype=dtype).view(_DeviceArray)
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
                                      Device=lambda index: contextlib.nullcontext())
    monkeypatch.setattr(devices, "_cupy", fake)
    monkeypatch.setattr(devices, "_cupy_checked", True)
    original = devices.to_numpy
    monkeypatch.setattr(devices, "to_numpy",
                        lambda v: np.asarray(v) if isinstance(v, _DeviceArray) else original(v))
    return fake


def test_gpu_ops_receive_device_arrays_and_fetches_come_back_as_numpy(fake_gpu):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape=[2])
        with tf.device("/gpu:0"):
            y = x * 2.0
        z = y + 1.0  # back on the CPU: a copy from the device
    with tf.Session(graph=g) as sess:
        plan_out = sess.run([y, z], {x: [1.0, 2.0]})
        plan = next(iter(sess._cache.values()))
    assert [type(v) for v in plan_out] == [np.ndarray, np.ndarray]
    np.testing.assert_array_equal(plan_out[0], [2.0, 4.0])
    np.testing.assert_array_equal(plan_out[1], [3.0, 5.0])
    # The feed copied to the device, the multiply, its result copied back for the add, the add.
    assert [step[5].type for step in plan.steps] == ["Mul", "Mul", "AddV2", "AddV2"]
    assert plan.steps[0][0] is not plan.steps[1][0]


def test_training_with_variables_on_the_gpu(fake_gpu):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape=[None, 3])
        with tf.device("/gpu:0"):
            w = tf.Variable(np.ones((3, 2), np.float32))
            loss = tf.reduce_mean(tf.nn.relu(tf.matmul(x, w) + 1.0))
            lengths = tf.strings.length(tf.constant(["ab", "c"]))  # string op: runs on the CPU
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session(graph=g) as sess:
        sess.run(tf.global_variables_initializer())
        value, lens = sess.run([loss, lengths], {x: np.ones((2, 3))})
        assert value == 4.0 and lens.tolist() == [2, 1]
        sess.run(train, {x: np.ones((2, 3))})
        np.testing.assert_allclose(sess.run(w), np.full((3, 2), 0.95), rtol=1e-6)


def test_device_strings():
    assert canonical_device("/gpu:1") == "/device:GPU:1"
    assert canonical_device("/job:worker/task:2/cpu:0") == "/job:worker/task:2/device:CPU:0"
    assert merge_device("/job:worker", "/gpu:0") == "/job:worker/device:GPU:0"
    assert device_kind("") == ("CPU", 0) and device_kind("/device:GPU:3") == ("GPU", 3)
    assert DeviceSpec.from_string("/device:CPU:0").device_type == "CPU"
    for short, full in (("cpu:0", "/device:CPU:0"), ("/cpu", "/device:CPU:0"), ("/gpu", "/device:GPU:0"),
                        ("gpu:1", "/device:GPU:1"), ("CPU:0", "/device:CPU:0")):
        assert canonical_device(short) == full, short
    with pytest.raises(ValueError, match="Unknown device"):
        DeviceSpec.from_string("/tpu:0")


HAS_GPU = devices.cupy_module() is not None


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_cpu_device_runs():
    with tf.device("/cpu:0"):
        a = tf.constant([1.0, 2.0]) * 2
    with tf.device("/device:CPU:0"):
        b = a + 1
    assert run(b).tolist() == [3.0, 5.0]


@pytest.mark.usefixtures("g")
@pytest.mark.skipif(HAS_GPU, reason="checks the no-GPU path")
def test_gpu_without_cupy_is_a_clear_error():
    with tf.device("/gpu:0"):
        a = tf.constant([1.0]) + 1
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(a)
    assert "Cannot assign a device for operation" in e.value.message and "allow_soft_placement" in e.value.message


@pytest.mark.usefixtures("g")
@pytest.mark.skipif(HAS_GPU, reason="checks the no-GPU path")
def test_gpu_without_cupy_soft_placement_falls_back_to_cpu():
    with tf.device("/device:GPU:0"):
        a = tf.constant([1.0]) + 1
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        assert sess.run(a).tolist() == [2.0]


@pytest.mark.usefixtures("g")
@pytest.mark.gpu
@pytest.mark.skipif(not HAS_GPU, reason="needs cupy and a CUDA GPU")
def test_gpu_runs_cupy_kernels_with_copies_and_string_fallback():
    with tf.device("/gpu:0"):
        x = tf.placeholder(tf.float32, [3])
        y = tf.matmul(tf.reshape(x, [1, 3]), tf.ones([3, 1])) + 1
        s = tf.as_string(y)
    with tf.device("/cpu:0"):
        z = y * 2
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        out = sess.run([y, z, s], {x: [1.0, 2.0, 3.0]})
    assert isinstance(out[0], np.ndarray) and out[0].tolist() == [[7.0]]
    assert out[1].tolist() == [[14.0]] and out[2].tolist() == [[b"7.000000"]]
