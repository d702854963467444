"""`tf.estimator` (re-exports only). The Estimator layer comes with `estflow/estimators/`;
for now this namespace holds the input functions of `tf.estimator.inputs`."""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
