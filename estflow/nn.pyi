"""`tf.nn`: activations, losses, normalization, dropout and embedding lookups (re-exports only)."""

from estflow import _nn_rnn_cell as rnn_cell
from estflow.core.ops.approx_topk_ops import approx_max_k as approx_max_k
from estflow.core.ops.approx_topk_ops import approx_min_k as approx_min_k
from estflow.core.ops.candidate_sampling_ops import all_candidate_sampler as all_candidate_sampler
from estflow.core.ops.candidate_sampling_ops import fixed_unigram_candidate_sampler as fixed_unigram_candidate_sampler
from estflow.core.ops.candidate_sampling_ops import (
    learned_unigram_candidate_sampler as learned_unigram_candidate_sampler,
)
from estflow.core.ops.conv_ops import conv2d as conv2d
from estflow.core.ops.conv_ops import conv2d_backprop_filter as conv2d_backprop_filter
from estflow.core.ops.conv_ops import conv2d_backprop_input as conv2d_backprop_input
from estflow.core.ops.conv_ops import conv3d as conv3d
from estflow.core.ops.conv_ops import conv3d_backprop_filter_v2 as conv3d_backprop_filter
from estflow.core.ops.conv_ops import conv3d_backprop_filter_v2 as conv3d_backprop_filter_v2
from estflow.core.ops.conv_ops import depthwise_conv2d_native as depthwise_conv2d_native
from estflow.core.ops.conv_ops import depthwise_conv2d_native_backprop_filter as depthwise_conv2d_backprop_filter
from estflow.core.ops.conv_ops import depthwise_conv2d_native_backprop_filter as depthwise_conv2d_native_backprop_filter
from estflow.core.ops.conv_ops import depthwise_conv2d_native_backprop_input as depthwise_conv2d_backprop_input
from estflow.core.ops.conv_ops import depthwise_conv2d_native_backprop_input as depthwise_conv2d_native_backprop_input
from estflow.core.ops.fractional_pool_ops import fractional_avg_pool as fractional_avg_pool
from estflow.core.ops.fractional_pool_ops import fractional_max_pool as fractional_max_pool
from estflow.core.ops.gather_ops import top_k as top_k
from estflow.core.ops.nn_loss_ops import compute_accidental_hits as compute_accidental_hits
from estflow.core.ops.nn_loss_ops import in_top_k as in_top_k
from estflow.core.ops.nn_loss_ops import l2_loss as l2_loss
from estflow.core.ops.nn_loss_ops import log_uniform_candidate_sampler as log_uniform_candidate_sampler
from estflow.core.ops.nn_loss_ops import uniform_candidate_sampler as uniform_candidate_sampler
from estflow.core.ops.nn_ops import bias_add as bias_add
from estflow.core.ops.nn_ops import elu as elu
from estflow.core.ops.nn_ops import leaky_relu as leaky_relu
from estflow.core.ops.nn_ops import log_softmax as log_softmax
from estflow.core.ops.nn_ops import relu as relu
from estflow.core.ops.nn_ops import relu6 as relu6
from estflow.core.ops.nn_ops import selu as selu
from estflow.core.ops.nn_ops import softmax as softmax
from estflow.core.ops.nn_ops import softplus as softplus
from estflow.core.ops.nn_ops import softsign as softsign
from estflow.core.ops.pooling_ops import avg_pool as avg_pool
from estflow.core.ops.pooling_ops import avg_pool3d as avg_pool3d
from estflow.core.ops.pooling_ops import dilation2d as dilation2d
from estflow.core.ops.pooling_ops import erosion2d as erosion2d
from estflow.core.ops.pooling_ops import local_response_normalization as local_response_normalization
from estflow.core.ops.pooling_ops import local_response_normalization as lrn
from estflow.core.ops.pooling_ops import max_pool as max_pool
from estflow.core.ops.pooling_ops import max_pool3d as max_pool3d
from estflow.core.ops.pooling_ops import max_pool_with_argmax as max_pool_with_argmax
from estflow.core.ops.space_batch_ops import depth_to_space as depth_to_space
from estflow.core.ops.space_batch_ops import space_to_batch as space_to_batch
from estflow.core.ops.space_batch_ops import space_to_depth as space_to_depth
from estflow.core.ops.unary_ops import sigmoid as sigmoid
from estflow.core.ops.unary_ops import tanh as tanh
from estflow.library.ctc_ops import collapse_repeated as collapse_repeated
from estflow.library.ctc_ops import ctc_beam_search_decoder as ctc_beam_search_decoder
from estflow.library.ctc_ops import ctc_beam_search_decoder_v2 as ctc_beam_search_decoder_v2
from estflow.library.ctc_ops import ctc_greedy_decoder as ctc_greedy_decoder
from estflow.library.ctc_ops import ctc_loss as ctc_loss
from estflow.library.ctc_ops import ctc_loss_v2 as ctc_loss_v2
from estflow.library.ctc_ops import ctc_unique_labels as ctc_unique_labels
from estflow.library.embedding_ops import embedding_lookup as embedding_lookup
from estflow.library.embedding_ops import embedding_lookup_sparse as embedding_lookup_sparse
from estflow.library.embedding_ops import safe_embedding_lookup_sparse as safe_embedding_lookup_sparse
from estflow.library.nn_conv import atrous_conv2d as atrous_conv2d
from estflow.library.nn_conv import atrous_conv2d_transpose as atrous_conv2d_transpose
from estflow.library.nn_conv import avg_pool1d as avg_pool1d
from estflow.library.nn_conv import avg_pool2d as avg_pool2d
from estflow.library.nn_conv import avg_pool_v2 as avg_pool_v2
from estflow.library.nn_conv import conv1d as conv1d
from estflow.library.nn_conv import conv1d_transpose as conv1d_transpose
from estflow.library.nn_conv import conv2d_transpose as conv2d_transpose
from estflow.library.nn_conv import conv3d_transpose as conv3d_transpose
from estflow.library.nn_conv import conv_transpose as conv_transpose
from estflow.library.nn_conv import convolution as convolution
from estflow.library.nn_conv import depthwise_conv2d as depthwise_conv2d
from estflow.library.nn_conv import max_pool1d as max_pool1d
from estflow.library.nn_conv import max_pool2d as max_pool2d
from estflow.library.nn_conv import max_pool_v2 as max_pool_v2
from estflow.library.nn_conv import pool as pool
from estflow.library.nn_conv import separable_conv2d as separable_conv2d
from estflow.library.nn_conv import with_space_to_batch as with_space_to_batch
from estflow.library.nn_extras import batch_norm_with_global_normalization as batch_norm_with_global_normalization
from estflow.library.nn_extras import compute_average_loss as compute_average_loss
from estflow.library.nn_extras import crelu as crelu
from estflow.library.nn_extras import normalize_moments as normalize_moments
from estflow.library.nn_extras import scale_regularization_loss as scale_regularization_loss
from estflow.library.nn_extras import sufficient_statistics as sufficient_statistics
from estflow.library.nn_extras import swish as silu
from estflow.library.nn_extras import swish as swish
from estflow.library.nn_impl import batch_normalization as batch_normalization
from estflow.library.nn_impl import dropout as dropout
from estflow.library.nn_impl import fused_batch_norm as fused_batch_norm
from estflow.library.nn_impl import l2_normalize as l2_normalize
from estflow.library.nn_impl import log_poisson_loss as log_poisson_loss
from estflow.library.nn_impl import moments as moments
from estflow.library.nn_impl import relu_layer as relu_layer
from estflow.library.nn_impl import sigmoid_cross_entropy_with_logits as sigmoid_cross_entropy_with_logits
from estflow.library.nn_impl import softmax_cross_entropy_with_logits as softmax_cross_entropy_with_logits
from estflow.library.nn_impl import softmax_cross_entropy_with_logits_v2 as softmax_cross_entropy_with_logits_v2
from estflow.library.nn_impl import sparse_softmax_cross_entropy_with_logits as sparse_softmax_cross_entropy_with_logits
from estflow.library.nn_impl import weighted_cross_entropy_with_logits as weighted_cross_entropy_with_logits
from estflow.library.nn_impl import weighted_moments as weighted_moments
from estflow.library.nn_impl import xw_plus_b as xw_plus_b
from estflow.library.nn_impl import zero_fraction as zero_fraction
from estflow.library.rnn import bidirectional_dynamic_rnn as bidirectional_dynamic_rnn
from estflow.library.rnn import dynamic_rnn as dynamic_rnn
from estflow.library.rnn import raw_rnn as raw_rnn
from estflow.library.rnn import static_bidirectional_rnn as static_bidirectional_rnn
from estflow.library.rnn import static_rnn as static_rnn
from estflow.library.rnn import static_state_saving_rnn as static_state_saving_rnn
from estflow.library.sampled_losses import nce_loss as nce_loss
from estflow.library.sampled_losses import sampled_softmax_loss as sampled_softmax_loss

__all__ = [
    "batch_normalization", "bias_add", "compute_accidental_hits", "dropout", "elu", "embedding_lookup",
    "embedding_lookup_sparse", "fused_batch_norm", "in_top_k", "l2_loss", "l2_normalize", "leaky_relu",
    "log_poisson_loss", "log_softmax", "log_uniform_candidate_sampler", "moments", "nce_loss", "relu", "relu6",
    "relu_layer", "safe_embedding_lookup_sparse", "sampled_softmax_loss", "selu", "sigmoid",
    "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2", "softplus", "softsign", "sparse_softmax_cross_entropy_with_logits",
    "tanh", "top_k", "uniform_candidate_sampler", "weighted_cross_entropy_with_logits", "weighted_moments",
    "xw_plus_b", "zero_fraction",
    "atrous_conv2d", "atrous_conv2d_transpose", "avg_pool", "avg_pool1d", "avg_pool2d", "avg_pool3d", "avg_pool_v2",
    "conv1d", "conv1d_transpose", "conv2d", "conv2d_backprop_filter", "conv2d_backprop_input", "conv2d_transpose",
    "conv3d", "conv3d_backprop_filter_v2", "conv3d_transpose", "conv_transpose", "convolution", "depthwise_conv2d",
    "depthwise_conv2d_backprop_filter", "depthwise_conv2d_backprop_input", "depthwise_conv2d_native",
    "depthwise_conv2d_native_backprop_filter", "depthwise_conv2d_native_backprop_input",
    "local_response_normalization", "lrn", "max_pool", "max_pool1d", "max_pool2d", "max_pool3d", "max_pool_v2",
    "max_pool_with_argmax", "pool", "separable_conv2d",
    "depth_to_space", "space_to_batch", "space_to_depth",
    "conv3d_backprop_filter",
    "batch_norm_with_global_normalization", "compute_average_loss", "crelu", "normalize_moments",
    "scale_regularization_loss", "silu", "sufficient_statistics", "swish",
    "all_candidate_sampler", "fixed_unigram_candidate_sampler", "learned_unigram_candidate_sampler",
    "approx_max_k", "approx_min_k", "fractional_avg_pool", "fractional_max_pool",
    "dilation2d", "erosion2d",
    "with_space_to_batch",
    "collapse_repeated", "ctc_beam_search_decoder", "ctc_beam_search_decoder_v2", "ctc_greedy_decoder", "ctc_loss",
    "ctc_loss_v2", "ctc_unique_labels",
    "bidirectional_dynamic_rnn", "dynamic_rnn", "raw_rnn", "rnn_cell", "static_bidirectional_rnn", "static_rnn",
    "static_state_saving_rnn",
]
