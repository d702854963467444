"""tf.layers.InputSpec: Keras's spec, checked when a layer with an input_spec is called."""

import pytest

import estflow as tf


class ScaleLayer(tf.layers.Layer):
    def __init__(self, spec, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = spec

    def build(self, input_shape):
        self.w = self.add_weight("w", [int(input_shape[-1])])

    def call(self, inputs):
        return inputs * self.w


def test_repr_and_config_as_keras():
    assert repr(tf.layers.InputSpec(ndim=4)) == "InputSpec(ndim=4)"
    spec = tf.layers.InputSpec(dtype=tf.float32, shape=(None, 3), axes={-1: 3})
    assert repr(spec) == "InputSpec(dtype=float32, shape=(None, 3), ndim=2, axes={-1: 3})"
    assert tf.layers.InputSpec.from_config(spec.get_config()).get_config() == spec.get_config()
    with pytest.raises(TypeError, match="integer keys"):
        tf.layers.InputSpec(axes={"last": 3})
    with pytest.raises(ValueError, match="Axis 2 is greater than the maximum allowed value: 1"):
        tf.layers.InputSpec(ndim=2, axes={2: 3})


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("spec, shape, dtype, message", [
    (tf.layers.InputSpec(ndim=2), [None, 3, 1], tf.float32, r"expected ndim=2, found ndim=3. Full shape received: "
                                                            r"\(None, 3, 1\)"),
    (tf.layers.InputSpec(min_ndim=2), [3], tf.float32, "expected min_ndim=2, found ndim=1"),
    (tf.layers.InputSpec(max_ndim=2), [1, 2, 3], tf.float32, "expected max_ndim=2, found ndim=3"),
    (tf.layers.InputSpec(dtype=tf.float32), [2, 3], tf.float64, "expected dtype=float32, found dtype=float64"),
    (tf.layers.InputSpec(axes={-1: 4}), [2, 3], tf.float32, r"expected axis -1 of input shape to have value 4, but "
                                                            r"received input with shape \(2, 3\)"),
    (tf.layers.InputSpec(shape=(None, 4)), [2, 3], tf.float32, r"expected shape=\(None, 4\), found shape=\(2, 3\)"),
])
def test_a_call_checks_its_inputs(spec, shape, dtype, message):
    layer = ScaleLayer(spec, name="scale")
    with pytest.raises(ValueError, match='Input 0 of layer "scale" is incompatible with the layer: ' + message):
        layer(tf.placeholder(dtype, shape))
    assert not layer.built


@pytest.mark.usefixtures("g")
def test_matching_inputs_pass():
    ok = ScaleLayer(tf.layers.InputSpec(min_ndim=2, axes={-1: 3}, dtype=tf.float32))
    assert ok(tf.placeholder(tf.float32, [None, 3])).shape.as_list() == [None, 3]
    squeeze = ScaleLayer(tf.layers.InputSpec(shape=(None, 3, 1), allow_last_axis_squeeze=True))
    squeeze(tf.placeholder(tf.float32, [5, 3]))
    with pytest.raises(ValueError, match="expects 2 input"):
        ScaleLayer([tf.layers.InputSpec(), tf.layers.InputSpec()])(tf.placeholder(tf.float32, [1, 3]))
