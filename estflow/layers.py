"""`tf.layers`: Dense, Dropout, Flatten, BatchNormalization and their functions (re-exports only).

The weight regularizers TF1 keeps in `tf.contrib.layers` (`l2_regularizer`, ...) are here too.
"""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
