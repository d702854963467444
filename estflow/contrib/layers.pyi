"""`tf.contrib.layers`: TF1 contrib's layer functions, initializers and regularizers (re-exports only)."""

from estflow.library.contrib_layers import avg_pool2d as avg_pool2d
from estflow.library.contrib_layers import batch_norm as batch_norm
from estflow.library.contrib_layers import bias_add as bias_add
from estflow.library.contrib_layers import convolution as convolution
from estflow.library.contrib_layers import convolution1d as conv1d
from estflow.library.contrib_layers import convolution1d as convolution1d
from estflow.library.contrib_layers import convolution2d as conv2d
from estflow.library.contrib_layers import convolution2d as convolution2d
from estflow.library.contrib_layers import convolution2d_transpose as conv2d_transpose
from estflow.library.contrib_layers import convolution2d_transpose as convolution2d_transpose
from estflow.library.contrib_layers import convolution3d as conv3d
from estflow.library.contrib_layers import convolution3d as convolution3d
from estflow.library.contrib_layers import dropout as dropout
from estflow.library.contrib_layers import embed_sequence as embed_sequence
from estflow.library.contrib_layers import flatten as flatten
from estflow.library.contrib_layers import fully_connected as fully_connected
from estflow.library.contrib_layers import fully_connected as linear
from estflow.library.contrib_layers import layer_norm as layer_norm
from estflow.library.contrib_layers import max_pool2d as max_pool2d
from estflow.library.contrib_layers import one_hot_encoding as one_hot_encoding
from estflow.library.contrib_layers import repeat as repeat
from estflow.library.contrib_layers import separable_convolution2d as separable_conv2d
from estflow.library.contrib_layers import separable_convolution2d as separable_convolution2d
from estflow.library.contrib_layers import stack as stack
from estflow.library.contrib_layers import variance_scaling_initializer as variance_scaling_initializer
from estflow.library.contrib_layers import xavier_initializer as xavier_initializer
from estflow.library.contrib_layers import xavier_initializer as xavier_initializer_conv2d
from estflow.library.layers.regularizers import apply_regularization as apply_regularization
from estflow.library.layers.regularizers import l1_l2_regularizer as l1_l2_regularizer
from estflow.library.layers.regularizers import l1_regularizer as l1_regularizer
from estflow.library.layers.regularizers import l2_regularizer as l2_regularizer
from estflow.library.layers.regularizers import sum_regularizer as sum_regularizer

__all__ = [
    "apply_regularization", "avg_pool2d", "batch_norm", "bias_add", "conv1d", "conv2d", "conv2d_transpose",
    "conv3d", "convolution", "convolution1d", "convolution2d", "convolution2d_transpose", "convolution3d",
    "dropout", "embed_sequence", "flatten", "fully_connected", "l1_l2_regularizer", "l1_regularizer",
    "l2_regularizer", "linear", "max_pool2d", "one_hot_encoding", "repeat", "separable_conv2d",
    "separable_convolution2d", "stack", "sum_regularizer", "variance_scaling_initializer", "xavier_initializer",
    "xavier_initializer_conv2d",
    "layer_norm",
]
