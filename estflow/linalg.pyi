"""`tf.linalg`: matrix functions (re-exports only)."""

from estflow.core.ops.linalg_ops import diag as tensor_diag
from estflow.core.ops.linalg_ops import diag_part as tensor_diag_part
from estflow.core.ops.linalg_ops import qr as qr
from estflow.core.ops.manipulation_ops import matrix_transpose as matrix_transpose
from estflow.core.ops.manipulation_ops import matrix_transpose as transpose
from estflow.core.ops.matmul_ops import matmul as matmul
