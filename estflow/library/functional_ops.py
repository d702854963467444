"""TF1's higher-order functions over the first dimension: map_fn, scan, foldl, foldr; and switch_case.

Each is one `tf.while_loop` over TensorArrays, as TF1 builds them: the elements are
unstacked into TensorArrays read one step at a time, and each step's result is written to
a TensorArray the loop carries and stacked after it, so every step costs the same and
gradients flow through them like through any loop.

    squares = tf.map_fn(lambda x: x * x, tf.constant([1., 2., 3.]))          # [1., 4., 9.]
    sums = tf.scan(lambda a, x: a + x, tf.constant([1., 2., 3.]))            # [1., 3., 6.]
    total = tf.foldl(lambda a, x: a + x, tf.constant([1, 2, 3]))             # 6
"""

from __future__ import annotations

from estflow.core import dtypes, nest
from estflow.core.graph import name_scope
from estflow.core.ops import (
    array_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    gather_ops,
    manipulation_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.tensor_array import TensorArray
from estflow.core.ops.while_v2 import while_loop
from estflow.core.tensor_shape import TensorShape


def _flat_elems(elems):
    flat = [convert_to_tensor(e, name="elem") for e in nest.flatten(elems)]
    if not flat:
        raise ValueError("elems must be a Tensor or (possibly nested) sequence of Tensors. Got {}")
    for e in flat:
        if e.shape.ndims == 0:
            raise ValueError(f"Elements in elems must be 1+ dimensional Tensors, not scalars. Got {e}")
    static = [e.shape.as_tuple()[0] if e.shape.ndims else None for e in flat]
    known = next((n for n in static if n is not None), None)
    n = known if known is not None else array_ops.shape(flat[0])[0]
    return flat, n, known


def _element(elems, flat, i):
    return nest.pack_sequence_as(elems, [gather_ops.gather(e, i) for e in flat])


def _element_reader(elems, flat, n):
    """index -> the elements at `index`, read in the loop from TensorArrays holding each elem's slices."""
    arrays = [TensorArray(e.dtype, size=n, element_shape=e.shape[1:]).unstack(e) for e in flat]
    return lambda index: nest.pack_sequence_as(elems, [ta.read(index) for ta in arrays])


class _Stacker:
    """Gathers one tensor per loop step in a TensorArray the loop carries, stacked at the end."""

    def __init__(self, dtype, infer_shape=True):
        self.dtype = dtype
        self.infer_shape = infer_shape
        self.static = None

    def initial(self, count):
        return TensorArray(self.dtype, size=count, infer_shape=self.infer_shape)

    def add(self, array, step, result):
        result = convert_to_tensor(result)
        if result.dtype != self.dtype:
            raise TypeError(f"The function's output dtype {result.dtype.name} does not match the expected "
                            f"{self.dtype.name}; pass `dtype` to say what it returns.")
        self.static = result.shape
        return array.write(step, result)

    def stacked(self, array, static_count, infer_shape=True):
        """The gathered results as one tensor; with `infer_shape`, its static shape from the traced result."""
        out = array.stack()
        static = self.static if infer_shape else None
        if static is not None and static.ndims is not None:
            out.set_shape(TensorShape([static_count]).concatenate(static))
        return out


def _loop(n, body_step, start, fixed_vars, stackers, parallel_iterations, back_prop, swap_memory, reverse):
    """Runs body_step(index, fixed...) -> (new fixed..., results...) for steps start..n-1 (or reversed); step
    i - start's results go to element i - start of each stacker's TensorArray."""
    def cond(i, *_):
        return i < n

    def body(i, *state):
        index = (n - 1 - i) if reverse else i
        fixed = list(state[:len(fixed_vars)])
        arrays = state[len(fixed_vars):]
        new_fixed, results = body_step(index, fixed)
        out = [stacker.add(arrays[k], i - start, results[k]) for k, stacker in enumerate(stackers)]
        return [i + 1] + list(new_fixed) + out

    loop_vars = [convert_to_tensor(start, dtype=dtypes.int32)] + list(fixed_vars)
    invariants = [TensorShape([])] + [v.shape for v in fixed_vars]
    count = convert_to_tensor(n, dtype=dtypes.int32) - start
    for stacker in stackers:
        loop_vars.append(stacker.initial(count))
        invariants.append(TensorShape([]))
    out = while_loop(cond, body, loop_vars, shape_invariants=invariants, parallel_iterations=parallel_iterations,
                     back_prop=back_prop, swap_memory=swap_memory)
    return list(out[1:1 + len(fixed_vars)]), list(out[1 + len(fixed_vars):])


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False, infer_shape=True,
           name=None, fn_output_signature=None):
    """fn applied to each slice elems[i] (nested elems are sliced together), results stacked, as `tf.map_fn`.

    `dtype` (or `fn_output_signature`) gives fn's output dtypes when they differ from elems'.
    `infer_shape=False` leaves the result's static shape unset.
    """
    with name_scope(name, "map", nest.flatten(elems)):
        flat, n, known = _flat_elems(elems)
        signature = fn_output_signature if fn_output_signature is not None else dtype
        out_dtypes = nest.flatten(signature) if signature is not None else [e.dtype for e in flat]
        stackers = [_Stacker(dtypes.as_dtype(d), infer_shape) for d in out_dtypes]
        structure = [signature if signature is not None else elems]
        read = _element_reader(elems, flat, n)

        def step(index, _):
            result = fn(read(index))
            structure[0] = result
            results = nest.flatten(result)
            if len(results) != len(stackers):
                raise ValueError(f"The two structures don't have the same number of elements: fn returned {result}"
                                 f", expected the structure of {signature if signature is not None else elems}.")
            return [], results

        _, arrays = _loop(n, step, 0, [], stackers, parallel_iterations or 10, back_prop, swap_memory, False)
        results = [s.stacked(arrays[k], known, infer_shape) for k, s in enumerate(stackers)]
        return nest.pack_sequence_as(structure[0], results)


def _scan_like(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, reverse, keep_all, name,
               op_name, infer_shape=True):
    with name_scope(name, op_name, nest.flatten(elems)):
        flat, n, known = _flat_elems(elems)
        start = 0
        if initializer is None:
            first = (n - 1) if reverse else 0
            initializer = _element(elems, flat, first)
            start = 1
        state_flat = [convert_to_tensor(a, name="initializer") for a in nest.flatten(initializer)]
        stackers = [_Stacker(a.dtype, infer_shape) for a in state_flat] if keep_all else []
        read = _element_reader(elems, flat, n)

        def step(index, state):
            result = fn(nest.pack_sequence_as(initializer, state), read(index))
            new_state = nest.flatten(result)
            if len(new_state) != len(state_flat):
                raise ValueError(f"The two structures don't have the same number of elements: fn returned {result}"
                                 f", the initializer is {initializer}.")
            new_state = [convert_to_tensor(v, dtype=a.dtype) for v, a in zip(new_state, state_flat, strict=True)]
            return new_state, new_state

        final, arrays = _loop(n, step, start, state_flat, stackers, parallel_iterations, back_prop, swap_memory,
                              reverse)
        if not keep_all:
            return nest.pack_sequence_as(initializer, final)
        stacked = []
        for k, (stacker, a) in enumerate(zip(stackers, state_flat, strict=True)):
            stacker.static = stacker.static if stacker.static is not None else a.shape
            values = stacker.stacked(arrays[k], None if known is None else known - start, infer_shape)
            if reverse:  # the steps ran from the last element: put their results back in element order
                values = manipulation_ops.reverse(values, [0])
            if start:  # the first element taken is the initial accumulator, as TF's scan gives it
                first = array_ops.expand_dims(a, 0)
                values = concat_ops.concat([values, first] if reverse else [first, values], 0)
                if known is not None and values.shape.ndims is not None and infer_shape:
                    values.set_shape(TensorShape([known]).concatenate(a.shape))
            stacked.append(values)
        return nest.pack_sequence_as(initializer, stacked)


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, infer_shape=True,
         reverse=False, name=None):
    """The accumulators a_i = fn(a_{i-1}, elems[i]) stacked, as `tf.scan` (a_{-1} = initializer,
    or elems[0] itself when there is none); `reverse=True` runs from the last element.

    With `infer_shape=False` the result's static shape is left to what the ops building it know.
    """
    return _scan_like(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, reverse, True, name,
                      "scan", infer_shape)


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """fn(...fn(fn(initializer, elems[0]), elems[1])...) from the first element on, as `tf.foldl`."""
    return _scan_like(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, False, False, name,
                      "foldl")


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """fn(...fn(fn(initializer, elems[-1]), elems[-2])...) from the last element back, as `tf.foldr`."""
    return _scan_like(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, True, False, name,
                      "foldr")


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """The result of `branch_fns[branch_index]()` (only that branch runs), as `tf.switch_case`.

    `branch_fns` is a list of callables or (int, callable) pairs / a dict {int: callable}; an
    index outside them runs `default`, or the last branch when there is none.

        y = tf.switch_case(i, [lambda: x, lambda: 2 * x, lambda: 3 * x])
    """
    if isinstance(branch_fns, dict):
        branch_fns = sorted(branch_fns.items())
    if not isinstance(branch_fns, (list, tuple)) or not branch_fns:
        raise ValueError("branch_fns must be a non-empty list, tuple or dict of callables.")
    pairs = [item if isinstance(item, (list, tuple)) else (i, item) for i, item in enumerate(branch_fns)]
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys) or not all(isinstance(k, int) for k in keys):
        raise ValueError(f"branch_fns keys must be distinct ints, got {keys}")
    for _, fn in pairs:
        if not callable(fn):
            raise TypeError(f"fn for branch must be callable, got {fn}")
    with name_scope(name, "switch_case", [branch_index]):
        index = convert_to_tensor(branch_index, name="branch_index")
        if index.dtype != dtypes.int32:
            raise TypeError(f"branch_index must be an int32 Tensor, got {index.dtype.name}")
        fallback = default if default is not None else pairs[-1][1]
        cases = [(comparison_ops.equal(index, k), fn) for k, fn in pairs]
        return control_flow_ops.case(cases, default=fallback, exclusive=False)

