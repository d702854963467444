"""tf.estimator.experimental.call_logit_fn (TF1's)."""

import pytest

import estflow as tf


def test_call_logit_fn_passes_the_declared_arguments(g):
    seen = {}

    def logit_fn(features, mode, params):
        seen.update(mode=mode, params=params)
        return features["x"]

    x = tf.constant([[1.0]])
    out = tf.estimator.experimental.call_logit_fn(logit_fn, {"x": x}, "train", {"p": 1}, None)
    assert out is x and seen == {"mode": "train", "params": {"p": 1}}
    with pytest.raises(ValueError, match="logit_fn should return a Tensor or a dictionary"):
        tf.estimator.experimental.call_logit_fn(lambda features: 3, {}, "train", None, None)
