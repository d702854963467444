"""Convolutions and pools against real TensorFlow 2.15.1 (tf.compat.v1 graphs): values and gradients."""

from __future__ import annotations

import json

import numpy as np
import pytest

import estflow as tf
from tests.interop import run_tensorflow

RNG = np.random.default_rng(7)


def _inputs(*shapes):
    return [RNG.standard_normal(s).round(3) for s in shapes]


# (label, code building `y` from `a` (and `b`) in both libraries, input shapes)
CASES = [
    ("conv2d SAME s2", "tf.nn.conv2d(a, b, [1, 2, 2, 1], 'SAME')", [(2, 7, 6, 3), (3, 3, 3, 4)]),
    ("conv2d VALID dilated", "tf.nn.conv2d(a, b, [1, 1, 1, 1], 'VALID', dilations=[1, 2, 2, 1])",
     [(1, 8, 7, 2), (3, 2, 2, 3)]),
    ("conv2d explicit", "tf.nn.conv2d(a, b, [1, 2, 1, 1], [[0, 0], [2, 1], [0, 3], [0, 0]])",
     [(1, 5, 5, 2), (3, 3, 2, 2)]),
    ("conv1d", "tf.nn.conv1d(a, b, 2, 'SAME')", [(2, 9, 3), (4, 3, 2)]),
    ("conv3d", "tf.nn.conv3d(a, b, [1, 2, 1, 1, 1], 'SAME')", [(1, 5, 4, 3, 2), (2, 3, 2, 2, 3)]),
    ("depthwise", "tf.nn.depthwise_conv2d(a, b, [1, 2, 2, 1], 'SAME')", [(2, 6, 5, 3), (3, 3, 3, 2)]),
    ("conv2d_transpose", "tf.nn.conv2d_transpose(a, b, [2, 8, 7, 2], [1, 2, 2, 1], 'SAME')",
     [(2, 4, 4, 3), (3, 3, 2, 3)]),
    ("separable", "tf.nn.separable_conv2d(a, b, tf.ones([1, 1, 6, 2]) * 0.5, [1, 1, 1, 1], 'VALID')",
     [(1, 5, 5, 3), (2, 2, 3, 2)]),
    ("max_pool SAME", "tf.nn.max_pool(a, [1, 3, 3, 1], [1, 2, 2, 1], 'SAME')", [(2, 7, 6, 3)]),
    ("avg_pool SAME", "tf.nn.avg_pool(a, [1, 3, 2, 1], [1, 2, 2, 1], 'SAME')", [(2, 7, 6, 3)]),
    ("max_pool3d", "tf.nn.max_pool3d(a, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], 'SAME')", [(1, 5, 4, 3, 2)]),
    ("avg_pool3d", "tf.nn.avg_pool3d(a, [1, 2, 3, 2, 1], [1, 1, 2, 2, 1], 'SAME')", [(1, 4, 5, 3, 2)]),
    ("lrn", "tf.nn.lrn(a, 2, 1.5, 0.3, 0.75)", [(2, 3, 3, 7)]),
    ("max_pool_with_argmax", "tf.nn.max_pool_with_argmax(a, [1, 2, 2, 1], [1, 2, 2, 1], 'SAME')[0]",
     [(2, 5, 4, 3)]),
    ("space_to_depth", "tf.space_to_depth(a, 2)", [(2, 4, 6, 3)]),
    ("depth_to_space", "tf.depth_to_space(a, 2)", [(2, 2, 3, 8)]),
    ("space_to_batch_nd", "tf.space_to_batch_nd(a, [2, 3], [[1, 1], [2, 1]])", [(2, 4, 3, 2)]),
    ("batch_to_space_nd", "tf.batch_to_space_nd(a, [2, 2], [[1, 0], [0, 1]])", [(8, 3, 2, 2)]),
    ("space_to_batch v1", "tf.space_to_batch(a, [[0, 1], [1, 0]], 2)", [(2, 5, 3, 2)]),
    ("extract_image_patches", "tf.extract_image_patches(a, [1, 3, 2, 1], [1, 2, 1, 1], [1, 1, 2, 1], 'SAME')",
     [(2, 5, 6, 3)]),
    ("dilation2d", "tf.nn.dilation2d(a, b, [1, 2, 1, 1], [1, 1, 2, 1], 'SAME')", [(2, 5, 6, 3), (2, 3, 3)]),
    ("erosion2d", "tf.nn.erosion2d(a, b, [1, 1, 1, 1], [1, 2, 1, 1], 'VALID')", [(1, 6, 5, 2), (2, 2, 2)]),
    ("with_space_to_batch", "tf.nn.with_space_to_batch(a, [2, 3], 'SAME', "
     "lambda c, n, p: tf.nn.conv2d(c, b, [1, 1, 1, 1], p), filter_shape=[3, 2])", [(1, 7, 6, 2), (3, 2, 2, 2)]),
    ("extract_volume_patches", "tf.extract_volume_patches(a, [1, 2, 3, 2, 1], [1, 1, 2, 2, 1], 'SAME')",
     [(1, 3, 5, 4, 2)]),
    ("conv3d_backprop_filter", "tf.nn.conv3d_backprop_filter(a, [2, 2, 2, 2, 3], b, [1] * 5, 'VALID')",
     [(1, 3, 4, 3, 2), (1, 2, 3, 2, 3)]),
]

TF_CODE = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
cases = json.load(open(sys.argv[1]))
out = {}
for label, expr, arrays in cases:
    g = tf.Graph()
    with g.as_default():
        values = [tf.constant(np.array(a, np.float32)) for a in arrays]
        a = values[0]
        b = values[1] if len(values) > 1 else None
        y = eval(expr, {"tf": tf, "a": a, "b": b})
        w = tf.constant(np.linspace(-1, 1, int(np.prod(y.shape.as_list()))).reshape(y.shape.as_list()), tf.float32)
        grads = tf.gradients(tf.reduce_sum(y * w), values)
        with tf.Session() as sess:
            y_val, g_val = sess.run([y, grads])
    out[label] = [y_val.tolist(), [x.tolist() for x in g_val]]
print(json.dumps(out))
"""


@pytest.mark.interop
def test_values_and_gradients_match_tensorflow(tf_python, tmp_path):
    cases = [(label, expr, [a.tolist() for a in _inputs(*shapes)]) for label, expr, shapes in CASES]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    expected = run_tensorflow(tf_python, TF_CODE, path)
    for label, expr, arrays in cases:
        g = tf.Graph()
        with g.as_default():
            values = [tf.constant(np.array(a, np.float32)) for a in arrays]
            scope = {"tf": tf, "a": values[0], "b": values[1] if len(values) > 1 else None}
            y = eval(expr, scope)  # noqa: S307 - the table's own expressions
            n = int(np.prod(y.shape.as_list()))
            w = tf.constant(np.linspace(-1, 1, n).reshape(y.shape.as_list()), tf.float32)
            grads = tf.gradients(tf.reduce_sum(y * w), values)
            with tf.Session() as sess:
                y_val, g_val = sess.run([y, grads])
        want_y, want_g = expected[label]
        np.testing.assert_allclose(y_val, np.array(want_y), rtol=1e-4, atol=1e-4, err_msg=label)
        for i, (got, want) in enumerate(zip(g_val, want_g, strict=True)):
            np.testing.assert_allclose(got, np.array(want), rtol=1e-4, atol=1e-4, err_msg=f"{label} grad {i}")


LAYER_CODE = """
import json
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
x = tf.placeholder(tf.float32, [None, 8, 8, 3])
h = tf.layers.conv2d(x, 4, 3, padding="same")
h = tf.layers.conv2d(h, 4, 3)
h = tf.layers.separable_conv2d(h, 2, 3, depth_multiplier=2)
h = tf.layers.conv2d_transpose(h, 3, 2, strides=2)
h = tf.layers.max_pooling2d(h, 2, 2)
print(json.dumps({"vars": [[v.name, v.shape.as_list()] for v in tf.global_variables()],
                  "ops": sorted(op.name for op in tf.get_default_graph().get_operations()
                                if op.type in ("Conv2D", "BiasAdd", "MaxPool", "DepthwiseConv2dNative",
                                               "Conv2DBackpropInput")),
                  "shape": h.shape.as_list()}))
"""


@pytest.mark.interop
def test_layer_variable_names_and_shapes_match_tensorflow(tf_python, g):
    expected = run_tensorflow(tf_python, LAYER_CODE)
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    h = tf.layers.conv2d(x, 4, 3, padding="same")
    h = tf.layers.conv2d(h, 4, 3)
    h = tf.layers.separable_conv2d(h, 2, 3, depth_multiplier=2)
    h = tf.layers.conv2d_transpose(h, 3, 2, strides=2)
    h = tf.layers.max_pooling2d(h, 2, 2)
    assert [[v.name, v.shape.as_list()] for v in tf.global_variables()] == expected["vars"]
    assert h.shape.as_list() == expected["shape"]
    ops = sorted(op.name for op in g.get_operations()
                 if op.type in ("Conv2D", "BiasAdd", "MaxPool", "DepthwiseConv2dNative", "Conv2DBackpropInput"))
    assert ops == expected["ops"]
