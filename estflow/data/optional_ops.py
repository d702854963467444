"""`tf.data.experimental.Optional`: a value that may be missing, and `get_next_as_optional`.

    OptionalFromValue(*components) -> optional      OptionalNone() -> optional
    OptionalHasValue(optional)     -> bool          OptionalGetValue(optional) -> components
    IteratorGetNextAsOptional(iterator) -> optional: the next element, or none at the end

An optional is a DT_VARIANT scalar; at run time a 0-d object array holding the tuple of the
value's flat components (a sparse leaf as its indices, values and dense shape), or None.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph import Tensor
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.sparse_tensor import SparseTensor
from estflow.data import structure
from estflow.data.iterator_ops import _NOT_INITIALIZED, _STATE, _flat_types_shapes, _handle_key, pack_flat_outputs
from estflow.data.type_spec import TypeSpec

_NO_VALUE = "The given optional does not have a value."


def _variant(value) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def _contents(optional):
    return optional.item() if isinstance(optional, np.ndarray) else optional


register(OpDef(
    "OptionalFromValue", infer=lambda *components, **_: TensorSpec([], dtypes.variant),
    kernel=lambda xp, *components, **_: _variant(tuple(np.array(c, copy=True) for c in components)),
    cpu_only=True, differentiable=False,
    input_names=("components: Toutput_types",), output_names=("optional: variant",),
    attr_types={"Toutput_types": "list(type) >= 1"},
))

register(OpDef(
    "OptionalNone", infer=lambda: TensorSpec([], dtypes.variant), kernel=lambda xp: _variant(None),
    cpu_only=True, differentiable=False, output_names=("optional: variant",),
))

register(OpDef(
    "OptionalHasValue", infer=lambda optional: TensorSpec([], dtypes.bool),
    kernel=lambda xp, optional: np.bool_(_contents(optional) is not None),
    cpu_only=True, differentiable=False, input_names=("optional: variant",), output_names=("has_value: bool",),
))


def _get_value(xp, optional, output_types, output_shapes):
    value = _contents(optional)
    if value is None:
        raise errors.InvalidArgumentError(None, None, _NO_VALUE)
    if len(value) != len(output_types):
        raise errors.InvalidArgumentError(None, None, f"The optional holds {len(value)} components, "
                                                      f"but {len(output_types)} were expected.")
    return value[0] if len(value) == 1 else list(value)


register(OpDef(
    "OptionalGetValue", infer=lambda optional, *, output_types, output_shapes: [
        TensorSpec(s, t) for t, s in zip(output_types, output_shapes, strict=True)],
    kernel=_get_value, attrs={"output_types": REQUIRED, "output_shapes": REQUIRED},
    cpu_only=True, differentiable=False, input_names=("optional: variant",),
    output_names=("components: output_types",),
    attr_types={"output_types": "list(type) >= 1", "output_shapes": "list(shape) >= 1"},
))


def _make_get_next_as_optional(op, ctx):
    def get_next_as_optional(handle):
        state = ctx.state.get((_STATE, _handle_key(handle)))
        if state is None:
            raise errors.FailedPreconditionError(None, None, _NOT_INITIALIZED)
        try:
            return _variant(tuple(state.get_next()))
        except errors.OutOfRangeError:
            return _variant(None)

    return get_next_as_optional


register(OpDef(
    "IteratorGetNextAsOptional", infer=lambda handle, **_: TensorSpec([], dtypes.variant),
    make_kernel=_make_get_next_as_optional, attrs={"output_types": REQUIRED, "output_shapes": REQUIRED},
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("iterator: resource",), output_names=("optional: variant",),
    attr_types={"output_types": "list(type) >= 1", "output_shapes": "list(shape) >= 1"},
))


# ---- the Python side ---------------------------------------------------------------------------------------
class Optional:
    """A value that may be missing, as `tf.data.experimental.Optional` (TF1 graph mode: tensors to run).

        opt = tf.data.experimental.get_next_as_optional(iterator)
        x = tf.cond(opt.has_value(), lambda: opt.get_value(), lambda: tf.constant(-1, tf.int64))
    """

    def __init__(self, variant_tensor, element_spec):
        self._variant_tensor = variant_tensor
        self._element_spec = element_spec

    @staticmethod
    def from_value(value) -> Optional:
        """An Optional holding `value` (a structure of tensors and sparse tensors)."""
        with_tensors = structure.map_structure(
            lambda v: v if isinstance(v, (Tensor, SparseTensor)) else convert_to_tensor(v), value)
        spec = structure.map_structure(lambda v: structure.spec_of(v), with_tensors)
        flat = []
        for leaf in structure.flatten(with_tensors):
            flat.extend((leaf.indices, leaf.values, leaf.dense_shape) if isinstance(leaf, SparseTensor) else (leaf,))
        variant = apply_op("OptionalFromValue", *flat, name="OptionalFromValue")
        return Optional(variant, spec)

    @staticmethod
    def empty(element_spec) -> Optional:
        """An Optional with no value, of type `element_spec`."""
        return Optional(apply_op("OptionalNone", name="OptionalNone"), element_spec)

    @property
    def element_spec(self):
        return self._element_spec

    @property
    def _type_spec(self):
        return OptionalSpec(self._element_spec)

    def has_value(self, name=None) -> Tensor:
        """A bool scalar: whether there is a value."""
        return apply_op("OptionalHasValue", self._variant_tensor, name=name or "OptionalHasValue")

    def get_value(self, name=None):
        """The value as tensors; running them raises InvalidArgumentError when there is none."""
        types, shapes = _flat_types_shapes(self._element_spec)
        outputs = apply_op("OptionalGetValue", self._variant_tensor, name=name or "OptionalGetValue",
                           output_types=types, output_shapes=shapes)
        return pack_flat_outputs(self._element_spec, outputs if isinstance(outputs, list) else [outputs])


class OptionalSpec(TypeSpec):
    """The type of an `Optional`: the spec of the value it may hold, as `tf.OptionalSpec`."""

    __slots__ = ("_element_spec",)
    value_type = Optional

    def __init__(self, element_spec):
        self._element_spec = element_spec

    element_spec = property(lambda self: self._element_spec)

    @staticmethod
    def from_value(value) -> OptionalSpec:
        return OptionalSpec(value.element_spec)

    def _serialize(self):
        return (self._element_spec,)

    def __eq__(self, other):
        return type(other) is type(self) and self._element_spec == other._element_spec

    def __hash__(self):
        return hash((type(self), repr(self._element_spec)))

    def __repr__(self):
        return f"OptionalSpec({self._element_spec!r},)"


def get_next_as_optional(iterator) -> Optional:
    """The iterator's next element as an Optional, empty at the end instead of OutOfRangeError, as
    `tf.data.experimental.get_next_as_optional`."""
    types, shapes = _flat_types_shapes(iterator.element_spec)
    variant = apply_op("IteratorGetNextAsOptional", iterator._iterator_resource, name="IteratorGetNextAsOptional",
                       output_types=types, output_shapes=shapes)
    return Optional(variant, iterator.element_spec)
