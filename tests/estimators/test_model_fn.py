"""EstimatorSpec: validated per mode, with messages that say what to pass."""

import pytest

import estflow as tf
from estflow.estimators.model_fn import check_spec

pytestmark = pytest.mark.usefixtures("g")


def _loss():
    w = tf.get_variable("w", [], initializer=tf.zeros_initializer())
    return tf.square(w - 1.0), w


def test_mode_keys_are_tf1s_strings():
    assert (tf.estimator.ModeKeys.TRAIN, tf.estimator.ModeKeys.EVAL, tf.estimator.ModeKeys.PREDICT) == (
        "train", "eval", "infer")


def test_a_valid_spec_per_mode_is_a_namedtuple_with_defaults():
    loss, w = _loss()
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    spec = tf.estimator.EstimatorSpec("train", loss=loss, train_op=train_op)
    assert spec.mode == "train" and spec.loss is loss and spec.train_op is train_op
    assert spec.predictions == {} and spec.eval_metric_ops == {} and spec.training_hooks == ()
    assert isinstance(spec.scaffold, tf.train.Scaffold)
    assert spec._fields[:4] == ("mode", "predictions", "loss", "train_op")
    spec = tf.estimator.EstimatorSpec("infer", predictions={"w": w})
    assert set(spec.predictions) == {"w"}
    spec = tf.estimator.EstimatorSpec("eval", loss=tf.reshape(loss, [1]))
    assert spec.loss.get_shape().ndims == 0  # a [1] loss becomes a scalar, as TF1 does
    assert spec._replace(loss=loss).loss is loss


@pytest.mark.parametrize("mode, kwargs, message", [
    ("fit", {}, "mode must be one of"),
    ("train", {"with_loss": True}, "needs a train_op"),
    ("train", {"with_train_op": True}, "needs a loss"),
    ("eval", {}, "needs a loss"),
    ("infer", {}, "needs predictions"),
])
def test_missing_pieces_per_mode(mode, kwargs, message):
    loss, _ = _loss()
    args = {}
    if kwargs.get("with_loss"):
        args["loss"] = loss
    if kwargs.get("with_train_op"):
        args["train_op"] = tf.no_op()
    with pytest.raises(ValueError, match=message):
        tf.estimator.EstimatorSpec(mode, **args)


def test_wrong_types_say_what_to_pass():
    loss, w = _loss()
    with pytest.raises(TypeError, match="loss must be a Tensor"):
        tf.estimator.EstimatorSpec("eval", loss=1.0)
    with pytest.raises(ValueError, match="loss must be a scalar.*reduce_mean"):
        tf.estimator.EstimatorSpec("eval", loss=tf.ones([3]))
    with pytest.raises(TypeError, match="train_op must be an Operation or a Tensor"):
        tf.estimator.EstimatorSpec("train", loss=loss, train_op="minimize")
    with pytest.raises(TypeError, match="eval_metric_ops.*tuple"):
        tf.estimator.EstimatorSpec("eval", loss=loss, eval_metric_ops={"m": loss})
    with pytest.raises(TypeError, match="eval_metric_ops must be a dict"):
        tf.estimator.EstimatorSpec("eval", loss=loss, eval_metric_ops=[loss])
    with pytest.raises(TypeError, match="SessionRunHook"):
        tf.estimator.EstimatorSpec("eval", loss=loss, evaluation_hooks=[object()])
    with pytest.raises(TypeError, match="scaffold must be a tf.train.Scaffold"):
        tf.estimator.EstimatorSpec("eval", loss=loss, scaffold=object())
    with pytest.raises(TypeError, match="predictions keys must be strings"):
        tf.estimator.EstimatorSpec("infer", predictions={1: w})


def test_tensors_from_another_graph_are_refused():
    other = tf.Graph()
    with other.as_default():
        foreign = tf.constant(1.0)
    with pytest.raises(ValueError, match="must be from the default graph.*inside model_fn"):
        tf.estimator.EstimatorSpec("eval", loss=foreign)


def test_check_spec_messages():
    with pytest.raises(TypeError, match=r"model_fn must return an EstimatorSpec, got dict\. Build one with "
                                        r"EstimatorSpec\(mode, predictions=\.\.\., loss=\.\.\., train_op=\.\.\.\)\."):
        check_spec({"loss": 1}, "train")
    loss, _ = _loss()
    with pytest.raises(ValueError, match="called in mode 'train' but returned an EstimatorSpec for mode 'eval'"):
        check_spec(tf.estimator.EstimatorSpec("eval", loss=loss), "train")
