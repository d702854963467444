"""Signature builders and their checks, against TF1's protos and messages."""

import os

import pytest

import estflow as tf
from estflow.core.protos import meta_graph_pb2, types_pb2
from estflow.serving import signature_constants as sc
from estflow.serving import signature_def_utils as sdu
from estflow.serving import tag_constants, utils


@pytest.fixture
def tensors(g):
    examples = tf.placeholder(tf.string, [None], name="input_example_tensor")
    scores = tf.placeholder(tf.float32, [None, 2], name="scores")
    classes = tf.placeholder(tf.string, [None, 2], name="classes")
    value = tf.placeholder(tf.float32, [None, 1], name="value")
    ints = tf.placeholder(tf.int64, [None], name="ints")
    return examples, scores, classes, value, ints


def test_constants_are_tensorflows():
    assert sc.DEFAULT_SERVING_SIGNATURE_DEF_KEY == "serving_default"
    assert (sc.CLASSIFY_METHOD_NAME, sc.REGRESS_METHOD_NAME, sc.PREDICT_METHOD_NAME) == (
        "tensorflow/serving/classify", "tensorflow/serving/regress", "tensorflow/serving/predict")
    assert (sc.CLASSIFY_INPUTS, sc.CLASSIFY_OUTPUT_CLASSES, sc.CLASSIFY_OUTPUT_SCORES) == ("inputs", "classes",
                                                                                           "scores")
    assert (sc.REGRESS_INPUTS, sc.REGRESS_OUTPUTS, sc.PREDICT_INPUTS, sc.PREDICT_OUTPUTS) == (
        "inputs", "outputs", "inputs", "outputs")
    assert (tag_constants.SERVING, tag_constants.TRAINING, tag_constants.GPU, tag_constants.TPU) == (
        "serve", "train", "gpu", "tpu")


def test_classification_signature_matches_tensorflows_layout(tensors):
    examples, scores, classes, _, _ = tensors
    sig = sdu.classification_signature_def(examples, classes, scores)
    assert sig.method_name == "tensorflow/serving/classify"
    assert sig.inputs["inputs"].name == "input_example_tensor:0"
    assert sig.inputs["inputs"].dtype == types_pb2.DT_STRING
    assert [d.size for d in sig.inputs["inputs"].tensor_shape.dim] == [-1]
    assert sig.outputs["classes"].name == "classes:0" and sig.outputs["scores"].name == "scores:0"
    assert [d.size for d in sig.outputs["scores"].tensor_shape.dim] == [-1, 2]
    assert sdu.is_valid_signature(sig)


def test_classification_signature_errors(tensors):
    examples, scores, classes, value, ints = tensors
    with pytest.raises(ValueError, match="`examples` cannot be None"):
        sdu.classification_signature_def(None, classes, scores)
    with pytest.raises(ValueError, match="cannot both be None"):
        sdu.classification_signature_def(examples, None, None)
    with pytest.raises(ValueError, match="input tensors must be of type string"):
        sdu.classification_signature_def(ints, classes, scores)
    with pytest.raises(ValueError, match="classes must be of type string"):
        sdu.classification_signature_def(examples, scores, None)
    with pytest.raises(ValueError, match="scores must be a float Tensor"):
        sdu.classification_signature_def(examples, None, classes)
    with pytest.raises(ValueError, match="must be a string Tensor"):
        sdu.classification_signature_def({"x": examples}, classes, scores)


def test_regression_signature(tensors):
    examples, _, classes, value, ints = tensors
    sig = sdu.regression_signature_def(examples, value)
    assert sig.method_name == "tensorflow/serving/regress"
    assert set(sig.inputs) == {"inputs"} and sig.outputs["outputs"].name == "value:0"
    assert sdu.is_valid_signature(sig)
    with pytest.raises(ValueError, match="`predictions` cannot be None"):
        sdu.regression_signature_def(examples, None)
    with pytest.raises(ValueError, match="output tensors must be of type float. Found tensors with type DT_STRING"):
        sdu.regression_signature_def(examples, classes)
    with pytest.raises(ValueError, match="input tensors must be of type string"):
        sdu.regression_signature_def(ints, value)


def test_predict_signature_and_validity(tensors):
    examples, scores, _, value, ints = tensors
    sig = sdu.predict_signature_def({"examples": examples, "ids": ints}, {"scores": scores})
    assert sig.method_name == "tensorflow/serving/predict"
    assert set(sig.inputs) == {"examples", "ids"} and sig.inputs["ids"].dtype == types_pb2.DT_INT64
    assert sdu.is_valid_signature(sig)
    with pytest.raises(ValueError, match="`inputs` cannot be None or empty"):
        sdu.predict_signature_def({}, {"scores": scores})
    with pytest.raises(ValueError, match="`outputs` cannot be None or empty"):
        sdu.predict_signature_def({"x": examples}, None)
    assert not sdu.is_valid_signature(None)
    assert not sdu.is_valid_signature(sdu.build_signature_def({}, {}, "tensorflow/serving/predict"))
    bad = sdu.classification_signature_def(examples, None, scores)
    bad.outputs["extra"].CopyFrom(utils.build_tensor_info(value))
    assert not sdu.is_valid_signature(bad)
    wrong = sdu.regression_signature_def(examples, value)
    wrong.outputs["outputs"].dtype = types_pb2.DT_DOUBLE
    assert not sdu.is_valid_signature(wrong)
    assert not sdu.is_valid_signature(sdu.build_signature_def(method_name="my/method"))


def test_build_signature_def_copies_infos(tensors):
    examples = tensors[0]
    info = utils.build_tensor_info(examples)
    sig = sdu.build_signature_def({"a": info}, None, "m")
    info.name = "changed:0"
    assert sig.inputs["a"].name == "input_example_tensor:0" and sig.method_name == "m"
    assert isinstance(sig, meta_graph_pb2.SignatureDef)


def test_method_name_updater(tmp_path):
    export_dir = tmp_path / "m"
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        v = tf.get_variable("v", initializer=tf.constant(2.0))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.saved_model.simple_save(sess, str(export_dir), {"x": x}, {"y": x * v})
    updater = tf.saved_model.signature_def_utils.MethodNameUpdater(str(export_dir))
    with pytest.raises(ValueError, match="`signature_key` must be defined"):
        updater.replace_method_name("", "m")
    with pytest.raises(ValueError, match="does not have a signature_def with key: 'nope'"):
        updater.replace_method_name("nope", "m", tags="serve")
    with pytest.raises(ValueError, match="could not be found in SavedModel"):
        updater.replace_method_name("serving_default", "m", tags=["train"])
    updater.replace_method_name("serving_default", "tensorflow/serving/regress", tags="serve")
    updater.save(str(tmp_path / "copy"))
    updater.save()
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], str(export_dir))
        assert meta.signature_def["serving_default"].method_name == "tensorflow/serving/regress"
    copy = tf.saved_model.loader.SavedModelLoader(str(tmp_path / "copy")).get_meta_graph_def_from_tags(["serve"])
    assert copy.signature_def["serving_default"].method_name == "tensorflow/serving/regress"
    assert os.listdir(tmp_path / "copy") == ["saved_model.pb"]  # only the graph: variables stay where they were
