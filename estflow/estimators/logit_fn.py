"""`tf.estimator.experimental.call_logit_fn`: call a logit_fn with the arguments it declares (TF1's)."""

from __future__ import annotations

from estflow.core.graph import Tensor
from estflow.estimators.estimator import _fn_args


def call_logit_fn(logit_fn, features, mode, params, config):
    """`logit_fn(features, [mode], [params], [config])`: a Tensor or a dict of name -> Tensor.

        logit_fn = tf.estimator.experimental.dnn_logit_fn_builder(3, [10], columns, tf.nn.relu, None, None, False)
        logits = tf.estimator.experimental.call_logit_fn(logit_fn, features, mode, params, config)
    """
    args = _fn_args(logit_fn)
    kwargs = {}
    if "mode" in args:
        kwargs["mode"] = mode
    if "params" in args:
        kwargs["params"] = params
    if "config" in args:
        kwargs["config"] = config
    results = logit_fn(features=features, **kwargs)
    valid_dict = isinstance(results, dict) and all(isinstance(k, str) and isinstance(v, Tensor)
                                                   for k, v in results.items())
    if not (valid_dict or isinstance(results, Tensor)):
        raise ValueError(f"logit_fn should return a Tensor or a dictionary mapping strings to Tensors.  logit_fn "
                         f"returned: {results}")
    return results
