"""ExportOutput classes: TF1's checks, messages and signatures."""

import pytest

import estflow as tf
from estflow.estimators import export_output as eo


@pytest.fixture
def t(g):
    return {
        "examples": tf.placeholder(tf.string, [None], name="input_example_tensor"),
        "scores": tf.placeholder(tf.float32, [None, 3], name="scores"),
        "classes": tf.placeholder(tf.string, [None, 3], name="classes"),
        "value": tf.placeholder(tf.float32, [None, 1], name="value"),
        "ints": tf.placeholder(tf.int32, [None], name="ints"),
    }


def test_classification_output(t):
    out = eo.ClassificationOutput(scores=t["scores"], classes=t["classes"])
    assert out.scores is t["scores"] and out.classes is t["classes"]
    sig = out.as_signature_def({"inputs": t["examples"]})
    assert sig.method_name == "tensorflow/serving/classify"
    assert {k: v.name for k, v in sig.outputs.items()} == {"scores": "scores:0", "classes": "classes:0"}
    only_scores = eo.ClassificationOutput(scores=t["scores"]).as_signature_def({"x": t["examples"]})
    assert set(only_scores.outputs) == {"scores"} and set(only_scores.inputs) == {"inputs"}


def test_classification_output_errors(t):
    with pytest.raises(ValueError, match="Classification scores must be a float32 Tensor"):
        eo.ClassificationOutput(scores=t["ints"])
    with pytest.raises(ValueError, match="Classification classes must be a string Tensor"):
        eo.ClassificationOutput(classes=t["scores"])
    with pytest.raises(ValueError, match="At least one of scores and classes must be set."):
        eo.ClassificationOutput()
    out = eo.ClassificationOutput(scores=t["scores"])
    with pytest.raises(ValueError, match="Classification input must be a single string Tensor"):
        out.as_signature_def({"a": t["examples"], "b": t["examples"]})
    with pytest.raises(ValueError, match="Classification input must be a single string Tensor"):
        out.as_signature_def({"a": t["ints"]})


def test_regression_output(t):
    out = eo.RegressionOutput(t["value"])
    assert out.value is t["value"]
    sig = out.as_signature_def({"inputs": t["examples"]})
    assert sig.method_name == "tensorflow/serving/regress" and sig.outputs["outputs"].name == "value:0"
    with pytest.raises(ValueError, match="Regression output value must be a float32 Tensor"):
        eo.RegressionOutput(t["ints"])
    with pytest.raises(ValueError, match="Regression input must be a single string Tensor"):
        out.as_signature_def({"x": t["value"]})


def test_predict_output(t):
    single = eo.PredictOutput(t["scores"])
    assert single.outputs == {"output": t["scores"]}
    multi = eo.PredictOutput({"s": t["scores"], ("head1", "c"): t["classes"]})
    assert set(multi.outputs) == {"s", "head1/c"}
    sig = multi.as_signature_def({"x": t["ints"], "e": t["examples"]})
    assert sig.method_name == "tensorflow/serving/predict" and set(sig.inputs) == {"x", "e"}
    with pytest.raises(ValueError, match="Prediction output key must be a string; got 3."):
        eo.PredictOutput({3: t["scores"]})
    with pytest.raises(ValueError, match="Prediction output value must be a Tensor; got 1."):
        eo.PredictOutput({"a": 1})


def test_eval_and_train_outputs(t):
    loss = tf.reduce_mean(t["value"])
    update = tf.no_op(name="update")
    out = eo.EvalOutput(loss=loss, predictions={"p": t["scores"], "predictions/q": t["value"]},
                        metrics={"acc": (loss, update), "auc": (loss, loss)})
    assert set(out.loss) == {"loss"}
    assert set(out.predictions) == {"predictions/p", "predictions/q"}
    assert set(out.metrics) == {"metrics/acc/value", "metrics/acc/update_op", "metrics/auc/value",
                                "metrics/auc/update_op"}
    wrapper = out.metrics["metrics/acc/update_op"]
    assert wrapper.op.name == "metric_op_wrapper" and wrapper.op.control_inputs == [update]
    sig = out.as_signature_def({"x": t["value"]})
    assert sig.method_name == "tensorflow/supervised/eval" and len(sig.outputs) == 7
    train = eo.TrainOutput(loss={"l": loss}).as_signature_def({"x": t["value"]})
    assert train.method_name == "tensorflow/supervised/training" and set(train.outputs) == {"loss/l"}
    with pytest.raises(ValueError, match="metrics output value must be a dict"):
        eo.EvalOutput(metrics=[loss])
    with pytest.raises(ValueError, match="update_op must be a Tensor or Operation"):
        eo.EvalOutput(metrics={"m": (loss, 3)})
    with pytest.raises(ValueError, match="inputs cannot be None or empty"):
        eo.EvalOutput(loss=loss).as_signature_def({})
