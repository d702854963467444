"""`tf.saved_model` (TF1's `tf.compat.v1.saved_model`): the SavedModel builder, loader and signatures
of `estflow/serving/` (re-exports only)."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
