"""`tf.contrib.estimator`: TF1's head factories for custom model_fns (re-exports only)."""

from estflow.estimators.contrib_head import binary_classification_head as binary_classification_head
from estflow.estimators.contrib_head import logistic_regression_head as logistic_regression_head
from estflow.estimators.contrib_head import multi_class_head as multi_class_head
from estflow.estimators.contrib_head import multi_label_head as multi_label_head
from estflow.estimators.contrib_head import poisson_regression_head as poisson_regression_head
from estflow.estimators.contrib_head import regression_head as regression_head
from estflow.estimators.multi_head import multi_head as multi_head

__all__ = [
    "binary_classification_head", "logistic_regression_head", "multi_class_head", "multi_head", "multi_label_head",
    "poisson_regression_head", "regression_head",
]
