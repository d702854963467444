"""`tf.contrib.framework`: arg_scope and TF1 contrib's variable and global-step helpers (re-exports only)."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
