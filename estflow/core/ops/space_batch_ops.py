"""Moving spatial blocks into depth or batch and back: SpaceToDepth, DepthToSpace, SpaceToBatchND,
BatchToSpaceND (`tf.space_to_depth`, `tf.nn.space_to_batch`, ...), each a pad/crop plus one
reshape-transpose-reshape; each op's gradient is the other op of its pair.
"""

from __future__ import annotations

from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape


def _channels_first(data_format: str) -> bool:
    return data_format == "NCHW"


# ================================================================================================
# SpaceToDepth / DepthToSpace
# ================================================================================================
def _depth_infer(to_depth):
    def infer(input, *, block_size, data_format):
        if block_size < 2:
            raise ValueError(f"Attr block_size has value {block_size} that is less than the minimum 2")
        if data_format not in ("NHWC", "NCHW"):
            raise ValueError(f"data_format must be NHWC or NCHW, got {data_format!r}")
        if input.shape.ndims is not None and input.shape.ndims != 4:
            raise ValueError(f"Shape must be rank 4 but is rank {input.shape.ndims}")
        dims = list(input.shape.as_tuple() or (None,) * 4)
        first = _channels_first(data_format)
        h_axis, w_axis, c_axis = (2, 3, 1) if first else (1, 2, 3)
        b = block_size
        out = list(dims)
        for axis in (h_axis, w_axis):
            if dims[axis] is None:
                continue
            if to_depth:
                if dims[axis] % b:
                    raise ValueError(f"Dimension size must be evenly divisible by {b} but is {dims[axis]}")
                out[axis] = dims[axis] // b
            else:
                out[axis] = dims[axis] * b
        if dims[c_axis] is not None:
            if to_depth:
                out[c_axis] = dims[c_axis] * b * b
            else:
                if dims[c_axis] % (b * b):
                    raise ValueError(f"Dimension size must be evenly divisible by {b * b} but is {dims[c_axis]}")
                out[c_axis] = dims[c_axis] // (b * b)
        return TensorSpec(TensorShape(out), input.dtype)

    return infer


def _space_to_depth_kernel(xp, input, block_size, data_format):
    b = block_size
    if _channels_first(data_format):
        n, c, h, w = (int(d) for d in input.shape)
        x = input.reshape(n, c, h // b, b, w // b, b)
        return xp.ascontiguousarray(xp.transpose(x, (0, 3, 5, 1, 2, 4))).reshape(n, b * b * c, h // b, w // b)
    n, h, w, c = (int(d) for d in input.shape)
    if h % b or w % b:
        raise ValueError(f"Image height {h} and width {w} must be divisible by block_size {b}")
    x = input.reshape(n, h // b, b, w // b, b, c)
    return xp.ascontiguousarray(xp.transpose(x, (0, 1, 3, 2, 4, 5))).reshape(n, h // b, w // b, b * b * c)


def _depth_to_space_kernel(xp, input, block_size, data_format):
    b = block_size
    if _channels_first(data_format):
        n, c, h, w = (int(d) for d in input.shape)
        x = input.reshape(n, b, b, c // (b * b), h, w)
        return xp.ascontiguousarray(xp.transpose(x, (0, 3, 4, 1, 5, 2))).reshape(n, c // (b * b), h * b, w * b)
    n, h, w, c = (int(d) for d in input.shape)
    if c % (b * b):
        raise ValueError(f"Input depth {c} must be divisible by block_size squared {b * b}")
    x = input.reshape(n, h, w, b, b, c // (b * b))
    return xp.ascontiguousarray(xp.transpose(x, (0, 1, 3, 2, 4, 5))).reshape(n, h * b, w * b, c // (b * b))


def _depth_grad(other):
    def grad(op, g):
        return apply_op(other, g, name=other, block_size=op.get_attr("block_size"),
                        data_format=op.get_attr("data_format"))

    return grad


_DEPTH_TYPES = {"T": "type", "block_size": "int >= 2", "data_format": "string"}
register(OpDef("SpaceToDepth", infer=_depth_infer(True), kernel=_space_to_depth_kernel,
               grad=_depth_grad("DepthToSpace"), attrs={"block_size": REQUIRED, "data_format": "NHWC"},
               input_names=("input: T",), output_names=("output: T",), attr_types=dict(_DEPTH_TYPES)))
register(OpDef("DepthToSpace", infer=_depth_infer(False), kernel=_depth_to_space_kernel,
               grad=_depth_grad("SpaceToDepth"), attrs={"block_size": REQUIRED, "data_format": "NHWC"},
               input_names=("input: T",), output_names=("output: T",), attr_types=dict(_DEPTH_TYPES)))


# ================================================================================================
# SpaceToBatchND / BatchToSpaceND
# ================================================================================================
def _batch_infer(to_batch):
    def infer(input, block_shape, amounts, **_):
        if block_shape.value is None or amounts.value is None or input.shape.ndims is None:
            return TensorSpec(TensorShape(None if input.shape.ndims is None else [None] * input.shape.ndims),
                              input.dtype)
        blocks = [int(v) for v in block_shape.value.reshape(-1).tolist()]
        pairs = amounts.value.reshape(-1, 2).tolist()
        dims = list(input.shape.as_tuple())
        if len(pairs) != len(blocks) or len(dims) < len(blocks) + 1:
            raise ValueError(f"block_shape {blocks} and {'paddings' if to_batch else 'crops'} {pairs} do not fit "
                             f"an input of rank {len(dims)}")
        prod = 1
        for b in blocks:
            prod *= b
        out = list(dims)
        if to_batch:
            out[0] = None if dims[0] is None else dims[0] * prod
            for i, (b, (lo, hi)) in enumerate(zip(blocks, pairs)):
                d = dims[1 + i]
                if d is not None:
                    if (d + lo + hi) % b:
                        raise ValueError(f"padded dimension {d + lo + hi} is not divisible by block size {b}")
                    out[1 + i] = (d + lo + hi) // b
        else:
            if dims[0] is not None and dims[0] % prod:
                raise ValueError(f"batch {dims[0]} is not divisible by the product of block sizes {prod}")
            out[0] = None if dims[0] is None else dims[0] // prod
            for i, (b, (lo, hi)) in enumerate(zip(blocks, pairs)):
                d = dims[1 + i]
                out[1 + i] = None if d is None else d * b - lo - hi
        return TensorSpec(TensorShape(out), input.dtype)

    return infer


def _space_to_batch_kernel(xp, input, block_shape, paddings):
    blocks = [int(v) for v in block_shape.reshape(-1).tolist()]
    pairs = [[int(v) for v in p] for p in paddings.reshape(-1, 2).tolist()]
    m = len(blocks)
    rest = list(input.shape[1 + m:])
    x = xp.pad(input, [(0, 0)] + [tuple(p) for p in pairs] + [(0, 0)] * len(rest))
    n = int(x.shape[0])
    split = [n]
    for i, b in enumerate(blocks):
        d = int(x.shape[1 + i])
        if d % b:
            raise ValueError(f"padded_shape[{i}]={d} is not divisible by block_shape[{i}]={b}")
        split += [d // b, b]
    x = x.reshape(split + [int(r) for r in rest])
    order = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + \
        list(range(1 + 2 * m, 1 + 2 * m + len(rest)))
    x = xp.transpose(x, order)
    prod = 1
    for b in blocks:
        prod *= b
    return xp.ascontiguousarray(x).reshape([n * prod] + [split[1 + 2 * i] for i in range(m)] + [int(r) for r in rest])


def _batch_to_space_kernel(xp, input, block_shape, crops):
    blocks = [int(v) for v in block_shape.reshape(-1).tolist()]
    pairs = [[int(v) for v in p] for p in crops.reshape(-1, 2).tolist()]
    m = len(blocks)
    prod = 1
    for b in blocks:
        prod *= b
    batch = int(input.shape[0])
    if batch % prod:
        raise ValueError(f"Input batch dimension ({batch}) is not divisible by product of block sizes ({prod})")
    spatial = [int(d) for d in input.shape[1:1 + m]]
    rest = [int(d) for d in input.shape[1 + m:]]
    x = input.reshape(blocks + [batch // prod] + spatial + rest)
    order = [m]
    for i in range(m):
        order += [m + 1 + i, i]
    order += list(range(2 * m + 1, 2 * m + 1 + len(rest)))
    x = xp.ascontiguousarray(xp.transpose(x, order)).reshape([batch // prod] + [s * b for s, b in zip(spatial, blocks)]
                                                            + rest)
    key = (slice(None),) + tuple(slice(lo, s * b - hi) for (lo, hi), s, b in zip(pairs, spatial, blocks))
    return xp.ascontiguousarray(x[key])


def _space_to_batch_grad(op, g):
    _, block_shape, paddings = op.inputs
    return apply_op("BatchToSpaceND", g, block_shape, paddings, name="BatchToSpaceND"), None, None


def _batch_to_space_grad(op, g):
    _, block_shape, crops = op.inputs
    return apply_op("SpaceToBatchND", g, block_shape, crops, name="SpaceToBatchND"), None, None


register(OpDef("SpaceToBatchND", infer=_batch_infer(True), kernel=_space_to_batch_kernel, grad=_space_to_batch_grad,
               broadcasts=False, input_names=("input: T", "block_shape: Tblock_shape", "paddings: Tpaddings"),
               output_names=("output: T",),
               attr_types={"T": "type", "Tblock_shape": "type = int32", "Tpaddings": "type = int32"}))
register(OpDef("BatchToSpaceND", infer=_batch_infer(False), kernel=_batch_to_space_kernel, grad=_batch_to_space_grad,
               broadcasts=False, input_names=("input: T", "block_shape: Tblock_shape", "crops: Tcrops"),
               output_names=("output: T",),
               attr_types={"T": "type", "Tblock_shape": "type = int32", "Tcrops": "type = int32"}))


# ================================================================================================
# The TF1 functions
# ================================================================================================
def space_to_depth(input, block_size, name=None, data_format="NHWC"):  # noqa: A002 - TF's argument name
    """Move each block_size x block_size spatial block into depth, as `tf.space_to_depth`."""
    return apply_op("SpaceToDepth", input, name=name or "SpaceToDepth", block_size=int(block_size),
                    data_format=data_format)


def depth_to_space(input, block_size, name=None, data_format="NHWC"):  # noqa: A002 - TF's argument name
    """Move depth into block_size x block_size spatial blocks, as `tf.depth_to_space`."""
    return apply_op("DepthToSpace", input, name=name or "DepthToSpace", block_size=int(block_size),
                    data_format=data_format)


def space_to_batch_nd(input, block_shape, paddings, name=None):  # noqa: A002 - TF's argument name
    """Pad the spatial dims and move their blocks into the batch, as `tf.space_to_batch_nd`."""
    return apply_op("SpaceToBatchND", input, block_shape, paddings, name=name or "SpaceToBatchND")


def batch_to_space_nd(input, block_shape, crops, name=None):  # noqa: A002 - TF's argument name
    """The inverse of space_to_batch_nd (then crop), as `tf.batch_to_space_nd`."""
    return apply_op("BatchToSpaceND", input, block_shape, crops, name=name or "BatchToSpaceND")


def space_to_batch(input, paddings, block_size=None, name=None, block_shape=None):  # noqa: A002
    """space_to_batch_nd over the two spatial dims of a 4-D input with a square block, as TF1's
    `tf.space_to_batch` / `tf.nn.space_to_batch`."""
    block_size = block_shape if block_size is None else block_size
    if block_size is None:
        raise TypeError("space_to_batch() needs block_size.")
    return space_to_batch_nd(input, [int(block_size)] * 2, paddings, name=name or "SpaceToBatchND")


def batch_to_space(input, crops, block_size, name=None, block_shape=None):  # noqa: A002
    """batch_to_space_nd with a square block over two spatial dims, as TF1's `tf.batch_to_space`
    (estflow builds TF's BatchToSpaceND op, which computes the same as BatchToSpace)."""
    block_size = block_shape if block_size is None else block_size
    return batch_to_space_nd(input, [int(block_size)] * 2, crops, name=name or "BatchToSpaceND")
