"""Convolution and pooling ops, table-driven (STYLE.md §7).

Each case builds one op (or a public tf.nn function) from placeholders and gives a plain
numpy reference written as loops over output positions, independent of the im2col kernels.
One checker asserts: the inferred shape and dtype equal the kernel's output; values match
the reference in float64 and float32; the gradient matches float64 central differences
(for the backprop ops, that checks their second-order rules); and the same on the strict
cupy stand-in. Edge cases and errors follow.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import conv_ops
from estflow.core.ops.constant_op import placeholder
from estflow.core.registry import apply_op
from tests.core.gradient_check import check_gradient


# ---- numpy references: loops over output positions ----------------------------------------------------
def _geometry(sizes, ksize, strides, dilations, padding):
    dims = []
    for size, k, s, d in zip(sizes, ksize, strides, dilations):
        eff = (k - 1) * d + 1
        if isinstance(padding, list):
            before, after = padding[len(dims)]
            dims.append(((size + before + after - eff) // s + 1, before, after))
        elif padding == "VALID":
            dims.append(((size - eff) // s + 1, 0, 0))
        else:
            out = -(-size // s)
            total = max((out - 1) * s + eff - size, 0)
            dims.append((out, total // 2, total - total // 2))
    return dims


def _windows(x, ksize, strides, dilations, padding, fill=0.0):
    """Yield (output position, window key, padded x, geometry) over a padded channels-last x."""
    geo = _geometry(x.shape[1:-1], ksize, strides, dilations, padding)
    padded = np.pad(x, [(0, 0)] + [(b, a) for _, b, a in geo] + [(0, 0)], constant_values=fill)
    for pos in itertools.product(*[range(o) for o, _, _ in geo]):
        key = (slice(None),) + tuple(slice(p * s, p * s + (k - 1) * d + 1, d)
                                     for p, s, k, d in zip(pos, strides, ksize, dilations))
        yield pos, key, padded, geo


def ref_conv(x, w, strides, padding, dilations=None, depthwise=False):
    nd = x.ndim - 2
    dilations = dilations or [1] * nd
    out = None
    for pos, key, padded, geo in _windows(x, w.shape[:nd], strides, dilations, padding):
        window = padded[key]
        if depthwise:
            value = np.einsum("nhwc,hwcm->ncm", window, w).reshape(x.shape[0], -1)
        else:
            value = np.tensordot(window, w, axes=(list(range(1, nd + 2)), list(range(nd + 1))))
        if out is None:
            out = np.zeros((x.shape[0],) + tuple(o for o, _, _ in geo) + (value.shape[-1],))
        out[(slice(None),) + pos] = value
    return out


def ref_conv_grads(x, w, dy, strides, padding, dilations=None, depthwise=False):
    """(d<conv(x, w), dy>/dx, .../dw) by scattering each output position back."""
    nd = x.ndim - 2
    dilations = dilations or [1] * nd
    dw = np.zeros_like(w)
    dx_padded = None
    for pos, key, padded, geo in _windows(x, w.shape[:nd], strides, dilations, padding):  # noqa: B007 - geo: after
        if dx_padded is None:
            dx_padded = np.zeros_like(padded)
        g = dy[(slice(None),) + pos]  # (N, F)
        window = padded[key]
        if depthwise:
            g = g.reshape(x.shape[0], x.shape[-1], -1)  # (N, C, M)
            dw += np.einsum("nhwc,ncm->hwcm", window, g)
            dx_padded[key] += np.einsum("ncm,hwcm->nhwc", g, w)
        else:
            dw += np.tensordot(window, g, axes=([0], [0]))
            dx_padded[key] += np.tensordot(g, w, axes=([1], [nd + 1]))
    crop = (slice(None),) + tuple(slice(b, b + n) for n, (_, b, _) in zip(x.shape[1:-1], geo))
    return dx_padded[crop], dw


def ref_pool(x, ksize, strides, padding, reduce):
    nd = x.ndim - 2
    out = None
    for pos, key, padded, geo in _windows(x, ksize, strides, [1] * nd, padding, fill=np.nan):
        window = padded[key].reshape(x.shape[0], -1, x.shape[-1])
        if out is None:
            out = np.zeros((x.shape[0],) + tuple(o for o, _, _ in geo) + (x.shape[-1],))
        out[(slice(None),) + pos] = reduce(window, axis=1)
    return out


def ref_lrn(x, r=5, bias=1.0, alpha=1.0, beta=0.5):
    out = np.empty_like(x)
    for c in range(x.shape[-1]):
        lo, hi = max(c - r, 0), min(c + r + 1, x.shape[-1])
        out[..., c] = x[..., c] / (bias + alpha * (x[..., lo:hi] ** 2).sum(-1)) ** beta
    return out


def nchw(fn):
    """A reference for channels-first data from a channels-last one."""
    def ref(x, *rest):
        y = fn(np.moveaxis(x, 1, -1), *rest)
        return np.moveaxis(y, -1, 1)

    return ref


# ---- the table -----------------------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    label: str
    build: Callable
    ref: Callable
    shapes: list
    domain: str | tuple = "any"  # one for all inputs, or one per input
    dtype: type = np.float64  # the dtype of round-trip graphs (TF allows only float for some ops)
    grad_rtol: float = 1e-5
    grad: bool = True  # False: TF registers no gradient for the op (LRNGrad)

    def inputs(self, shapes, rng, dtype=None):
        dtype = dtype or self.dtype
        out = []
        domains = self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(shapes)
        for shape, domain in zip(shapes, domains, strict=True):
            if domain == "distinct":  # max pooling: no ties, gaps wider than the finite difference
                values = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 - 1.0
            elif domain == "small_distinct":  # added to "distinct" values: sums stay distinct (dilation)
                values = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.002
            else:
                values = rng.standard_normal(shape)
            out.append(np.asarray(values).astype(dtype))
        return out


def _sizes(shape):
    return tf.constant(list(shape), tf.int32)


def _conv2d_case(label, x_shape, w_shape, strides, padding, dilations=(1, 1), data_format="NHWC"):
    def build(x, w):
        return tf.nn.conv2d(x, w, strides=strides, padding=padding, data_format=data_format,
                            dilations=list(dilations))

    pads = padding if isinstance(padding, str) else [p for p in padding[1:3]] if data_format == "NHWC" else \
        [p for p in padding[2:4]]
    sp = strides[1:3] if data_format == "NHWC" else strides[2:4]

    def ref(x, w):
        f = (lambda a: ref_conv(a, w, sp, pads, list(dilations)))
        return nchw(f)(x) if data_format == "NCHW" else f(x)

    return Case(label, build, ref, [(x_shape, w_shape)])


def _backprop_cases(op_type, nd, x_shape, w_shape, strides, padding, depthwise=False, data_format=None):
    full_strides = [1] + list(strides) + [1]
    extra = {"data_format": data_format} if data_format else {}
    x0 = np.zeros(x_shape)
    dy_shape = ref_conv(x0, np.zeros(w_shape), strides, padding, depthwise=depthwise).shape

    def build_input(w, dy):
        return apply_op(op_type + ("BackpropInputV2" if nd == 3 else "BackpropInput"), _sizes(x_shape), w, dy,
                        strides=full_strides, padding=padding, **extra)

    def build_filter(x, dy):
        return apply_op(op_type + ("BackpropFilterV2" if nd == 3 else "BackpropFilter"), x, _sizes(w_shape), dy,
                        strides=full_strides, padding=padding, **extra)

    return [
        Case(f"{op_type}BackpropInput {padding} {strides}", build_input,
             lambda w, dy: ref_conv_grads(x0, w, dy, strides, padding, depthwise=depthwise)[0],
             [(w_shape, dy_shape)]),
        Case(f"{op_type}BackpropFilter {padding} {strides}", build_filter,
             lambda x, dy: ref_conv_grads(x, np.zeros(w_shape), dy, strides, padding, depthwise=depthwise)[1],
             [(x_shape, dy_shape)]),
    ]


def _pool_case(label, fn, reduce, x_shape, ksize, strides, padding, data_format=None, domain="any",
               dtype=np.float64):
    kwargs = {"data_format": data_format} if data_format else {}

    def build(x):
        return fn(x, ksize, strides, padding, **kwargs)

    def ref(x):
        f = (lambda a: ref_pool(a, ksize[1:-1] if not kwargs or data_format[-1] == "C" else ksize[2:],
                                strides[1:-1] if not kwargs or data_format[-1] == "C" else strides[2:],
                                padding, reduce))
        return nchw(f)(x) if kwargs and data_format[1] == "C" else f(x)

    return Case(label, build, ref, [(x_shape,)], domain, dtype)


def _pool_grad_case(label, op_type, x_shape, ksize, strides, padding, reduce, dtype=np.float64):
    """MaxPoolGrad / AvgPoolGrad against the gradient of the reference pool (by central differences of
    the exact piecewise-linear reference: the vjp of a linear-in-window function)."""
    y_shape = ref_pool(np.zeros(x_shape), ksize[1:-1], strides[1:-1], padding, np.nanmax).shape

    def vjp(x, dy):
        # d<pool(x), dy>/dx: for max, the first maximum of each window; for mean, dy / count spread evenly
        nd = x.ndim - 2
        dx_padded = None
        for pos, key, padded, geo in _windows(x, ksize[1:-1], strides[1:-1], [1] * nd, padding,  # noqa: B007
                                              fill=np.nan):
            if dx_padded is None:
                dx_padded = np.zeros_like(padded)
            window = padded[key]  # (N, *k, C)
            flat = window.reshape(x.shape[0], -1, x.shape[-1])
            g = dy[(slice(None),) + pos]
            if reduce is np.nanmax:
                first = np.nanargmax(flat, axis=1)
                hot = np.zeros_like(flat)
                np.put_along_axis(hot, first[:, None, :], 1.0, axis=1)
                dx_padded[key] += (hot * g[:, None, :]).reshape(window.shape)
            else:
                real = ~np.isnan(flat)
                dx_padded[key] += (real * (g / real.sum(1))[:, None, :]).reshape(window.shape)
        crop = (slice(None),) + tuple(slice(b, b + n) for n, (_, b, _) in zip(x.shape[1:-1], geo))
        return dx_padded[crop]

    if op_type.startswith("Max"):
        def build(x, dy):
            y = apply_op(op_type.replace("Grad", ""), x, ksize=ksize, strides=strides, padding=padding)
            return apply_op(op_type, x, y, dy, ksize=ksize, strides=strides, padding=padding)

        return Case(label, build, vjp, [(x_shape, y_shape)], "distinct", dtype)

    def build_avg(dy):
        return apply_op(op_type, _sizes(x_shape), dy, ksize=ksize, strides=strides, padding=padding)

    return Case(label, build_avg, lambda dy: vjp(np.zeros(x_shape), dy), [(y_shape,)])


CASES = [
    _conv2d_case("conv2d SAME s1", (2, 5, 5, 3), (3, 3, 3, 4), [1, 1, 1, 1], "SAME"),
    _conv2d_case("conv2d SAME s2", (2, 6, 7, 2), (3, 3, 2, 3), [1, 2, 2, 1], "SAME"),
    _conv2d_case("conv2d VALID s2x1", (1, 7, 6, 2), (2, 3, 2, 3), [1, 2, 1, 1], "VALID"),
    _conv2d_case("conv2d dilated", (2, 7, 7, 2), (3, 2, 2, 2), [1, 1, 1, 1], "SAME", dilations=(2, 3)),
    _conv2d_case("conv2d EXPLICIT", (1, 5, 4, 2), (3, 3, 2, 2), [1, 2, 1, 1],
                 [[0, 0], [1, 2], [0, 1], [0, 0]]),
    _conv2d_case("conv2d NCHW", (2, 3, 5, 6), (3, 3, 3, 2), [1, 1, 2, 2], "SAME", data_format="NCHW"),
    Case("conv3d SAME", lambda x, w: tf.nn.conv3d(x, w, [1, 1, 2, 1, 1], "SAME"),
         lambda x, w: ref_conv(x, w, [1, 2, 1], "SAME"), [((1, 4, 5, 3, 2), (2, 3, 2, 2, 3))]),
    Case("conv3d VALID NCDHW", lambda x, w: tf.nn.conv3d(x, w, [1, 1, 1, 2, 1], "VALID", data_format="NCDHW"),
         nchw(lambda x, w: ref_conv(x, w, [1, 2, 1], "VALID")), [((2, 2, 3, 5, 4), (2, 2, 2, 2, 3))]),
    Case("depthwise SAME", lambda x, w: conv_ops.depthwise_conv2d_native(x, w, [1, 1, 1, 1], "SAME"),
         lambda x, w: ref_conv(x, w, [1, 1], "SAME", depthwise=True), [((2, 5, 4, 3), (3, 3, 3, 2))]),
    Case("depthwise VALID s2 NCHW",
         lambda x, w: conv_ops.depthwise_conv2d_native(x, w, [1, 1, 2, 2], "VALID", data_format="NCHW"),
         nchw(lambda x, w: ref_conv(x, w, [2, 2], "VALID", depthwise=True)), [((1, 2, 6, 5), (2, 2, 2, 3))]),
    *_backprop_cases("Conv2D", 2, (2, 5, 4, 3), (3, 3, 3, 2), [2, 1], "SAME"),
    *_backprop_cases("Conv2D", 2, (1, 6, 5, 2), (2, 3, 2, 3), [1, 2], "VALID"),
    *_backprop_cases("Conv3D", 3, (1, 3, 4, 3, 2), (2, 2, 2, 2, 2), [1, 2, 1], "SAME"),
    *_backprop_cases("DepthwiseConv2dNative", 2, (2, 5, 4, 2), (3, 2, 2, 2), [2, 1], "SAME", depthwise=True),
    _pool_case("max_pool SAME", tf.nn.max_pool, np.nanmax, (2, 5, 5, 3), [1, 2, 2, 1], [1, 2, 2, 1], "SAME",
               domain="distinct"),
    _pool_case("max_pool VALID 3x3 s2", tf.nn.max_pool, np.nanmax, (1, 7, 6, 2), [1, 3, 3, 1], [1, 2, 2, 1],
               "VALID", domain="distinct"),
    _pool_case("max_pool NCHW", tf.nn.max_pool, np.nanmax, (2, 2, 5, 4), [1, 1, 2, 3], [1, 1, 2, 2], "SAME",
               data_format="NCHW", domain="distinct"),
    _pool_case("avg_pool SAME", tf.nn.avg_pool, np.nanmean, (2, 5, 5, 3), [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
    _pool_case("avg_pool VALID NCHW", tf.nn.avg_pool, np.nanmean, (2, 3, 6, 5), [1, 1, 2, 2], [1, 1, 2, 1],
               "VALID", data_format="NCHW"),
    _pool_case("max_pool3d SAME", tf.nn.max_pool3d, np.nanmax, (1, 3, 4, 5, 2), [1, 2, 2, 2, 1],
               [1, 2, 2, 2, 1], "SAME", domain="distinct", dtype=np.float32),
    _pool_case("avg_pool3d VALID", tf.nn.avg_pool3d, np.nanmean, (2, 4, 3, 4, 2), [1, 2, 1, 2, 1],
               [1, 2, 1, 1, 1], "VALID"),
    _pool_grad_case("MaxPoolGrad SAME", "MaxPoolGrad", (2, 5, 4, 2), [1, 2, 2, 1], [1, 2, 2, 1], "SAME", np.nanmax),
    _pool_grad_case("MaxPoolGrad VALID overlapping", "MaxPoolGrad", (1, 5, 5, 2), [1, 3, 3, 1], [1, 1, 2, 1],
                    "VALID", np.nanmax),
    _pool_grad_case("MaxPool3DGrad", "MaxPool3DGrad", (1, 3, 4, 3, 2), [1, 2, 2, 2, 1], [1, 1, 2, 1, 1], "SAME",
                    np.nanmax, dtype=np.float32),
    _pool_grad_case("AvgPoolGrad SAME", "AvgPoolGrad", (2, 5, 4, 2), [1, 3, 2, 1], [1, 2, 1, 1], "SAME", np.nanmean),
    _pool_grad_case("AvgPool3DGrad VALID", "AvgPool3DGrad", (1, 4, 3, 4, 2), [1, 2, 2, 2, 1], [1, 1, 1, 2, 1],
                    "VALID", np.nanmean),
    Case("lrn", lambda x: tf.nn.lrn(x, depth_radius=2, bias=1.5, alpha=0.3, beta=0.75),
         lambda x: ref_lrn(x, 2, 1.5, 0.3, 0.75), [((2, 3, 2, 7),)], dtype=np.float32),
    Case("lrn defaults", tf.nn.local_response_normalization, ref_lrn, [((1, 2, 2, 12),)], dtype=np.float32),
]


def _argmax_of(x):
    return tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")[1]


def ref_lrn_grad(dy, x, r=2, bias=1.5, alpha=0.3, beta=0.75):
    """d<lrn(x), dy>/dx by the chain rule written per channel pair."""
    channels = x.shape[-1]
    norm = np.stack([bias + alpha * (x[..., max(c - r, 0):c + r + 1] ** 2).sum(-1) for c in range(channels)], -1)
    dx = dy * norm ** -beta
    for c in range(channels):
        for j in range(max(c - r, 0), min(c + r + 1, channels)):
            dx[..., c] -= dy[..., j] * x[..., j] * beta * norm[..., j] ** (-beta - 1) * 2 * alpha * x[..., c]
    return dx


def _pooled_pick(x, g, ksize, strides, padding):
    """g read at the first maximum of each window of x (MaxPoolGradGrad's meaning)."""
    nd = x.ndim - 2
    out = None
    both = np.concatenate([x, g], axis=-1)
    channels = x.shape[-1]
    for pos, key, padded, geo in _windows(both, ksize, strides, [1] * nd, padding, fill=np.nan):
        window = padded[key].reshape(x.shape[0], -1, 2 * channels)
        first = np.nanargmax(window[..., :channels], axis=1)
        picked = np.take_along_axis(np.nan_to_num(window[..., channels:]), first[:, None, :], axis=1)[:, 0, :]
        if out is None:
            out = np.zeros((x.shape[0],) + tuple(o for o, _, _ in geo) + (channels,))
        out[(slice(None),) + pos] = picked
    return out


def ref_space_to_depth(x, b):
    n, h, w, c = x.shape
    out = np.empty((n, h // b, w // b, b * b * c))
    for i, j, bi, bj in itertools.product(range(h // b), range(w // b), range(b), range(b)):
        out[:, i, j, (bi * b + bj) * c:(bi * b + bj + 1) * c] = x[:, i * b + bi, j * b + bj, :]
    return out


def ref_depth_to_space(x, b):
    n, h, w, c = x.shape
    out = np.empty((n, h * b, w * b, c // (b * b)))
    k = c // (b * b)
    for i, j, bi, bj in itertools.product(range(h), range(w), range(b), range(b)):
        out[:, i * b + bi, j * b + bj, :] = x[:, i, j, (bi * b + bj) * k:(bi * b + bj + 1) * k]
    return out


def ref_space_to_batch(x, blocks, pads):
    padded = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)] * (x.ndim - 1 - len(blocks)))
    n = x.shape[0]
    b1, b2 = blocks
    out = np.empty((n * b1 * b2, padded.shape[1] // b1, padded.shape[2] // b2) + padded.shape[3:])
    for bi, bj in itertools.product(range(b1), range(b2)):
        out[(bi * b2 + bj) * n:(bi * b2 + bj + 1) * n] = padded[:, bi::b1, bj::b2]
    return out


def ref_batch_to_space(x, blocks, crops):
    b1, b2 = blocks
    n = x.shape[0] // (b1 * b2)
    full = np.empty((n, x.shape[1] * b1, x.shape[2] * b2) + x.shape[3:])
    for bi, bj in itertools.product(range(b1), range(b2)):
        full[:, bi::b1, bj::b2] = x[(bi * b2 + bj) * n:(bi * b2 + bj + 1) * n]
    (t, bo), (le, ri) = crops
    return full[:, t:full.shape[1] - bo, le:full.shape[2] - ri]


_max_pool_vjp = next(c for c in CASES if c.label == "MaxPoolGrad SAME").ref  # (x, dy) -> dx, 2x2 SAME s2

def ref_extract_patches(x, k, s, r, padding):
    items = list(_windows(x, k, s, r, padding))
    geo = items[0][3]
    flat = np.stack([padded[key].reshape(x.shape[0], -1) for _, key, padded, _ in items], 1)
    return flat.reshape(x.shape[0], geo[0][0], geo[1][0], -1)


def ref_dilation(x, f, s, r, padding):
    out = None
    for pos, key, padded, geo in _windows(x, f.shape[:2], s, r, padding, fill=-np.inf):
        if out is None:
            out = np.zeros((x.shape[0],) + tuple(o for o, _, _ in geo) + (x.shape[-1],))
        out[(slice(None),) + pos] = (padded[key] + f).max(axis=(1, 2))
    return out


def ref_dilation_grads(x, f, dy, s, r, padding):
    """(d<dilation(x, f), dy>/dx, .../df): each output's gradient to its window's first maximum."""
    dx_padded, df = None, np.zeros_like(f)
    for pos, key, padded, geo in _windows(x, f.shape[:2], s, r, padding, fill=-np.inf):  # noqa: B007 - geo: after
        if dx_padded is None:
            dx_padded = np.zeros_like(padded)
        window = padded[key] + f  # (N, kh, kw, C)
        flat = window.reshape(x.shape[0], -1, x.shape[-1])
        hot = np.zeros_like(flat)
        np.put_along_axis(hot, np.argmax(flat, axis=1)[:, None, :], 1.0, axis=1)
        routed = (hot * dy[(slice(None),) + pos][:, None, :]).reshape(window.shape)
        dx_padded[key] += routed
        df += routed.sum(0)
    crop = (slice(None),) + tuple(slice(b, b + n) for n, (_, b, _) in zip(x.shape[1:-1], geo))
    return dx_padded[crop], df


def ref_extract_volume(x, k, s, padding):
    items = list(_windows(x, k, s, [1, 1, 1], padding))
    geo = items[0][3]
    flat = np.stack([padded[key].reshape(x.shape[0], -1) for _, key, padded, _ in items], 1)
    return flat.reshape(x.shape[0], geo[0][0], geo[1][0], geo[2][0], -1)


CASES += [
    Case("dilation2d SAME", lambda x, f: tf.nn.dilation2d(x, f, [1, 2, 1, 1], [1, 1, 2, 1], "SAME"),
         lambda x, f: ref_dilation(x, f, [2, 1], [1, 2], "SAME"), [((2, 5, 6, 3), (2, 3, 3))],
         ("distinct", "small_distinct")),
    Case("dilation2d VALID", lambda x, f: tf.nn.dilation2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
         lambda x, f: ref_dilation(x, f, [1, 1], [1, 1], "VALID"), [((1, 4, 5, 2), (3, 2, 2))],
         ("distinct", "small_distinct")),
    Case("erosion2d SAME", lambda x, f: tf.nn.erosion2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
         lambda x, f: -ref_dilation(-x, f[::-1, ::-1], [1, 1], [1, 1], "SAME"), [((2, 4, 4, 2), (2, 2, 2))],
         ("distinct", "small_distinct")),
    Case("Dilation2DBackpropInput",
         lambda x, f, dy: apply_op("Dilation2DBackpropInput", x, f, dy, strides=[1, 2, 1, 1], rates=[1, 1, 2, 1],
                                   padding="SAME"),
         lambda x, f, dy: ref_dilation_grads(x, f, dy, [2, 1], [1, 2], "SAME")[0],
         [((2, 5, 6, 3), (2, 3, 3), (2, 3, 6, 3))], ("distinct", "small_distinct", "any"), grad=False),
    Case("Dilation2DBackpropFilter",
         lambda x, f, dy: apply_op("Dilation2DBackpropFilter", x, f, dy, strides=[1, 2, 1, 1], rates=[1, 1, 2, 1],
                                   padding="SAME"),
         lambda x, f, dy: ref_dilation_grads(x, f, dy, [2, 1], [1, 2], "SAME")[1],
         [((2, 5, 6, 3), (2, 3, 3), (2, 3, 6, 3))], ("distinct", "small_distinct", "any"), grad=False),
    Case("extract_image_patches SAME",
         lambda x: tf.extract_image_patches(x, [1, 3, 2, 1], [1, 2, 1, 1], [1, 1, 1, 1], "SAME"),
         lambda x: ref_extract_patches(x, [3, 2], [2, 1], [1, 1], "SAME"), [((2, 5, 4, 3),)]),
    Case("extract_image_patches VALID rates",
         lambda x: tf.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 2, 1], [1, 2, 1, 1], "VALID"),
         lambda x: ref_extract_patches(x, [2, 2], [1, 2], [2, 1], "VALID"), [((1, 6, 5, 2),)]),
    Case("extract_volume_patches SAME",
         lambda x: tf.extract_volume_patches(x, [1, 2, 3, 2, 1], [1, 1, 2, 2, 1], "SAME"),
         lambda x: ref_extract_volume(x, [2, 3, 2], [1, 2, 2], "SAME"), [((1, 3, 5, 4, 2),)]),
    Case("conv3d_backprop_filter (TF 2.15's compat.v1: the V2 op, filter sizes)",
         lambda x, dy: tf.nn.conv3d_backprop_filter(x, [2, 2, 2, 2, 2], dy, [1, 1, 1, 1, 1], "VALID"),
         lambda x, dy: ref_conv_grads(x, np.zeros((2, 2, 2, 2, 2)), dy, [1, 1, 1], "VALID")[1],
         [((1, 3, 3, 3, 2), (1, 2, 2, 2, 2))]),
    Case("space_to_depth", lambda x: tf.space_to_depth(x, 2), lambda x: ref_space_to_depth(x, 2), [((2, 4, 6, 3),)]),
    Case("space_to_depth NCHW", lambda x: tf.space_to_depth(x, 2, data_format="NCHW"),
         nchw(lambda x: ref_space_to_depth(x, 2)), [((2, 3, 4, 6),)]),
    Case("depth_to_space", lambda x: tf.depth_to_space(x, 2), lambda x: ref_depth_to_space(x, 2), [((2, 2, 3, 8),)]),
    Case("depth_to_space NCHW", lambda x: tf.depth_to_space(x, 3, data_format="NCHW"),
         nchw(lambda x: ref_depth_to_space(x, 3)), [((1, 18, 2, 2),)]),
    Case("space_to_batch_nd", lambda x: tf.space_to_batch_nd(x, [2, 3], [[1, 1], [2, 1]]),
         lambda x: ref_space_to_batch(x, [2, 3], [[1, 1], [2, 1]]), [((2, 4, 3, 2),)]),
    Case("batch_to_space_nd", lambda x: tf.batch_to_space_nd(x, [2, 2], [[1, 0], [0, 1]]),
         lambda x: ref_batch_to_space(x, [2, 2], [[1, 0], [0, 1]]), [((8, 3, 2, 2),)]),
    Case("space_to_batch v1 and batch_to_space v1",
         lambda x: tf.batch_to_space(tf.space_to_batch(x, [[0, 1], [1, 0]], block_size=2) * 2.0, [[0, 1], [1, 0]], 2),
         lambda x: 2.0 * x, [((2, 5, 3, 2),)]),
    Case("max_pool_with_argmax", lambda x: tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")[0],
         lambda x: ref_pool(x, [2, 2], [2, 2], "SAME", np.nanmax), [((2, 5, 4, 3),)], "distinct"),
    Case("MaxPoolGradWithArgmax",
         lambda x, dy: apply_op("MaxPoolGradWithArgmax", x, dy, _argmax_of(x), ksize=[1, 2, 2, 1],
                                strides=[1, 2, 2, 1], padding="SAME"),
         lambda x, dy: _max_pool_vjp(x, dy), [((2, 5, 4, 2), (2, 3, 2, 2))], "distinct"),
    Case("MaxPoolGradGradWithArgmax",
         lambda x, g: apply_op("MaxPoolGradGradWithArgmax", x, g, _argmax_of(x), ksize=[1, 2, 2, 1],
                               strides=[1, 2, 2, 1], padding="SAME"),
         lambda x, g: _pooled_pick(x, g, [2, 2], [2, 2], "SAME"), [((2, 5, 4, 2), (2, 5, 4, 2))], "distinct"),
    Case("MaxPoolGradGrad",
         lambda x, g: apply_op("MaxPoolGradGrad", x, tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"), g,
                               ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME"),
         lambda x, g: _pooled_pick(x, g, [2, 2], [2, 2], "SAME"), [((2, 5, 4, 2), (2, 5, 4, 2))], "distinct"),
    Case("MaxPool3DGradGrad",
         lambda x, g: apply_op("MaxPool3DGradGrad", x, tf.nn.max_pool3d(x, [1, 2, 2, 2, 1], [1, 1, 2, 2, 1], "VALID"),
                               g, ksize=[1, 2, 2, 2, 1], strides=[1, 1, 2, 2, 1], padding="VALID"),
         lambda x, g: _pooled_pick(x, g, [2, 2, 2], [1, 2, 2], "VALID"), [((1, 3, 4, 5, 2), (1, 3, 4, 5, 2))],
         "distinct", np.float32),
    Case("MaxPoolV2 and MaxPoolGradV2",
         lambda x, dy: apply_op("MaxPoolGradV2", x, tf.nn.max_pool(x, tf.constant([1, 2, 2, 1]),
                                                                   tf.constant([1, 2, 2, 1]), "SAME"),
                                dy, tf.constant([1, 2, 2, 1]), tf.constant([1, 2, 2, 1]), padding="SAME"),
         lambda x, dy: _max_pool_vjp(x, dy), [((2, 5, 4, 2), (2, 3, 2, 2))], "distinct"),
    Case("LRNGrad", lambda dy, x: apply_op("LRNGrad", dy, x, tf.nn.lrn(x, 2, 1.5, 0.3, 0.75), depth_radius=2,
                                           bias=1.5, alpha=0.3, beta=0.75),
         ref_lrn_grad, [((2, 2, 3, 6), (2, 2, 3, 6))], dtype=np.float32, grad=False),
]

PARAMS = [pytest.param(c, id=c.label) for c in CASES]


def _run(case, dtype, device=None):
    rng = np.random.default_rng(0)
    values = case.inputs(case.shapes[0], rng, dtype)
    g = tf.Graph()
    with g.as_default(), g.device(device):
        phs = [placeholder(tf.as_dtype(dtype), v.shape) for v in values]
        y = case.build(*phs)
        with tf.Session(graph=g) as sess:
            out = sess.run(y, dict(zip(phs, values, strict=True)))
    return y, np.asarray(out), values


@pytest.mark.parametrize("case", PARAMS)
def test_spec_and_value(case):
    for dtype, rtol in ((np.float64, 1e-10), (np.float32, 1e-4)):
        y, out, values = _run(case, dtype)
        assert out.dtype == dtype, f"{case.label}: kernel returned {out.dtype}, inferred {y.dtype.name}"
        assert y.dtype == tf.as_dtype(dtype)
        assert tuple(y.shape.as_list()) == out.shape, f"{case.label}: inferred {y.shape}, kernel {out.shape}"
        expected = case.ref(*[v.astype(np.float64) for v in values])
        np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol, err_msg=case.label)


@pytest.mark.parametrize("case", PARAMS)
def test_gradient(case):
    if not case.grad:
        pytest.skip(f"{case.label}: TF registers no gradient for this op")
    rng = np.random.default_rng(1)
    check_gradient(case.build, case.inputs(case.shapes[0], rng, np.float64), rtol=case.grad_rtol, label=case.label)


@pytest.mark.parametrize("case", PARAMS)
def test_value_on_gpu(case, gpu):
    _, cpu, _ = _run(case, np.float32)
    y, out, _ = _run(case, np.float32, device="/gpu:0")
    assert out.dtype == np.float32 and tuple(y.shape.as_list()) == out.shape, case.label
    np.testing.assert_allclose(out, cpu, rtol=1e-5, atol=1e-5, err_msg=case.label)


# ---- behaviour beyond the table ----------------------------------------------------------------------
def test_none_batch_and_unknown_sizes_infer_partial_shapes(g):
    x = tf.placeholder(tf.float32, [None, 8, None, 3])
    y = tf.nn.conv2d(x, tf.zeros([3, 3, 3, 5]), [1, 2, 2, 1], "SAME")
    assert y.shape.as_list() == [None, 4, None, 5]
    p = tf.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "VALID")
    assert p.shape.as_list() == [None, 3, None, 3]
    with tf.Session() as sess:
        out = sess.run(y, {x: np.ones((2, 8, 5, 3), np.float32)})
    assert out.shape == (2, 4, 3, 5)


def test_shape_errors_at_build_time(g):
    x = tf.zeros([1, 5, 5, 3])
    with pytest.raises(ValueError, match="Depth of input"):
        tf.nn.conv2d(x, tf.zeros([3, 3, 4, 2]), [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="batch and depth"):
        tf.nn.conv2d(x, tf.zeros([3, 3, 3, 2]), [2, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="negative"):
        tf.nn.conv2d(x, tf.zeros([7, 7, 3, 2]), [1, 1, 1, 1], "VALID")
    with pytest.raises(ValueError, match="rank 4"):
        tf.nn.max_pool(tf.zeros([5, 5, 3]), [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    with pytest.raises(TypeError, match="allowed values"):
        tf.nn.avg_pool(tf.zeros([1, 4, 4, 1], tf.int32), [1, 2, 2, 1], [1, 2, 2, 1], "SAME")


def test_max_pool_gradient_goes_to_the_first_maximum_of_a_tie(g):
    x = tf.constant(np.ones((1, 2, 2, 1), np.float32))
    y = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    (dx,) = tf.gradients(y, [x])
    with tf.Session() as sess:
        assert sess.run(dx).reshape(-1).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_max_pool_of_integers_pads_with_the_lowest_value(g):
    x = tf.constant(-np.arange(1, 10, dtype=np.int32).reshape(1, 3, 3, 1))
    y = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    with tf.Session() as sess:
        assert sess.run(y).reshape(-1).tolist() == [-1, -3, -7, -9]


def test_max_pool_with_argmax_indexes_as_tf(g):
    rng = np.random.default_rng(3)
    x_val = rng.permutation(2 * 4 * 5 * 3).reshape(2, 4, 5, 3).astype(np.float32)
    x = tf.constant(x_val)
    for include_batch in (False, True):
        y, argmax = tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME",
                                               include_batch_in_index=include_batch)
        assert argmax.dtype == tf.int64
        with tf.Session() as sess:
            y_val, a_val = sess.run([y, argmax])
        np.testing.assert_array_equal(y_val, ref_pool(x_val, [2, 2], [2, 2], "SAME", np.nanmax))
        flat = x_val.reshape(-1) if include_batch else x_val.reshape(2, -1)
        got = flat[a_val.reshape(-1)] if include_batch else np.stack([flat[b][a_val[b].reshape(-1)]
                                                                      for b in range(2)])
        np.testing.assert_array_equal(got.reshape(-1), y_val.reshape(-1))
    (dx,) = tf.gradients(tf.reduce_sum(y * 2.0), [x])
    with tf.Session() as sess:
        dx_val = sess.run(dx)
    assert dx_val.sum() == 2.0 * y_val.size and set(np.unique(dx_val)) <= {0.0, 2.0}


def test_max_pool_with_argmax_second_order_is_checked_numerically():
    rng = np.random.default_rng(4)
    x_val = (rng.permutation(1 * 4 * 4 * 2).reshape(1, 4, 4, 2) * 0.1).astype(np.float64)

    def build(x):
        y, _ = tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
        (dx,) = tf.gradients(tf.reduce_sum(y * y), [x])
        return dx

    check_gradient(build, [x_val], label="MaxPoolGradWithArgmax")


def test_max_pool_v2_takes_ksize_and_strides_as_tensors(g):
    x_val = np.random.default_rng(5).standard_normal((2, 6, 5, 3))
    x = tf.constant(x_val)
    y = tf.nn.max_pool_v2(x, tf.constant([1, 3, 2, 1]), tf.constant([1, 2, 2, 1]), "VALID")
    (dx,) = tf.gradients(tf.reduce_sum(y), [x])
    (ref_dx,) = tf.gradients(tf.reduce_sum(tf.nn.max_pool(x, [1, 3, 2, 1], [1, 2, 2, 1], "VALID")), [x])
    with tf.Session() as sess:
        y_val, dx_val, ref = sess.run([y, dx, ref_dx])
    np.testing.assert_allclose(y_val, ref_pool(x_val, [3, 2], [2, 2], "VALID", np.nanmax))
    np.testing.assert_array_equal(dx_val, ref)
    assert y.op.type == "MaxPoolV2" and dx.op.type == "MaxPoolGradV2"


def test_second_derivative_through_max_pool_grad_grad():
    rng = np.random.default_rng(6)
    x_val = rng.permutation(2 * 4 * 4 * 2).reshape(2, 4, 4, 2) * 0.1

    def build(x):
        y = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
        (dx,) = tf.gradients(tf.reduce_sum(y * y), [x])
        return dx

    check_gradient(build, [x_val], label="MaxPoolGradGrad")


def test_conv_op_names_follow_tf(g):
    x = tf.placeholder(tf.float32, [1, 4, 4, 2])
    w = tf.zeros([2, 2, 2, 3])
    y = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")
    p = tf.nn.max_pool(y, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    assert (y.op.name, p.op.name) == ("Conv2D", "MaxPool")
    gx, gw = tf.gradients(tf.reduce_sum(p), [x, w])
    assert gx.op.type == "Conv2DBackpropInput" and gw.op.type == "Conv2DBackpropFilter"
    assert y.op.get_attr("padding") == "SAME" and y.op.get_attr("strides") == [1, 1, 1, 1]

