"""`tf.contrib`: the parts of TF1's contrib that TF1 programs still use (re-exports only)."""

from estflow.contrib import estimator as estimator
from estflow.contrib import lookup as lookup
from estflow.contrib import predictor as predictor

__all__ = ["estimator", "lookup", "predictor"]
