"""The Estimator layer: `Estimator`, `EstimatorSpec`, `ModeKeys`, `RunConfig` (TF1's `tf.estimator`)."""
