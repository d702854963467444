"""`tf.contrib`: the parts of TF1's contrib that TF1 programs still use (re-exports only)."""

from estflow.contrib import lookup as lookup
from estflow.contrib import rnn as rnn

__all__ = ["lookup", "rnn"]
