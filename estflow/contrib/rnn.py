"""`tf.contrib.rnn`: TF1's RNN cells, wrappers and the static RNN drivers (re-exports only)."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
