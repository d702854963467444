"""`tf.nn.rnn_cell`: TF1's RNN cells, their wrappers and LSTMStateTuple (re-exports only)."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
