"""TF1's `tensorflow.python.ops.array_ops`: estflow's array functions under TF's module path (re-exports only)."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
