"""`tf.contrib.estimator`: TF1's head factories for custom model_fns (re-exports only)."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
