"""`tf.contrib`: the parts of TF1's contrib that TF1 programs still use (re-exports only)."""

from estflow.contrib import estimator as estimator
from estflow.contrib import feature_column as feature_column
from estflow.contrib import framework as framework
from estflow.contrib import layers as layers
from estflow.contrib import lookup as lookup
from estflow.contrib import predictor as predictor
from estflow.contrib import rnn as rnn

__all__ = ["estimator", "feature_column", "framework", "layers", "lookup", "predictor", "rnn"]
