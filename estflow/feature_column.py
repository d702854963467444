"""`tf.feature_column` (TF1's `tf.compat.v1.feature_column`): columns, input_layer, linear_model (re-exports only)."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
