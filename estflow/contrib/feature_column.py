"""`tf.contrib.feature_column`: TF 1.15's sequence feature columns and `sequence_input_layer` (re-exports only)."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
