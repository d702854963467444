"""TF1's `tensorflow.python.ops.array_ops`: estflow's array functions under TF's module path (re-exports only)."""

from estflow.core.ops.array_ops import check_numerics as check_numerics
from estflow.core.ops.array_ops import expand_dims as expand_dims
from estflow.core.ops.array_ops import identity as identity
from estflow.core.ops.array_ops import identity_n as identity_n
from estflow.core.ops.array_ops import rank as rank
from estflow.core.ops.array_ops import reshape as reshape
from estflow.core.ops.array_ops import shape as shape
from estflow.core.ops.array_ops import shape_n as shape_n
from estflow.core.ops.array_ops import size as size
from estflow.core.ops.array_ops import squeeze as squeeze
from estflow.core.ops.array_ops import stop_gradient as stop_gradient
from estflow.core.ops.comparison_ops import where_v2 as where_v2
from estflow.core.ops.concat_ops import concat as concat
from estflow.core.ops.concat_ops import parallel_stack as parallel_stack
from estflow.core.ops.concat_ops import split as split
from estflow.core.ops.concat_ops import stack as stack
from estflow.core.ops.concat_ops import unstack as unstack
from estflow.core.ops.constant_op import placeholder as placeholder
from estflow.core.ops.constant_op import placeholder_with_default as placeholder_with_default
from estflow.core.ops.conv_ops import extract_image_patches as extract_image_patches
from estflow.core.ops.fill_ops import fill as fill
from estflow.core.ops.fill_ops import ones as ones
from estflow.core.ops.fill_ops import ones_like as ones_like
from estflow.core.ops.fill_ops import zeros as zeros
from estflow.core.ops.fill_ops import zeros_like as zeros_like
from estflow.core.ops.gather_ops import boolean_mask as boolean_mask
from estflow.core.ops.gather_ops import gather as gather
from estflow.core.ops.gather_ops import gather_nd as gather_nd
from estflow.core.ops.gather_ops import one_hot as one_hot
from estflow.core.ops.gather_ops import scatter_nd as scatter_nd
from estflow.core.ops.gather_ops import sequence_mask as sequence_mask
from estflow.core.ops.gather_ops import unique as unique
from estflow.core.ops.gather_ops import where as where
from estflow.core.ops.linalg_ops import diag as diag
from estflow.core.ops.linalg_ops import diag_part as diag_part
from estflow.core.ops.manipulation_ops import broadcast_static_shape as broadcast_static_shape
from estflow.core.ops.manipulation_ops import broadcast_to as broadcast_to
from estflow.core.ops.manipulation_ops import invert_permutation as invert_permutation
from estflow.core.ops.manipulation_ops import matrix_transpose as matrix_transpose
from estflow.core.ops.manipulation_ops import meshgrid as meshgrid
from estflow.core.ops.manipulation_ops import pad as pad
from estflow.core.ops.manipulation_ops import reverse as reverse
from estflow.core.ops.manipulation_ops import reverse_v2 as reverse_v2
from estflow.core.ops.manipulation_ops import tile as tile
from estflow.core.ops.manipulation_ops import transpose as transpose
from estflow.core.ops.slicing_ops import newaxis as newaxis
from estflow.core.ops.slicing_ops import slice as slice
from estflow.core.ops.slicing_ops import strided_slice as strided_slice
from estflow.core.ops.space_batch_ops import batch_to_space as batch_to_space
from estflow.core.ops.space_batch_ops import batch_to_space_nd as batch_to_space_nd
from estflow.core.ops.space_batch_ops import depth_to_space as depth_to_space
from estflow.core.ops.space_batch_ops import space_to_batch as space_to_batch
from estflow.core.ops.space_batch_ops import space_to_batch_nd as space_to_batch_nd
from estflow.core.ops.space_batch_ops import space_to_depth as space_to_depth

__all__ = [
    "boolean_mask", "broadcast_static_shape", "broadcast_to", "check_numerics", "concat", "diag", "diag_part",
    "expand_dims", "fill", "gather", "gather_nd", "identity", "identity_n", "invert_permutation",
    "matrix_transpose", "meshgrid", "newaxis", "one_hot", "ones", "ones_like", "pad", "parallel_stack",
    "placeholder", "placeholder_with_default", "rank", "reshape", "reverse", "reverse_v2", "scatter_nd",
    "sequence_mask", "shape", "shape_n", "size", "slice", "split", "squeeze", "stack", "stop_gradient",
    "strided_slice", "tile", "transpose", "unique", "unstack", "where", "where_v2", "zeros", "zeros_like",
    "batch_to_space", "batch_to_space_nd", "depth_to_space", "space_to_batch", "space_to_batch_nd",
    "space_to_depth",
    "extract_image_patches",
]
