"""TF1's `tensorflow.python.ops.math_ops`: estflow's math functions under TF's module path (re-exports only)."""

from estflow.core.ops.cast_ops import cast as cast
from estflow.core.ops.cast_ops import saturate_cast as saturate_cast
from estflow.core.ops.cast_ops import to_double as to_double
from estflow.core.ops.cast_ops import to_float as to_float
from estflow.core.ops.cast_ops import to_int32 as to_int32
from estflow.core.ops.cast_ops import to_int64 as to_int64
from estflow.core.ops.comparison_ops import clip_by_value as clip_by_value
from estflow.core.ops.comparison_ops import equal as equal
from estflow.core.ops.comparison_ops import greater as greater
from estflow.core.ops.comparison_ops import greater_equal as greater_equal
from estflow.core.ops.comparison_ops import less as less
from estflow.core.ops.comparison_ops import less_equal as less_equal
from estflow.core.ops.comparison_ops import logical_and as logical_and
from estflow.core.ops.comparison_ops import logical_or as logical_or
from estflow.core.ops.comparison_ops import logical_xor as logical_xor
from estflow.core.ops.comparison_ops import not_equal as not_equal
from estflow.core.ops.fill_ops import lin_space as lin_space
from estflow.core.ops.fill_ops import linspace as linspace
from estflow.core.ops.math_ops import accumulate_n as accumulate_n
from estflow.core.ops.math_ops import add as add
from estflow.core.ops.math_ops import add_n as add_n
from estflow.core.ops.math_ops import atan2 as atan2
from estflow.core.ops.math_ops import div as div
from estflow.core.ops.math_ops import div_no_nan as div_no_nan
from estflow.core.ops.math_ops import divide as divide
from estflow.core.ops.math_ops import floordiv as floordiv
from estflow.core.ops.math_ops import floormod as floormod
from estflow.core.ops.math_ops import maximum as maximum
from estflow.core.ops.math_ops import minimum as minimum
from estflow.core.ops.math_ops import mod as mod
from estflow.core.ops.math_ops import multiply as multiply
from estflow.core.ops.math_ops import pow as pow
from estflow.core.ops.math_ops import scalar_mul as scalar_mul
from estflow.core.ops.math_ops import squared_difference as squared_difference
from estflow.core.ops.math_ops import subtract as subtract
from estflow.core.ops.math_ops import truediv as truediv
from estflow.core.ops.matmul_ops import matmul as matmul
from estflow.core.ops.reduction_ops import argmax as argmax
from estflow.core.ops.reduction_ops import argmin as argmin
from estflow.core.ops.reduction_ops import count_nonzero as count_nonzero
from estflow.core.ops.reduction_ops import cumprod as cumprod
from estflow.core.ops.reduction_ops import cumsum as cumsum
from estflow.core.ops.reduction_ops import reduce_all as reduce_all
from estflow.core.ops.reduction_ops import reduce_any as reduce_any
from estflow.core.ops.reduction_ops import reduce_logsumexp as reduce_logsumexp
from estflow.core.ops.reduction_ops import reduce_max as reduce_max
from estflow.core.ops.reduction_ops import reduce_mean as reduce_mean
from estflow.core.ops.reduction_ops import reduce_min as reduce_min
from estflow.core.ops.reduction_ops import reduce_prod as reduce_prod
from estflow.core.ops.reduction_ops import reduce_sum as reduce_sum
from estflow.core.ops.segment_ops import segment_sum as segment_sum
from estflow.core.ops.segment_ops import sparse_segment_mean as sparse_segment_mean
from estflow.core.ops.segment_ops import sparse_segment_sqrt_n as sparse_segment_sqrt_n
from estflow.core.ops.segment_ops import sparse_segment_sum as sparse_segment_sum
from estflow.core.ops.segment_ops import unsorted_segment_sum as unsorted_segment_sum
from estflow.core.ops.unary_ops import abs as abs
from estflow.core.ops.unary_ops import acos as acos
from estflow.core.ops.unary_ops import asin as asin
from estflow.core.ops.unary_ops import atan as atan
from estflow.core.ops.unary_ops import ceil as ceil
from estflow.core.ops.unary_ops import conj as conj
from estflow.core.ops.unary_ops import cos as cos
from estflow.core.ops.unary_ops import cosh as cosh
from estflow.core.ops.unary_ops import erf as erf
from estflow.core.ops.unary_ops import erfc as erfc
from estflow.core.ops.unary_ops import exp as exp
from estflow.core.ops.unary_ops import expm1 as expm1
from estflow.core.ops.unary_ops import floor as floor
from estflow.core.ops.unary_ops import is_finite as is_finite
from estflow.core.ops.unary_ops import is_inf as is_inf
from estflow.core.ops.unary_ops import is_nan as is_nan
from estflow.core.ops.unary_ops import log as log
from estflow.core.ops.unary_ops import log1p as log1p
from estflow.core.ops.unary_ops import logical_not as logical_not
from estflow.core.ops.unary_ops import negative as negative
from estflow.core.ops.unary_ops import reciprocal as reciprocal
from estflow.core.ops.unary_ops import rint as rint
from estflow.core.ops.unary_ops import round as round
from estflow.core.ops.unary_ops import rsqrt as rsqrt
from estflow.core.ops.unary_ops import sigmoid as sigmoid
from estflow.core.ops.unary_ops import sign as sign
from estflow.core.ops.unary_ops import sin as sin
from estflow.core.ops.unary_ops import sinh as sinh
from estflow.core.ops.unary_ops import sqrt as sqrt
from estflow.core.ops.unary_ops import square as square
from estflow.core.ops.unary_ops import tan as tan
from estflow.core.ops.unary_ops import tanh as tanh

__all__ = [
    "abs", "accumulate_n", "acos", "add", "add_n", "argmax", "argmin", "asin", "atan", "atan2", "cast", "ceil",
    "clip_by_value", "conj", "cos", "cosh", "count_nonzero", "cumprod", "cumsum", "div", "div_no_nan", "divide",
    "equal", "erf", "erfc", "exp", "expm1", "floor", "floordiv", "floormod", "greater", "greater_equal",
    "is_finite", "is_inf", "is_nan", "less", "less_equal", "lin_space", "linspace", "log", "log1p", "logical_and",
    "logical_not", "logical_or", "logical_xor", "matmul", "maximum", "minimum", "mod", "multiply", "negative",
    "not_equal", "pow", "reciprocal", "reduce_all", "reduce_any", "reduce_logsumexp", "reduce_max", "reduce_mean",
    "reduce_min", "reduce_prod", "reduce_sum", "rint", "round", "rsqrt", "saturate_cast", "scalar_mul",
    "segment_sum", "sigmoid", "sign", "sin", "sinh", "sparse_segment_mean", "sparse_segment_sqrt_n",
    "sparse_segment_sum", "sqrt", "square", "squared_difference", "subtract", "tan", "tanh", "to_double",
    "to_float", "to_int32", "to_int64", "truediv", "unsorted_segment_sum",
]
