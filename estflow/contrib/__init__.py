"""`tf.contrib`: the parts of TF1's contrib that TF1 programs still use (re-exports only)."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
