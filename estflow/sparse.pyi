"""`tf.sparse`: SparseTensor and the ops on it (re-exports only)."""

from estflow.core.ops.hash_ops import sparse_cross as cross
from estflow.core.ops.hash_ops import sparse_cross_hashed as cross_hashed
from estflow.core.ops.segment_ops import sparse_segment_mean as segment_mean
from estflow.core.ops.segment_ops import sparse_segment_sqrt_n as segment_sqrt_n
from estflow.core.ops.segment_ops import sparse_segment_sum as segment_sum
from estflow.core.ops.sparse_concat_ops import sparse_concat as concat
from estflow.core.ops.sparse_concat_ops import sparse_merge as merge
from estflow.core.ops.sparse_concat_ops import sparse_to_indicator as to_indicator
from estflow.core.ops.sparse_math_ops import sparse_add as add
from estflow.core.ops.sparse_math_ops import sparse_tensor_dense_matmul as matmul
from estflow.core.ops.sparse_math_ops import sparse_tensor_dense_matmul as sparse_dense_matmul
from estflow.core.ops.sparse_ops import sparse_fill_empty_rows as fill_empty_rows
from estflow.core.ops.sparse_ops import sparse_reorder as reorder
from estflow.core.ops.sparse_ops import sparse_reshape as reshape
from estflow.core.ops.sparse_ops import sparse_retain as retain
from estflow.core.ops.sparse_ops import sparse_tensor_to_dense as to_dense
from estflow.core.ops.sparse_reduce_ops import sparse_bincount as bincount
from estflow.core.ops.sparse_reduce_ops import sparse_reduce_max as reduce_max
from estflow.core.ops.sparse_reduce_ops import sparse_reduce_max_sparse as reduce_max_sparse
from estflow.core.ops.sparse_reduce_ops import sparse_reduce_sum_sparse as reduce_sum_sparse
from estflow.core.sparse_tensor import SparseTensor as SparseTensor
from estflow.core.sparse_tensor import SparseTensorValue as SparseTensorValue
from estflow.core.sparse_tensor import sparse_placeholder as placeholder
from estflow.library.accumulators import SparseConditionalAccumulator as SparseConditionalAccumulator
from estflow.library.sparse_composites import expand_dims as expand_dims
from estflow.library.sparse_composites import eye as eye
from estflow.library.sparse_composites import from_dense as from_dense
from estflow.library.sparse_composites import mask as mask
from estflow.library.sparse_composites import maximum as maximum
from estflow.library.sparse_composites import minimum as minimum
from estflow.library.sparse_composites import reduce_sum as reduce_sum
from estflow.library.sparse_composites import reset_shape as reset_shape
from estflow.library.sparse_composites import slice as slice  # noqa: A004 - TF's public name
from estflow.library.sparse_composites import softmax as softmax
from estflow.library.sparse_composites import split as split
from estflow.library.sparse_composites import transpose as transpose

__all__ = [
    "add", "concat", "cross", "cross_hashed", "expand_dims", "eye", "fill_empty_rows", "from_dense", "mask",
    "maximum", "minimum", "matmul", "merge", "placeholder", "reduce_sum", "reorder", "reset_shape", "reshape",
    "retain", "segment_mean", "segment_sqrt_n", "segment_sum", "slice", "softmax", "sparse_dense_matmul",
    "SparseTensor", "SparseTensorValue", "split", "to_dense", "to_indicator", "transpose",
]
