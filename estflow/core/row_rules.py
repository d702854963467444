"""Row rules: when an op maps rows to rows, so a dataset `map` may run it on a whole batch.

An op declares its rule in its OpDef (`row_wise=row_rules.elementwise`). A rule is
`rule(op, dependent) -> bool`, where `dependent[i]` says whether input `i` varies with the
row (it depends on the function's arguments); it answers whether this node, with these
inputs, computes `f(stack(rows)) == stack(f(row) for row)`. data/tracing.py walks a traced
map function with them (see its docstring). An op whose inputs do not vary with the row is
the same for every row; a stateful one is, only when it declares a rule (`invariant` for
ops without inputs that vary: placeholders, variables, constants).
"""

from __future__ import annotations

import numpy as np

from estflow.core.tensor_shape import as_shape


def _ranks_ok(op, dependent, scalar_constants: bool = False) -> bool:
    """Inputs that carry rows share one known rank; the others broadcast into them (rank no larger)."""
    ranks = {t.shape.ndims for t, d in zip(op._inputs, dependent, strict=False) if d}
    if None in ranks or len(ranks) != 1:
        return False
    rank = ranks.pop()
    for t, d in zip(op._inputs, dependent, strict=False):
        if not d:
            n = t.shape.ndims
            if n is None or n > rank or (scalar_constants and n != 0):
                return False
    return True


def _negative(value) -> bool:
    return value is not None and np.size(value) > 0 and bool(np.all(np.asarray(value) < 0))


def invariant(op, dependent) -> bool:
    """The same for every row; never takes a row-varying input (placeholders, variables, constants)."""
    return not any(dependent)


def elementwise(op, dependent) -> bool:
    """numpy broadcasting: inputs without rows have no more dims than those with rows."""
    return _ranks_ok(op, dependent)


def scalar_constants(op, dependent) -> bool:
    """Elementwise, and the inputs without rows are scalars (Substr's pos, StringJoin's pieces)."""
    return _ranks_ok(op, dependent, scalar_constants=True)


def first_input(op, dependent) -> bool:
    """Only input 0 carries rows (DecodeCSV's records; its defaults are the same for every row)."""
    return bool(dependent[0]) and not any(dependent[1:])


def all_inputs(op, dependent) -> bool:
    """Every input carries rows, with one rank (Select, AddN)."""
    return all(dependent) and _ranks_ok(op, dependent)


def reduction(op, dependent) -> bool:
    """(input, axis) with a constant negative axis: reduces within the row (Sum, ArgMax, ExpandDims)."""
    return dependent[0] and not dependent[1] and _negative(op._inputs[1]._const_value)


def concat(op, dependent) -> bool:
    """ConcatV2 (values..., axis): rows in every value, along a constant negative axis."""
    axis = len(op._inputs) - 1
    return (not dependent[axis] and all(dependent[:axis]) and _negative(op._inputs[axis]._const_value)
            and _ranks_ok(op, dependent))


def pack(op, dependent) -> bool:
    """Pack along a negative axis of rows of one rank."""
    return all(dependent) and _ranks_ok(op, dependent) and op._attrs.get("axis", 0) < 0


def squeeze(op, dependent) -> bool:
    """Squeeze of named negative dims only."""
    dims = op._attrs.get("squeeze_dims") or op._attrs.get("axis") or ()
    return dependent[0] and len(dims) > 0 and all(d < 0 for d in dims)


def one_hot(op, dependent) -> bool:
    """OneHot of row indices along the last axis."""
    return first_input(op, dependent) and op._attrs.get("axis", -1) == -1


def single_example(op, dependent) -> bool:
    """`map(lambda r: parse_single_example(r, features))` may parse a chunk of records at once.

    True when only the record varies and every feature is dense and fixed-size: then the
    op's outputs for a vector of records are the stacked single-record outputs (the kernel
    takes that form, parsing_ops.py), and TFRecordDataset -> map -> batch parses a batch
    per call instead of a record.
    """
    if not dependent[0] or any(dependent[1:]) or op._attrs.get("num_sparse"):
        return False
    return all(as_shape(s).is_fully_defined() for s in op._attrs.get("dense_shapes", ()))
