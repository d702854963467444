"""`tf.compat`: `tf.compat.v1` is the top-level namespace itself (re-exports only)."""

import estflow as v1  # noqa: F401 - the TF1 namespace is estflow's top level
from estflow.core.tensor_shape import dimension_at_index as dimension_at_index
from estflow.core.tensor_shape import dimension_value as dimension_value
from estflow.library.compat import as_bytes as as_bytes
from estflow.library.compat import as_str as as_str
from estflow.library.compat import as_str_any as as_str_any
from estflow.library.compat import as_text as as_text
from estflow.library.compat import bytes_or_text_types as bytes_or_text_types
from estflow.library.compat import complex_types as complex_types
from estflow.library.compat import integral_types as integral_types
from estflow.library.compat import path_to_str as path_to_str
from estflow.library.compat import real_types as real_types
from estflow.library.forward_compat import forward_compatibility_horizon as forward_compatibility_horizon
from estflow.library.forward_compat import forward_compatible as forward_compatible

__all__ = ["as_bytes", "as_str", "as_str_any", "as_text", "bytes_or_text_types", "complex_types", "dimension_at_index",
           "dimension_value", "integral_types", "path_to_str", "real_types", "v1",
           "forward_compatibility_horizon", "forward_compatible"]
