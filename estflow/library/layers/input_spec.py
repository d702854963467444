"""`tf.layers.InputSpec`: what inputs a layer accepts (rank, dtype, dims), checked when it is called."""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.tensor_shape import TensorShape, as_shape


class InputSpec:
    """The rank, dtype and sizes a layer's input must have, as `tf.layers.InputSpec` (Keras's).

    A layer sets `self.input_spec`; each call then checks its inputs and raises ValueError
    naming the layer and what differs.

        class Dense3(tf.layers.Layer):
            def __init__(self):
                super().__init__()
                self.input_spec = tf.layers.InputSpec(min_ndim=2, axes={-1: 3})
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None):
        self.dtype = dtypes.as_dtype(dtype).name if dtype is not None else None
        shape = as_shape(shape)
        if shape.ndims is None:
            self.shape, self.ndim = None, ndim
        else:
            self.shape = tuple(shape.as_list())
            self.ndim = len(self.shape)
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: axes={axes}") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            max_axis = max(self.axes)
            if max_axis > max_dim:
                raise ValueError(f"Axis {max_axis} is greater than the maximum allowed value: {max_dim}")

    def __repr__(self):
        spec = [f"dtype={self.dtype}" if self.dtype else "", f"shape={self.shape}" if self.shape else "",
                f"ndim={self.ndim}" if self.ndim else "", f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                f"min_ndim={self.min_ndim}" if self.min_ndim else "", f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config) -> InputSpec:
        return cls(**config)


def _shape_text(shape: TensorShape) -> str:
    return str(tuple(shape.as_list()))


def assert_input_compatibility(input_spec, inputs: list, layer_name: str) -> None:
    """ValueError (Keras's wording) when `inputs` (a flat list of tensors) do not match `input_spec`."""
    specs = input_spec if isinstance(input_spec, (list, tuple)) else [input_spec]
    if len(inputs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(inputs)} input '
                         f"tensors. Inputs received: {inputs}")
    for index, (x, spec) in enumerate(zip(inputs, specs, strict=True)):
        if spec is None:
            continue
        shape = as_shape(x.shape)
        if shape.ndims is None:
            return
        where = f'Input {index} of layer "{layer_name}" is incompatible with the layer: '
        ndim = shape.ndims
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where}expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: "
                             f"{tuple(shape.as_list())}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where}expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where}expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: "
                             f"{tuple(shape.as_list())}")
        if spec.dtype is not None and x.dtype.base_dtype.name != spec.dtype:
            raise ValueError(f"{where}expected dtype={spec.dtype}, found dtype={x.dtype.base_dtype.name}")
        dims = shape.as_list()
        for axis, value in spec.axes.items():
            if value is not None and dims[int(axis)] not in {value, None}:
                raise ValueError(f"{where}expected axis {axis} of input shape to have value {value}, but received "
                                 f"input with shape {_shape_text(shape)}")
        if spec.shape is not None:
            spec_shape = spec.shape
            if spec.allow_last_axis_squeeze:
                if dims and dims[-1] == 1:
                    dims = dims[:-1]
                if spec_shape and spec_shape[-1] == 1:
                    spec_shape = spec_shape[:-1]
            for spec_dim, dim in zip(spec_shape, dims, strict=False):
                if spec_dim is not None and dim is not None and spec_dim != dim:
                    raise ValueError(f"{where}expected shape={spec.shape}, found shape={_shape_text(shape)}")
