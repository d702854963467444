"""`tf.contrib.predictor`: SavedModels and Estimators as Python callables (re-exports only)."""

from estflow.estimators.estimator_predictor import from_estimator as from_estimator
from estflow.serving.predictor import from_saved_model as from_saved_model
