"""`estflow export`: the serving input receivers of a config's features.

"raw" gives the SavedModel one input per input column, a batch of scalars each (a float,
an int or a string per example), which is what TF Serving's REST rows
(`{"instances": [{"age": 39, "workclass": "Private"}]}`) feed. "parsing" takes serialized
`tf.Example` protos (`examples`) and parses them with the feature columns' spec, which gives
the classify and regress signatures too.
"""

from __future__ import annotations

from estflow.core.ops.constant_op import placeholder
from estflow.estimators.export import ServingInputReceiver, build_parsing_serving_input_receiver_fn
from estflow.library.parsing_config import FixedLenFeature


def raw_inputs(feature_spec: dict) -> dict:
    """{input key: (dtype, shape)} of the raw receiver: a batch of scalars, or of fixed-shape values."""
    inputs = {}
    for key, spec in sorted(feature_spec.items()):
        shape = [None]
        if isinstance(spec, FixedLenFeature) and tuple(spec.shape) not in ((), (1,)):
            shape += list(spec.shape)
        inputs[key] = (spec.dtype, shape)
    return inputs


def serving_input_receiver_fn(feature_spec: dict, receiver: str):
    if receiver == "parsing":
        return build_parsing_serving_input_receiver_fn(feature_spec)
    inputs = raw_inputs(feature_spec)

    def raw_receiver_fn():
        tensors = {key: placeholder(dtype, shape, name=key) for key, (dtype, shape) in inputs.items()}
        return ServingInputReceiver(tensors, tensors)
    return raw_receiver_fn
