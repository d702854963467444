"""`tf.metrics` (TF1's `tf.compat.v1.metrics`): streaming metrics returning (value, update_op) (re-exports only)."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
