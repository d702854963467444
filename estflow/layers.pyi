"""`tf.layers`: Dense, Dropout, Flatten, BatchNormalization and their functions (re-exports only).

The weight regularizers TF1 keeps in `tf.contrib.layers` (`l2_regularizer`, ...) are here too.
"""

from estflow.library.layers.base import Layer as Layer
from estflow.library.layers.core import Dense as Dense
from estflow.library.layers.core import Dropout as Dropout
from estflow.library.layers.core import Flatten as Flatten
from estflow.library.layers.core import dense as dense
from estflow.library.layers.core import dropout as dropout
from estflow.library.layers.core import flatten as flatten
from estflow.library.layers.normalization import BatchNormalization as BatchNormalization
from estflow.library.layers.normalization import batch_normalization as batch_normalization
from estflow.library.layers.regularizers import apply_regularization as apply_regularization
from estflow.library.layers.regularizers import l1_l2_regularizer as l1_l2_regularizer
from estflow.library.layers.regularizers import l1_regularizer as l1_regularizer
from estflow.library.layers.regularizers import l2_regularizer as l2_regularizer
from estflow.library.layers.regularizers import sum_regularizer as sum_regularizer

__all__ = [
    "BatchNormalization", "Dense", "Dropout", "Flatten", "Layer", "apply_regularization", "batch_normalization",
    "dense", "dropout", "flatten", "l1_l2_regularizer", "l1_regularizer", "l2_regularizer", "sum_regularizer",
]
