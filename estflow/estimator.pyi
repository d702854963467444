"""`tf.estimator` (re-exports only). The Estimator layer comes with `estflow/estimators/`;
for now this namespace holds the input functions of `tf.estimator.inputs`."""

from estflow import _estimator_inputs as inputs
