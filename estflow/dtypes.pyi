"""`tf.dtypes`: element types (re-exports only)."""

from estflow.core.dtypes import DType as DType
from estflow.core.dtypes import as_dtype as as_dtype
from estflow.core.dtypes import bfloat16 as bfloat16
from estflow.core.dtypes import bool as bool  # noqa: A004 - TF's public name
from estflow.core.dtypes import complex64 as complex64
from estflow.core.dtypes import complex128 as complex128
from estflow.core.dtypes import double as double
from estflow.core.dtypes import float16 as float16
from estflow.core.dtypes import float32 as float32
from estflow.core.dtypes import float64 as float64
from estflow.core.dtypes import half as half
from estflow.core.dtypes import int8 as int8
from estflow.core.dtypes import int16 as int16
from estflow.core.dtypes import int32 as int32
from estflow.core.dtypes import int64 as int64
from estflow.core.dtypes import resource as resource
from estflow.core.dtypes import string as string
from estflow.core.dtypes import uint8 as uint8
from estflow.core.dtypes import uint16 as uint16
from estflow.core.dtypes import uint32 as uint32
from estflow.core.dtypes import uint64 as uint64
from estflow.core.dtypes import variant as variant
from estflow.core.ops.cast_ops import cast as cast
from estflow.core.ops.cast_ops import saturate_cast as saturate_cast
from estflow.core.ops.complex_ops import complex as complex
from estflow.core.ops.string_ops import as_string as as_string
