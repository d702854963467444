"""`tf.estimator` (re-exports only): the Estimator layer of `estflow/estimators/`, the input
functions of `tf.estimator.inputs` and TF1's hooks."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
