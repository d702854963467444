"""`tf.linalg`: matrix functions (re-exports only)."""

from estflow.core.ops.linalg_ops import diag as tensor_diag
from estflow.core.ops.linalg_ops import diag_part as tensor_diag_part
from estflow.core.ops.linalg_ops import qr as qr
from estflow.core.ops.manipulation_ops import matrix_transpose as matrix_transpose
from estflow.core.ops.manipulation_ops import matrix_transpose as transpose
from estflow.core.ops.matmul_ops import matmul as matmul
from estflow.library.linalg_impl import adjoint as adjoint
from estflow.library.linalg_impl import cross as cross
from estflow.library.linalg_impl import einsum as einsum
from estflow.library.linalg_impl import eye as eye
from estflow.library.linalg_impl import matrix_band_part as band_part
from estflow.library.linalg_impl import matrix_diag as diag
from estflow.library.linalg_impl import matrix_diag_part as diag_part
from estflow.library.linalg_impl import matrix_set_diag as set_diag
from estflow.library.linalg_impl import matvec as matvec
from estflow.library.linalg_impl import norm as norm
from estflow.library.linalg_impl import tensordot as tensordot
from estflow.library.linalg_impl import trace as trace
from estflow.library.nn_impl import l2_normalize as l2_normalize
from estflow.training.clip_ops import global_norm as global_norm
