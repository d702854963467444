"""`tf.nn.rnn_cell`: TF1's RNN cells, their wrappers and LSTMStateTuple (re-exports only)."""

from estflow.library.rnn_cell_impl import BasicLSTMCell as BasicLSTMCell
from estflow.library.rnn_cell_impl import BasicRNNCell as BasicRNNCell
from estflow.library.rnn_cell_impl import DeviceWrapper as DeviceWrapper
from estflow.library.rnn_cell_impl import DropoutWrapper as DropoutWrapper
from estflow.library.rnn_cell_impl import GRUCell as GRUCell
from estflow.library.rnn_cell_impl import LSTMCell as LSTMCell
from estflow.library.rnn_cell_impl import LSTMStateTuple as LSTMStateTuple
from estflow.library.rnn_cell_impl import MultiRNNCell as MultiRNNCell
from estflow.library.rnn_cell_impl import ResidualWrapper as ResidualWrapper
from estflow.library.rnn_cell_impl import RNNCell as RNNCell

__all__ = [
    "BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell", "LSTMCell", "LSTMStateTuple",
    "MultiRNNCell", "RNNCell", "ResidualWrapper",
]
