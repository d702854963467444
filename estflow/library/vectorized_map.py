"""`tf.vectorized_map`: fn over the first dimension of elems, results stacked.

TF converts fn into batched ops (pfor) where it can, and runs the ops it cannot convert in a
`tf.while_loop` over the elements (`fallback_to_while_loop`). estflow always runs that loop,
over TensorArrays (one read and one write per element, gradients through them): the values
are TF's. fn is traced once first, in a throwaway function graph, to learn the dtypes and
shapes of its results (the loop's TensorArrays must exist before the loop).
"""

from __future__ import annotations

from estflow.core import dtypes, nest
from estflow.core.func_graph import FuncGraph
from estflow.core.graph import Tensor, get_default_graph, name_scope
from estflow.core.ops import array_ops, comparison_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.tensor_array import TensorArray
from estflow.core.ops.while_v2 import while_loop
from estflow.core.tensor_shape import TensorShape, dimension_value


def _result_specs(fn, elems, flat):
    """The flat (dtype, shape) of fn's results and their structure, from one trace on placeholders."""
    probe = FuncGraph("vectorized_map_probe", get_default_graph())
    with probe.as_default():
        args = [probe.add_input(e.dtype, e.shape[1:], "elem") for e in flat]
        result = fn(nest.pack_sequence_as(elems, args))
        flat_result = [convert_to_tensor(r) for r in nest.flatten(result)]
    return result, [(r.dtype, r.shape) for r in flat_result]


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """fn applied to each `elems[i]` (nested elems are sliced together), the results stacked (`tf.vectorized_map`).

        squares = tf.vectorized_map(lambda row: tf.reduce_sum(row * row), matrix)   # [rows]

    Every element of `elems` must have the same size along axis 0; fn's results must have
    the same shape for every element. `fallback_to_while_loop` and `warn` are accepted for
    TF's signature: estflow runs the loop TF falls back to, so nothing is vectorized (or warned of).
    """
    del fallback_to_while_loop, warn
    with name_scope("vectorized_map"):
        flat = [convert_to_tensor(e) for e in nest.flatten(elems)]
        if not flat:
            raise ValueError("elems must be a tensor or a non-empty structure of tensors")
        for e in flat:
            if e.shape.ndims == 0:
                raise ValueError(f"elems must have at least one dimension to map over, got the scalar {e}")
        static = None
        for e in flat:
            d = dimension_value(e.shape[0]) if e.shape.ndims else None
            if d is not None:
                if static is not None and d != static:
                    raise ValueError(f"All elements of elems must have the same size along axis 0, got {static} "
                                     f"and {d}")
                static = d
        n = static if static is not None else array_ops.shape(flat[0])[0]
        structure, specs = _result_specs(fn, elems, flat)
        inputs = [TensorArray(e.dtype, size=n, element_shape=e.shape[1:]).unstack(e) for e in flat]
        outputs = [TensorArray(dtype, size=n, element_shape=shape) for dtype, shape in specs]

        def body(i, tas):
            result = fn(nest.pack_sequence_as(elems, [ta.read(i) for ta in inputs]))
            values = nest.flatten(result)
            if len(values) != len(tas):
                raise ValueError(f"fn returned {len(values)} tensors for one element and {len(tas)} for another")
            return i + 1, [ta.write(i, convert_to_tensor(v, dtype=dtype))
                           for ta, v, (dtype, _) in zip(tas, values, specs, strict=True)]

        i = convert_to_tensor(0, dtype=dtypes.int32)
        _, outputs = while_loop(lambda i, _: comparison_ops.less(i, n), body, [i, outputs])
        stacked = []
        for ta, (_, shape) in zip(outputs, specs, strict=True):
            value = ta.stack()
            value.set_shape(TensorShape([static]).concatenate(shape))
            stacked.append(value)
        if isinstance(structure, Tensor) or not nest.is_sequence(structure):
            return stacked[0]
        return nest.pack_sequence_as(structure, stacked)
