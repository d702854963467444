"""`tf.data`: input pipelines and record formats (re-exports only).

The iterator ops register when estflow/data/iterator_ops.py is imported, which making an
iterator does; the names below load on first use (estflow/_lazy.py).
"""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
