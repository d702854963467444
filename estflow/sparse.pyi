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
from estflow.core.sparse_tensor import SparseTensor as SparseTensor
from estflow.core.sparse_tensor import SparseTensorValue as SparseTensorValue
from estflow.core.sparse_tensor import sparse_placeholder as placeholder

__all__ = [
    "SparseTensor", "SparseTensorValue", "add", "concat", "cross", "cross_hashed", "fill_empty_rows", "matmul",
    "merge", "placeholder", "reorder", "reshape", "retain", "segment_mean", "segment_sqrt_n", "segment_sum",
    "sparse_dense_matmul", "to_dense", "to_indicator",
]
