"""`tf.test.compute_gradient` / `compute_gradient_error`: a graph's gradient beside central differences.

As TF1's gradient_checker: the theoretical Jacobian comes from `tf.gradients` run once per
element of `y` (feeding a one-hot upstream gradient), the numeric one from central
differences `(y(x + delta) - y(x - delta)) / (2 delta)` for each element of `x`. Both are
`x_size` by `y_size` arrays. Runs in the default session (call it inside
`with sess.as_default()` or a `tf.test.TestCase` session); `x` is fed, so it may be any
tensor (a constant too); with no `x_init_value` it takes random values in [0, 1).
"""

from __future__ import annotations

import numpy as np

from estflow.core.default_session import get_default_session
from estflow.core.gradients import gradients
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops.array_ops import identity
from estflow.core.ops.constant_op import constant

__all__ = ["compute_gradient", "compute_gradient_error"]


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _dense(value, shape):
    """A fetched gradient as a dense array of `shape` (IndexedSlices values summed into place)."""
    if isinstance(value, (tuple, list)) and len(value) == 3:  # a fetched IndexedSlices: (values, indices, dense_shape)
        values, indices, _ = value
        dense = np.zeros(shape, dtype=values.dtype)
        np.add.at(dense, indices, values)
        return dense
    return np.asarray(value).reshape(shape)


def _theoretical_jacobian(x, x_shape, x_data, dy, dy_shape, dx, extra_feed_dict):
    x_size, dy_size = _size(x_shape), _size(dy_shape)
    real = x.dtype.real_dtype.as_numpy_dtype if hasattr(x.dtype, "real_dtype") else x.dtype.as_numpy_dtype
    jacobian = np.zeros((x_size, dy_size), dtype=real)
    if dx is None:  # y does not depend on x: a zero Jacobian, as TF1's
        return jacobian
    fetch = [dx.values, dx.indices, dx.dense_shape] if isinstance(dx, IndexedSlices) else dx
    one_hot = np.zeros(dy_shape, dtype=dy.dtype.as_numpy_dtype)
    flat = one_hot.reshape(-1)
    for column in range(dy_size):
        flat[:] = 0
        flat[column] = 1
        feed = {x: x_data, dy: one_hot, **extra_feed_dict}
        jacobian[:, column] = _dense(_run(fetch, feed), x_shape).reshape(x_size)
    return jacobian


def _run(fetches, feed):
    sess = get_default_session()
    if sess is None:
        raise ValueError("Cannot compute gradients: no default session is registered. Use `with "
                         "sess.as_default()` or pass a session context (as tf.test.TestCase.cached_session gives).")
    return sess.run(fetches, feed_dict=feed)


def _numeric_jacobian(x, x_shape, x_data, y, y_shape, delta, extra_feed_dict):
    x_size, y_size = _size(x_shape), _size(y_shape)
    real = x.dtype.real_dtype.as_numpy_dtype if hasattr(x.dtype, "real_dtype") else x.dtype.as_numpy_dtype
    jacobian = np.zeros((x_size, y_size), dtype=real)
    x_pos = x_data.copy()
    flat = x_pos.reshape(-1)
    for row in range(x_size):
        original = flat[row]
        flat[row] = original + delta
        y_pos = np.asarray(_run(y, {x: x_pos, **extra_feed_dict}), dtype=np.float64)
        flat[row] = original - delta
        y_neg = np.asarray(_run(y, {x: x_pos, **extra_feed_dict}), dtype=np.float64)
        flat[row] = original
        jacobian[row, :] = ((y_pos - y_neg) / (2 * delta)).reshape(y_size)
    return jacobian


def _x_data(x, x_shape, x_init_value):
    dtype = x.dtype.as_numpy_dtype
    if x_init_value is not None:
        data = np.array(x_init_value, dtype=dtype)
        if data.shape != tuple(x_shape):
            raise ValueError(f"x_init_value has shape {data.shape}, but x_shape is {tuple(x_shape)}")
        return data
    return np.asarray(np.random.random_sample(x_shape), dtype=dtype)


def _one_gradient(x, x_shape, dx, y, y_shape, dy, x_init_value, delta, extra_feed_dict):
    if x.dtype.is_complex or y.dtype.is_complex:
        raise NotImplementedError("compute_gradient: complex x or y is not supported by estflow")
    x_shape = tuple(int(d) for d in x_shape)
    y_shape = tuple(int(d) for d in y_shape)
    x_data = _x_data(x, x_shape, x_init_value)
    theoretical = _theoretical_jacobian(x, x_shape, x_data, dy, y_shape, dx, extra_feed_dict)
    numeric = _numeric_jacobian(x, x_shape, x_data, y, y_shape, delta, extra_feed_dict)
    return theoretical, numeric


def compute_gradient(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None,
                     extra_feed_dict=None):
    """(theoretical, numeric) Jacobians of `y` with respect to `x`, each `x_size` by `y_size`.

    `x` may be a list of tensors (with lists of shapes and initial values): a list of pairs then.
    `init_targets` (ops) run first; `extra_feed_dict` is fed at every run.
    """
    extra_feed_dict = dict(extra_feed_dict or {})
    for target in init_targets or ():
        _run(target, extra_feed_dict)
    xs = x if isinstance(x, list) else [x]
    shapes = x_shape if isinstance(x, list) else [x_shape]
    inits = (x_init_value or [None] * len(xs)) if isinstance(x, list) else [x_init_value]
    if not (len(xs) == len(shapes) == len(inits)):
        raise ValueError("x, x_shape and x_init_value must be lists of the same length when x is a list")
    with y.graph.as_default():
        dy = constant(1.0, shape=y_shape, dtype=y.dtype)
        dxs = gradients(y, xs, identity(dy))
    pairs = [_one_gradient(xi, shape, dxi, y, y_shape, dy, init, delta, extra_feed_dict)
             for xi, shape, dxi, init in zip(xs, shapes, dxs, inits)]
    return pairs if isinstance(x, list) else pairs[0]


def compute_gradient_error(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None,
                           extra_feed_dict=None):
    """The largest absolute difference between the theoretical and numeric Jacobians (over all of `x`)."""
    grads = compute_gradient(x, x_shape, y, y_shape, x_init_value, delta, init_targets, extra_feed_dict)
    error = 0.0
    for theoretical, numeric in grads if isinstance(grads, list) else [grads]:
        if theoretical.size or numeric.size:
            error = max(error, float(np.fabs(theoretical - numeric).max()))
    return error
