"""`tf.layers`: Dense, Dropout, Flatten, BatchNormalization, convolutions, pooling and their functions.

The weight regularizers TF1 keeps in `tf.contrib.layers` (`l2_regularizer`, ...) are here too.
"""

from estflow.library.layers.base import Layer as Layer
from estflow.library.layers.convolutional import Conv1D as Conv1D
from estflow.library.layers.convolutional import Conv2D as Conv2D
from estflow.library.layers.convolutional import Conv2DTranspose as Conv2DTranspose
from estflow.library.layers.convolutional import Conv3D as Conv3D
from estflow.library.layers.convolutional import Conv3DTranspose as Conv3DTranspose
from estflow.library.layers.convolutional import SeparableConv1D as SeparableConv1D
from estflow.library.layers.convolutional import SeparableConv2D as SeparableConv2D
from estflow.library.layers.convolutional import conv1d as conv1d
from estflow.library.layers.convolutional import conv2d as conv2d
from estflow.library.layers.convolutional import conv2d_transpose as conv2d_transpose
from estflow.library.layers.convolutional import conv3d as conv3d
from estflow.library.layers.convolutional import conv3d_transpose as conv3d_transpose
from estflow.library.layers.convolutional import separable_conv1d as separable_conv1d
from estflow.library.layers.convolutional import separable_conv2d as separable_conv2d
from estflow.library.layers.core import Dense as Dense
from estflow.library.layers.core import Dropout as Dropout
from estflow.library.layers.core import Flatten as Flatten
from estflow.library.layers.core import dense as dense
from estflow.library.layers.core import dropout as dropout
from estflow.library.layers.core import flatten as flatten
from estflow.library.layers.input_spec import InputSpec as InputSpec
from estflow.library.layers.normalization import BatchNormalization as BatchNormalization
from estflow.library.layers.normalization import batch_normalization as batch_normalization
from estflow.library.layers.pooling import AveragePooling1D as AveragePooling1D
from estflow.library.layers.pooling import AveragePooling2D as AveragePooling2D
from estflow.library.layers.pooling import AveragePooling3D as AveragePooling3D
from estflow.library.layers.pooling import MaxPooling1D as MaxPooling1D
from estflow.library.layers.pooling import MaxPooling2D as MaxPooling2D
from estflow.library.layers.pooling import MaxPooling3D as MaxPooling3D
from estflow.library.layers.pooling import average_pooling1d as average_pooling1d
from estflow.library.layers.pooling import average_pooling2d as average_pooling2d
from estflow.library.layers.pooling import average_pooling3d as average_pooling3d
from estflow.library.layers.pooling import max_pooling1d as max_pooling1d
from estflow.library.layers.pooling import max_pooling2d as max_pooling2d
from estflow.library.layers.pooling import max_pooling3d as max_pooling3d
from estflow.library.layers.regularizers import apply_regularization as apply_regularization
from estflow.library.layers.regularizers import l1_l2_regularizer as l1_l2_regularizer
from estflow.library.layers.regularizers import l1_regularizer as l1_regularizer
from estflow.library.layers.regularizers import l2_regularizer as l2_regularizer
from estflow.library.layers.regularizers import sum_regularizer as sum_regularizer

__all__ = [
    "BatchNormalization", "Dense", "Dropout", "Flatten", "Layer", "apply_regularization", "batch_normalization",
    "dense", "dropout", "flatten", "l1_l2_regularizer", "l1_regularizer", "l2_regularizer", "sum_regularizer",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "Conv1D", "Conv2D", "Conv2DTranspose", "Conv3D",
    "Conv3DTranspose", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "SeparableConv1D", "SeparableConv2D",
    "average_pooling1d", "average_pooling2d", "average_pooling3d", "conv1d", "conv2d", "conv2d_transpose", "conv3d",
    "conv3d_transpose", "max_pooling1d", "max_pooling2d", "max_pooling3d", "separable_conv1d", "separable_conv2d",
    "InputSpec",
]
