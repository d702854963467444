"""`tf.saved_model.signature_def_utils`: SignatureDefs for TF Serving's classify, regress and predict APIs.

    sig = tf.saved_model.signature_def_utils.predict_signature_def(
        inputs={"x": x}, outputs={"y": y})
    builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"serving_default": sig})

A classification or regression signature takes one string tensor of serialized
tf.Example protos; their outputs are checked as TF checks them (float scores, string
classes, float regression outputs), with TF's ValueError messages.
"""

from __future__ import annotations

from estflow.core.graph import Tensor
from estflow.core.protos import meta_graph_pb2, types_pb2
from estflow.serving import signature_constants as sc
from estflow.serving import utils
from estflow.serving.method_name_updater import MethodNameUpdater

__all__ = ["MethodNameUpdater", "build_signature_def", "classification_signature_def", "is_valid_signature",
           "predict_signature_def", "regression_signature_def"]


def build_signature_def(inputs=None, outputs=None, method_name=None) -> meta_graph_pb2.SignatureDef:
    """A SignatureDef of {key: TensorInfo} inputs and outputs and a method name."""
    signature_def = meta_graph_pb2.SignatureDef()
    for key, info in (inputs or {}).items():
        signature_def.inputs[key].CopyFrom(info)
    for key, info in (outputs or {}).items():
        signature_def.outputs[key].CopyFrom(info)
    if method_name is not None:
        signature_def.method_name = method_name
    return signature_def


def _dtype_name(enum: int) -> str:
    return types_pb2.DataType.Name(enum) if enum in types_pb2.DataType.values() else str(enum)


def regression_signature_def(examples, predictions) -> meta_graph_pb2.SignatureDef:
    """The `tensorflow/serving/regress` signature: string `examples` in, float `predictions` out."""
    if examples is None:
        raise ValueError("Regression `examples` cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError(f"Expected regression `examples` to be of type Tensor. Found `examples` of type "
                         f"{type(examples)}.")
    if predictions is None:
        raise ValueError("Regression `predictions` cannot be None.")
    input_info = utils.build_tensor_info(examples)
    if input_info.dtype != types_pb2.DT_STRING:
        raise ValueError(f"Regression input tensors must be of type string. Found tensors with type "
                         f"{_dtype_name(input_info.dtype)}.")
    output_info = utils.build_tensor_info(predictions)
    if output_info.dtype != types_pb2.DT_FLOAT:
        raise ValueError(f"Regression output tensors must be of type float. Found tensors with type "
                         f"{_dtype_name(output_info.dtype)}.")
    return build_signature_def({sc.REGRESS_INPUTS: input_info}, {sc.REGRESS_OUTPUTS: output_info},
                               sc.REGRESS_METHOD_NAME)


def classification_signature_def(examples, classes, scores) -> meta_graph_pb2.SignatureDef:
    """The `tensorflow/serving/classify` signature: string `examples` in; string `classes`, float `scores` out."""
    if examples is None:
        raise ValueError("Classification `examples` cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError(f"Classification `examples` must be a string Tensor. Found `examples` of type "
                         f"{type(examples)}.")
    if classes is None and scores is None:
        raise ValueError("Classification `classes` and `scores` cannot both be None.")
    input_info = utils.build_tensor_info(examples)
    if input_info.dtype != types_pb2.DT_STRING:
        raise ValueError(f"Classification input tensors must be of type string. Found tensors of type "
                         f"{_dtype_name(input_info.dtype)}")
    outputs = {}
    if classes is not None:
        classes_info = utils.build_tensor_info(classes)
        if classes_info.dtype != types_pb2.DT_STRING:
            raise ValueError(f"Classification classes must be of type string Tensor. Found tensors of type "
                             f"{_dtype_name(classes_info.dtype)}.")
        outputs[sc.CLASSIFY_OUTPUT_CLASSES] = classes_info
    if scores is not None:
        scores_info = utils.build_tensor_info(scores)
        if scores_info.dtype != types_pb2.DT_FLOAT:
            raise ValueError(f"Classification scores must be a float Tensor. Found tensors of type "
                             f"{_dtype_name(scores_info.dtype)}.")
        outputs[sc.CLASSIFY_OUTPUT_SCORES] = scores_info
    return build_signature_def({sc.CLASSIFY_INPUTS: input_info}, outputs, sc.CLASSIFY_METHOD_NAME)


def predict_signature_def(inputs, outputs) -> meta_graph_pb2.SignatureDef:
    """The `tensorflow/serving/predict` signature: any named input and output tensors."""
    if not inputs:
        raise ValueError("Prediction `inputs` cannot be None or empty.")
    if not outputs:
        raise ValueError("Prediction `outputs` cannot be None or empty.")
    return build_signature_def({key: utils.build_tensor_info(t) for key, t in inputs.items()},
                               {key: utils.build_tensor_info(t) for key, t in outputs.items()},
                               sc.PREDICT_METHOD_NAME)


def supervised_train_signature_def(inputs, loss, predictions=None, metrics=None) -> meta_graph_pb2.SignatureDef:
    """The `tensorflow/supervised/training` signature (TrainOutput): inputs, loss, predictions, metrics."""
    return _supervised_signature_def(sc.SUPERVISED_TRAIN_METHOD_NAME, inputs, loss, predictions, metrics)


def supervised_eval_signature_def(inputs, loss, predictions=None, metrics=None) -> meta_graph_pb2.SignatureDef:
    """The `tensorflow/supervised/eval` signature (EvalOutput)."""
    return _supervised_signature_def(sc.SUPERVISED_EVAL_METHOD_NAME, inputs, loss, predictions, metrics)


def _supervised_signature_def(method_name, inputs, loss=None, predictions=None, metrics=None):
    if not inputs:
        raise ValueError(f"{method_name} inputs cannot be None or empty.")
    outputs = {}
    for group in (loss, predictions, metrics):
        if group is not None:
            outputs.update({key: utils.build_tensor_info(t) for key, t in group.items()})
    return build_signature_def({key: utils.build_tensor_info(t) for key, t in inputs.items()}, outputs,
                               method_name)


def _is_valid_predict_signature(sig) -> bool:
    return sig.method_name == sc.PREDICT_METHOD_NAME and bool(sig.inputs) and bool(sig.outputs)


def _is_valid_regression_signature(sig) -> bool:
    return (sig.method_name == sc.REGRESS_METHOD_NAME
            and set(sig.inputs) == {sc.REGRESS_INPUTS}
            and sig.inputs[sc.REGRESS_INPUTS].dtype == types_pb2.DT_STRING
            and set(sig.outputs) == {sc.REGRESS_OUTPUTS}
            and sig.outputs[sc.REGRESS_OUTPUTS].dtype == types_pb2.DT_FLOAT)


def _is_valid_classification_signature(sig) -> bool:
    if sig.method_name != sc.CLASSIFY_METHOD_NAME or set(sig.inputs) != {sc.CLASSIFY_INPUTS}:
        return False
    if sig.inputs[sc.CLASSIFY_INPUTS].dtype != types_pb2.DT_STRING or not sig.outputs:
        return False
    if set(sig.outputs) - {sc.CLASSIFY_OUTPUT_CLASSES, sc.CLASSIFY_OUTPUT_SCORES}:
        return False
    if sc.CLASSIFY_OUTPUT_CLASSES in sig.outputs and sig.outputs[sc.CLASSIFY_OUTPUT_CLASSES].dtype != \
            types_pb2.DT_STRING:
        return False
    return not (sc.CLASSIFY_OUTPUT_SCORES in sig.outputs
                and sig.outputs[sc.CLASSIFY_OUTPUT_SCORES].dtype != types_pb2.DT_FLOAT)


def is_valid_signature(signature_def) -> bool:
    """Whether TF Serving accepts the SignatureDef: a well-formed classify, regress or predict signature."""
    if signature_def is None:
        return False
    return (_is_valid_classification_signature(signature_def) or _is_valid_regression_signature(signature_def)
            or _is_valid_predict_signature(signature_def))


def op_signature_def(op, key) -> meta_graph_pb2.SignatureDef:
    """A signature holding one Operation as output `key` (how TF stores the init and train ops)."""
    return build_signature_def(outputs={key: utils.build_tensor_info_from_op(op)})
