"""`tf.contrib.rnn`: TF1's RNN cells, wrappers and the static RNN drivers (re-exports only)."""

from estflow.library.rnn import stack_bidirectional_dynamic_rnn as stack_bidirectional_dynamic_rnn
from estflow.library.rnn import static_bidirectional_rnn as static_bidirectional_rnn
from estflow.library.rnn import static_rnn as static_rnn
from estflow.library.rnn import static_state_saving_rnn as static_state_saving_rnn
from estflow.library.rnn_cell_impl import BasicLSTMCell as BasicLSTMCell
from estflow.library.rnn_cell_impl import BasicRNNCell as BasicRNNCell
from estflow.library.rnn_cell_impl import DeviceWrapper as DeviceWrapper
from estflow.library.rnn_cell_impl import DropoutWrapper as DropoutWrapper
from estflow.library.rnn_cell_impl import GRUCell as GRUCell
from estflow.library.rnn_cell_impl import LayerRNNCell as LayerRNNCell
from estflow.library.rnn_cell_impl import LSTMBlockCell as LSTMBlockCell
from estflow.library.rnn_cell_impl import LSTMCell as LSTMCell
from estflow.library.rnn_cell_impl import LSTMStateTuple as LSTMStateTuple
from estflow.library.rnn_cell_impl import MultiRNNCell as MultiRNNCell
from estflow.library.rnn_cell_impl import ResidualWrapper as ResidualWrapper
from estflow.library.rnn_cell_impl import RNNCell as RNNCell

__all__ = [
    "BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell", "LSTMBlockCell", "LSTMCell",
    "LSTMStateTuple", "LayerRNNCell", "MultiRNNCell", "RNNCell", "ResidualWrapper", "stack_bidirectional_dynamic_rnn",
    "static_bidirectional_rnn", "static_rnn", "static_state_saving_rnn",
]
