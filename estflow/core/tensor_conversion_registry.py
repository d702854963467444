"""The tensor conversion registry (TF's tensor_conversion_registry): a leaf of core.

Types that `convert_to_tensor` accepts besides Python values and arrays (variables,
`IndexedSlices`, `SparseTensor` values, ...) register a conversion function here when their
module is imported; `estflow.core.ops.constant_op.convert_to_tensor` consults the list.
Keeping the list in a leaf lets those modules register without importing the op modules.
"""

from __future__ import annotations

_conversion_functions: list = []  # (type, fn(value, dtype, name, as_ref) -> Tensor)


def register_tensor_conversion_function(base_type, conversion_func, priority=100) -> None:
    """Teach `convert_to_tensor` a new type (variables, SparseTensor values, ...)."""
    _conversion_functions.append((priority, base_type, conversion_func))
    _conversion_functions.sort(key=lambda e: e[0])
