"""`tf.ensure_shape`: the input unchanged, its static shape refined to `shape`, and its run-time shape
checked against it (TF's EnsureShape op)."""

from __future__ import annotations

from estflow.core import errors
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape, as_shape


def _infer(x, *, shape):
    shape = as_shape(shape)
    if not x.shape.is_compatible_with(shape):
        raise ValueError(f"Shapes must be equal rank, or compatible: {x.shape} and {shape}"
                         if x.shape.ndims != shape.ndims or shape.ndims is None else
                         f"Shape {x.shape} is not compatible with the expected shape {shape}")
    return TensorSpec(x.shape.merge_with(shape), x.dtype)


def _kernel(xp, x, shape):
    expected = as_shape(shape)
    if not expected.is_compatible_with(TensorShape(list(x.shape))):
        raise errors.InvalidArgumentError(None, None, f"Shape of tensor {list(x.shape)} is not compatible with "
                                          f"expected shape {expected}.")
    return x


register(OpDef("EnsureShape", infer=_infer, kernel=_kernel, grad=lambda op, grad: (grad,), attrs={"shape": None},
               aliases_input=True, input_names=("input: T",), output_names=("output: T",),
               attr_types={"shape": "shape", "T": "type"}))


def ensure_shape(x, shape, name=None):
    """`x`, with static shape refined to `shape` and an InvalidArgumentError at run time when its
    actual shape disagrees, as `tf.ensure_shape` (None dims match anything).

        images = tf.ensure_shape(images, [None, 28, 28, 1])
    """
    return apply_op("EnsureShape", x, name=name or "EnsureShape", shape=as_shape(shape))
