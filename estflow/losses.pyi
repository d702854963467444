"""`tf.losses` (TF1's `tf.compat.v1.losses`): weighted losses and the LOSSES collection (re-exports only)."""

from estflow.library.losses_impl import Reduction as Reduction
from estflow.library.losses_impl import absolute_difference as absolute_difference
from estflow.library.losses_impl import add_loss as add_loss
from estflow.library.losses_impl import compute_weighted_loss as compute_weighted_loss
from estflow.library.losses_impl import cosine_distance as cosine_distance
from estflow.library.losses_impl import get_losses as get_losses
from estflow.library.losses_impl import get_regularization_loss as get_regularization_loss
from estflow.library.losses_impl import get_regularization_losses as get_regularization_losses
from estflow.library.losses_impl import get_total_loss as get_total_loss
from estflow.library.losses_impl import hinge_loss as hinge_loss
from estflow.library.losses_impl import huber_loss as huber_loss
from estflow.library.losses_impl import log_loss as log_loss
from estflow.library.losses_impl import mean_pairwise_squared_error as mean_pairwise_squared_error
from estflow.library.losses_impl import mean_squared_error as mean_squared_error
from estflow.library.losses_impl import sigmoid_cross_entropy as sigmoid_cross_entropy
from estflow.library.losses_impl import softmax_cross_entropy as softmax_cross_entropy
from estflow.library.losses_impl import sparse_softmax_cross_entropy as sparse_softmax_cross_entropy

__all__ = [
    "Reduction", "absolute_difference", "add_loss", "compute_weighted_loss", "cosine_distance", "get_losses",
    "get_regularization_loss", "get_regularization_losses", "get_total_loss", "hinge_loss", "huber_loss",
    "log_loss", "mean_pairwise_squared_error", "mean_squared_error", "sigmoid_cross_entropy",
    "softmax_cross_entropy", "sparse_softmax_cross_entropy",
]
