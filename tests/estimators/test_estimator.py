"""Estimator: the contract (train, evaluate, predict, resume, restore), steps/max_steps, model_dir layout."""

import inspect
import json
import logging
import os

import numpy as np
import pytest
from google.protobuf import text_format

import estflow as tf
from estflow.estimators.estimator import Estimator

_RNG = np.random.RandomState(0)
X = _RNG.rand(64, 2).astype(np.float32)
Y = (X @ np.array([[2.0], [-1.0]], np.float32) + 0.5).astype(np.float32)


def linear_model_fn(features, labels, mode, params):
    """y = x W + b, trained by gradient descent on the mean squared error."""
    pred = tf.layers.dense(features["x"], 1, name="linear")
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": pred, "double": pred * 2.0})
    loss = tf.losses.mean_squared_error(labels, pred)
    train_op = tf.train.GradientDescentOptimizer(params["lr"]).minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, predictions={"y": pred},
                                      eval_metric_ops={"mae": tf.metrics.mean_absolute_error(labels, pred)})


def train_input(num_epochs=None):
    return tf.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=16, num_epochs=num_epochs, shuffle=True)


def eval_input():
    return tf.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=16, shuffle=False)


def predict_input():
    return tf.estimator.inputs.numpy_input_fn({"x": X[:5]}, batch_size=2, shuffle=False)


@pytest.fixture
def est(tmp_path):
    return tf.estimator.Estimator(linear_model_fn, model_dir=str(tmp_path / "m"), params={"lr": 0.5})


def test_contract_train_evaluate_predict_resume_restore(est):
    assert est.train(train_input(), steps=100) is est
    assert est.latest_checkpoint().endswith("model.ckpt-100")
    assert est.get_variable_value("global_step") == 100
    assert sorted(est.get_variable_names()) == ["global_step", "linear/bias", "linear/kernel"]
    np.testing.assert_allclose(est.get_variable_value("linear/kernel"), [[2.0], [-1.0]], atol=2e-2)

    metrics = est.evaluate(eval_input())
    assert set(metrics) == {"loss", "mae", "global_step"}
    assert metrics["global_step"] == 100 and metrics["loss"] < 1e-3 and metrics["mae"] < 3e-2

    predictions = list(est.predict(predict_input()))
    assert len(predictions) == 5 and set(predictions[0]) == {"y", "double"}
    np.testing.assert_allclose(np.stack([p["y"] for p in predictions]), Y[:5], atol=1e-2)
    np.testing.assert_allclose(predictions[2]["double"], 2 * predictions[2]["y"], rtol=1e-6)

    est.train(train_input(), steps=20)  # resume: the global step continues from the checkpoint
    assert est.get_variable_value("global_step") == 120

    restored = tf.estimator.Estimator(linear_model_fn, model_dir=est.model_dir, params={"lr": 0.5})
    again = list(restored.predict(predict_input()))
    np.testing.assert_allclose(np.stack([p["y"] for p in again]),
                               np.stack([p["y"] for p in est.predict(predict_input())]))


def test_max_steps_stops_at_the_total_and_a_reached_max_steps_does_nothing(est, caplog):
    est.train(train_input(), max_steps=30)
    assert est.get_variable_value("global_step") == 30
    before = est.get_variable_value("linear/kernel")
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        est.train(train_input(), max_steps=30)
    assert "Skipping training since max_steps has already saved." in caplog.text
    np.testing.assert_array_equal(est.get_variable_value("linear/kernel"), before)
    est.train(train_input(), max_steps=45)
    assert est.get_variable_value("global_step") == 45


def test_train_ends_with_the_input_and_logs_tf1s_lines(est, caplog):
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        est.train(train_input(num_epochs=2))  # 64 rows, batch 16, 2 epochs: 8 steps
    assert est.get_variable_value("global_step") == 8
    assert "loss = " in caplog.text and ", step = 0" in caplog.text
    assert "Saving checkpoints for 8 into" in caplog.text
    assert "Loss for final step:" in caplog.text


def test_steps_arguments_are_checked(est):
    with pytest.raises(ValueError, match="Can not provide both steps and max_steps"):
        est.train(train_input(), steps=1, max_steps=2)
    with pytest.raises(ValueError, match="steps > 0"):
        est.train(train_input(), steps=0)
    with pytest.raises(ValueError, match="max_steps > 0"):
        est.train(train_input(), max_steps=-1)
    with pytest.raises(TypeError, match="SessionRunHook"):
        est.train(train_input(), steps=1, hooks=[object()])


def test_model_dir_layout_and_eval_events(tmp_path):
    est = Estimator(linear_model_fn, params={"lr": 0.5},
                    config=tf.estimator.RunConfig(model_dir=str(tmp_path), log_step_count_steps=4))
    est.train(train_input(), steps=10)
    est.evaluate(eval_input(), name="holdout", steps=2)
    est.evaluate(eval_input())
    files = os.listdir(est.model_dir)
    assert "checkpoint" in files and "model.ckpt-10.index" in files
    assert any(f.startswith("events.out.tfevents.") for f in files)
    # relative paths in the checkpoint state, as TF's Estimator Saver writes them
    assert 'model_checkpoint_path: "model.ckpt-10"' in open(os.path.join(est.model_dir, "checkpoint")).read()
    from tensorboard.backend.event_processing import event_accumulator  # optional package, imported where used
    for sub in ("eval", "eval_holdout"):
        acc = event_accumulator.EventAccumulator(os.path.join(est.model_dir, sub))
        acc.Reload()
        assert {"loss", "mae"} <= set(acc.Tags()["scalars"])
        assert acc.Scalars("loss")[0].step == 10
        [path_event] = acc.Tensors("checkpoint_path")  # TF 1.15 records the evaluated checkpoint
        assert path_event.step == 10
        assert path_event.tensor_proto.string_val[0].decode().endswith("model.ckpt-10")
    train_acc = event_accumulator.EventAccumulator(est.model_dir)
    train_acc.Reload()
    assert {"loss", "global_step/sec"} <= set(train_acc.Tags()["scalars"])


def test_evaluate_steps_and_checkpoint_path(est):
    est.train(train_input(), steps=5)
    first = est.latest_checkpoint()
    est.train(train_input(), steps=5)
    assert est.evaluate(eval_input(), checkpoint_path=first)["global_step"] == 5
    assert est.evaluate(eval_input(), steps=1)["global_step"] == 10


def test_predict_keys_batches_and_checkpoint_path(est):
    est.train(train_input(), steps=5)
    only = list(est.predict(predict_input(), predict_keys=["y"]))
    assert all(set(p) == {"y"} for p in only)
    batches = list(est.predict(predict_input(), yield_single_examples=False))
    assert [b["y"].shape for b in batches] == [(2, 1), (2, 1), (1, 1)]
    with pytest.raises(ValueError, match="nope"):
        list(est.predict(predict_input(), predict_keys=["nope"]))


def test_model_fn_called_with_only_declared_args_and_input_fn_forms(tmp_path):
    seen = {}

    def model_fn(features, mode, config):
        seen["mode"], seen["config"] = mode, config
        w = tf.get_variable("w", [], initializer=tf.zeros_initializer())
        pred = features * w
        loss = tf.reduce_mean(tf.square(pred - 1.0))
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, predictions=pred, loss=loss, train_op=train_op)

    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path))
    est.train(lambda: tf.data.Dataset.from_tensor_slices(np.ones(8, np.float32)).batch(4), max_steps=100)
    assert seen == {"mode": "train", "config": est.config}
    assert est.get_variable_value("global_step") == 2  # the Dataset ended after 2 batches

    def input_fn(params, mode):
        assert params == {} and mode == "infer"
        return tf.data.Dataset.from_tensor_slices(np.array([1.0, 2.0], np.float32)).batch(2)

    assert list(est.predict(input_fn)) == pytest.approx([v * est.get_variable_value("w") for v in (1.0, 2.0)])


def test_constructor_checks_and_temporary_model_dir(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        est = Estimator(linear_model_fn, params={"lr": 0.1})
    assert os.path.isdir(est.model_dir) and est.model_dir in caplog.text
    assert est.config.model_dir == est.model_dir and est.params == {"lr": 0.1}
    assert list(inspect.signature(est.model_fn).parameters) == ["features", "labels", "mode", "config"]
    with pytest.raises(ValueError, match="model_dir are set both"):
        Estimator(linear_model_fn, model_dir=str(tmp_path / "a"),
                  config=tf.estimator.RunConfig(model_dir=str(tmp_path / "b")))
    with pytest.raises(ValueError, match="not expected args"):
        Estimator(lambda features, labels, bogus: None)
    with pytest.raises(ValueError, match="does not include params"):
        Estimator(lambda features, labels, mode: None, params={"a": 1})
    with pytest.raises(ValueError, match="RunConfig"):
        Estimator(linear_model_fn, config={"model_dir": "x"})


def test_model_fn_returning_a_dict_says_what_to_return(tmp_path):
    est = Estimator(lambda features, labels: {"loss": features}, model_dir=str(tmp_path))
    with pytest.raises(TypeError, match=r"model_fn must return an EstimatorSpec, got dict\. Build one with"):
        est.train(lambda: (tf.constant([1.0]), tf.constant([1.0])), steps=1)


def test_warm_start_from_another_model_dir(est, tmp_path):
    est.train(train_input(), steps=50)
    warm = Estimator(linear_model_fn, model_dir=str(tmp_path / "warm"), params={"lr": 0.0},
                     warm_start_from=est.model_dir)
    warm.train(train_input(), steps=1)
    np.testing.assert_allclose(warm.get_variable_value("linear/kernel"), est.get_variable_value("linear/kernel"))
    assert warm.get_variable_value("global_step") == 1


def test_saving_listeners_are_called(est):
    calls = []

    class Listener(tf.estimator.CheckpointSaverListener):
        def after_save(self, session, global_step_value):
            calls.append(global_step_value)

    est.train(train_input(), steps=3, saving_listeners=[Listener()])
    assert calls[-1] == 3


def test_evaluate_without_checkpoint_runs_initialization(est, caplog):
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        metrics = est.evaluate(eval_input())
    assert "Could not find trained model" in caplog.text and metrics["global_step"] == 0
    with pytest.raises(ValueError, match="Could not find trained model"):
        est.get_variable_names()


def test_keyboard_interrupt_saves_the_current_step_and_training_resumes_from_it(est):
    class Interrupt(tf.train.SessionRunHook):
        def __init__(self):
            self.runs = 0

        def after_run(self, run_context, run_values):
            self.runs += 1
            if self.runs == 7:
                raise KeyboardInterrupt

    est.train(train_input(), steps=3)
    kernel_at_3 = est.get_variable_value("linear/kernel")
    with pytest.raises(KeyboardInterrupt):
        est.train(train_input(), steps=100, hooks=[Interrupt()])
    assert est.latest_checkpoint().endswith("model.ckpt-10")
    assert not np.allclose(est.get_variable_value("linear/kernel"), kernel_at_3)  # the 7 new steps were saved
    est.train(train_input(), steps=5)
    assert est.get_variable_value("global_step") == 15


def test_same_tf_random_seed_gives_the_same_model(tmp_path):
    def make(sub):
        return Estimator(linear_model_fn, params={"lr": 0.1},
                         config=tf.estimator.RunConfig(model_dir=str(tmp_path / sub), tf_random_seed=7))

    a, b = make("a"), make("b")
    a.train(eval_input(), steps=3)
    b.train(eval_input(), steps=3)
    np.testing.assert_array_equal(a.get_variable_value("linear/kernel"), b.get_variable_value("linear/kernel"))


def test_user_hooks_run_in_evaluate_and_predict(est):
    est.train(train_input(), steps=2)

    class Recorder(tf.train.SessionRunHook):
        def __init__(self):
            self.calls = []

        def begin(self):
            self.calls.append("begin")

        def after_create_session(self, session, coord):
            self.calls.append("after_create_session")

        def before_run(self, run_context):
            self.calls.append("before_run")

        def after_run(self, run_context, run_values):
            self.calls.append("after_run")

        def end(self, session):
            self.calls.append("end")

    evaluating, predicting = Recorder(), Recorder()
    est.evaluate(eval_input(), hooks=[evaluating])  # 64 rows, batch 16: 4 update runs
    # the fifth before_run is the run that meets the end of the input (OutOfRangeError), as in TF1
    assert evaluating.calls == (["begin", "after_create_session"] + ["before_run", "after_run"] * 4
                                + ["before_run", "end"])
    list(est.predict(predict_input(), hooks=[predicting]))  # 5 rows, batch 2: 3 runs
    assert predicting.calls[:2] == ["begin", "after_create_session"] and predicting.calls.count("after_run") == 3


def test_add_metrics_adds_to_evaluation_only(est):
    est.train(train_input(), steps=20)

    def metric_fn(labels, predictions):
        return {"rmse": tf.metrics.root_mean_squared_error(labels, predictions["y"])}

    extended = tf.estimator.add_metrics(est, metric_fn)
    assert extended.model_dir == est.model_dir
    metrics = extended.evaluate(eval_input())
    assert set(metrics) == {"loss", "mae", "rmse", "global_step"}
    assert metrics["rmse"] == pytest.approx(np.sqrt(metrics["loss"]), rel=1e-4)
    with pytest.raises(ValueError, match="not expected args"):
        tf.estimator.add_metrics(est, lambda labels, logits: {})


def test_predict_warns_when_the_input_never_ends(est, caplog):
    est.train(train_input(), steps=1)
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        first = next(iter(est.predict(lambda: {"x": tf.constant(X[:2])})))
    assert "predict yields forever" in caplog.text and first["y"].shape == (1,)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        list(est.predict(predict_input()))
    assert "predict yields forever" not in caplog.text


def test_model_dir_matches_tf_golden_layout(tmp_path):
    """The golden model_dir (TF 2.15.1's v1 DNNClassifier, same RunConfig and steps): the same files,
    checkpoint state, and summary steps. model.ckpt-N.meta is left out: a graph fed by a tf.data pipeline
    built in Python cannot be written as a GraphDef that re-imports (README, Differences); graph.pbtxt is
    written with the pipeline noted on its iterator node."""
    from tests import SHARED  # the shared golden files, only needed here
    manifest_path = SHARED / "golden" / "estimator_model_dir" / "manifest.json"
    if not manifest_path.exists():
        pytest.skip(f"golden files absent: {manifest_path}")
    golden = json.loads(manifest_path.read_text())["variants"]["v1"]

    def model_fn(features, labels, mode):
        logits = tf.layers.dense(features["x"], 3)
        loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
        train_op = tf.train.AdagradOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    config = tf.estimator.RunConfig(model_dir=str(tmp_path), save_checkpoints_steps=10, save_summary_steps=5,
                                    log_step_count_steps=10, tf_random_seed=1)
    est = Estimator(model_fn, config=config)
    x, y = _RNG.rand(40, 2).astype(np.float32), _RNG.randint(0, 3, 40).astype(np.int32)
    est.train(lambda: tf.data.Dataset.from_tensor_slices(({"x": x}, y)).repeat().batch(8), steps=20)
    est.evaluate(lambda: tf.data.Dataset.from_tensor_slices(({"x": x}, y)).batch(10))

    def normalized(relpath):
        head, name = os.path.split(relpath)
        return os.path.join(head, "events.out.tfevents.<time>.<hostname>") if "tfevents" in name else relpath

    ours = sorted(normalized(os.path.relpath(os.path.join(root, f), tmp_path))
                  for root, _, files in os.walk(tmp_path) for f in files)
    theirs = sorted(f["path"] for f in golden["files_after_evaluate"] if not f["path"].endswith(".meta"))
    assert ours == theirs
    graph_def = text_format.Parse((tmp_path / "graph.pbtxt").read_text(), tf.GraphDef())
    nodes = {node.name: node for node in graph_def.node}
    # TF's holds the pipeline as Dataset ops (TensorSliceDataset, ..., MakeIterator); ours notes it on the iterator.
    [iterator] = [node for node in graph_def.node if node.op == "OneShotIterator"]
    assert b"Python objects" in iterator.attr["_estflow_unencodable_attr"].list.s[0]
    assert {"global_step", "dense/kernel", "dense/bias"} <= set(nodes)
    assert (tmp_path / "checkpoint").read_text() == golden["checkpoint_file_text"]
    from tensorboard.backend.event_processing import event_accumulator  # optional package, imported where used
    train_events = event_accumulator.EventAccumulator(str(tmp_path))
    train_events.Reload()
    golden_steps = golden["event_files"]["events.out.tfevents.<time>.<hostname>"]["tag_steps"]
    for tag in ("loss", "global_step/sec"):
        assert [e.step for e in train_events.Scalars(tag)] == golden_steps[tag]
    eval_events = event_accumulator.EventAccumulator(str(tmp_path / "eval"))
    eval_events.Reload()
    golden_eval = golden["event_files"]["eval/events.out.tfevents.<time>.<hostname>"]["tag_steps"]
    assert [e.step for e in eval_events.Scalars("loss")] == golden_eval["loss"]
    assert [e.step for e in eval_events.Tensors("checkpoint_path")] == golden_eval["checkpoint_path"]


def test_warm_start_settings_choose_and_rename_variables(est, tmp_path):
    est.train(train_input(), steps=50)
    only_kernel = tf.estimator.WarmStartSettings(est.model_dir, vars_to_warm_start="linear/kernel")
    warm = Estimator(linear_model_fn, model_dir=str(tmp_path / "k"), params={"lr": 0.0}, warm_start_from=only_kernel)
    warm.train(train_input(), steps=1)
    np.testing.assert_allclose(warm.get_variable_value("linear/kernel"), est.get_variable_value("linear/kernel"))
    np.testing.assert_array_equal(warm.get_variable_value("linear/bias"), [0.0])  # not warm-started

    def renamed_model_fn(features, labels, mode):
        pred = tf.layers.dense(features["x"], 1, name="renamed")
        loss = tf.losses.mean_squared_error(labels, pred)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=tf.train.get_global_step().assign_add(1))

    settings = tf.estimator.WarmStartSettings(est.model_dir, vars_to_warm_start=["renamed/bias"],
                                              var_name_to_prev_var_name={"renamed/bias": "linear/bias"})
    moved = Estimator(renamed_model_fn, model_dir=str(tmp_path / "r"), warm_start_from=settings)
    moved.train(train_input(), steps=1)
    np.testing.assert_allclose(moved.get_variable_value("renamed/bias"), est.get_variable_value("linear/bias"))
    with pytest.raises(TypeError, match="WarmStartSettings"):
        Estimator(linear_model_fn, warm_start_from=3)


def test_the_models_own_summaries_and_graph_reach_tensorboard(tmp_path):
    def model_fn(features, labels, mode):
        pred = tf.layers.dense(features["x"], 1, name="linear")
        loss = tf.losses.mean_squared_error(labels, pred)
        tf.summary.scalar("mean_prediction", tf.reduce_mean(pred))
        tf.summary.histogram("predictions", pred)
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    config = tf.estimator.RunConfig(model_dir=str(tmp_path), save_summary_steps=3, log_step_count_steps=5)
    Estimator(model_fn, config=config).train(train_input(), steps=10)
    from tensorboard.backend.event_processing import event_accumulator  # optional package, imported where used
    events = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"histograms": 0, "scalars": 0})
    events.Reload()
    assert [e.step for e in events.Scalars("mean_prediction")] == [1, 4, 7, 10]
    assert [e.step for e in events.Scalars("loss")] == [1, 4, 7, 10]
    assert [e.step for e in events.Histograms("predictions")] == [1, 4, 7, 10]
    assert [e.step for e in events.Scalars("global_step/sec")] == [6]
    graph = events.Graph()  # the graph event TensorBoard draws
    assert {"linear/kernel", "global_step"} <= {node.name for node in graph.node}
    assert events.MetaGraph().saver_def.filename_tensor_name


def test_a_loss_summary_of_the_model_fn_is_not_written_twice(tmp_path):
    """TF1 adds its `loss` summary only when the model_fn (a canned head, say) wrote none: one tag, no `loss_1`."""
    def model_fn(features, labels, mode):
        pred = tf.layers.dense(features["x"], 1, name="linear")
        loss = tf.losses.mean_squared_error(labels, pred)
        tf.summary.scalar("loss", loss)
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    config = tf.estimator.RunConfig(model_dir=str(tmp_path), save_summary_steps=3)
    Estimator(model_fn, config=config).train(train_input(), steps=4)
    from tensorboard.backend.event_processing import event_accumulator  # optional package, imported where used
    events = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"scalars": 0})
    events.Reload()
    tags = events.Tags()["scalars"]
    assert "loss" in tags and not any(t.startswith("loss_") for t in tags)
    assert [e.step for e in events.Scalars("loss")] == [1, 4]


_TF_READS_MODEL_DIR = """
import json, os, sys
import tensorflow as tf
from google.protobuf import text_format
model_dir = sys.argv[1]
path = tf.train.latest_checkpoint(model_dir)
reader = tf.train.load_checkpoint(path)
graph_def = text_format.Parse(open(os.path.join(model_dir, "graph.pbtxt")).read(), tf.compat.v1.GraphDef())
graphs, scalars = 0, {}
for name in sorted(os.listdir(model_dir)):
    if name.startswith("events.out.tfevents."):
        for event in tf.compat.v1.train.summary_iterator(os.path.join(model_dir, name)):
            if event.HasField("graph_def"):
                tf.compat.v1.GraphDef.FromString(event.graph_def)
                graphs += 1
            for value in event.summary.value:
                scalars.setdefault(value.tag, []).append(event.step)
print(json.dumps({"checkpoint": os.path.basename(path), "step": int(reader.get_tensor("global_step")),
                  "kernel": reader.get_tensor("linear/kernel").tolist(),
                  "nodes": sorted(node.name for node in graph_def.node), "graphs": graphs, "scalars": scalars}))
"""


@pytest.mark.interop
def test_tensorflow_reads_the_model_dir(tmp_path, tf_python):
    """Real TF finds the latest checkpoint, reads its variables, parses graph.pbtxt and the events' graph."""
    from tests.interop import run_tensorflow  # needs TF in its own environment, only here

    config = tf.estimator.RunConfig(model_dir=str(tmp_path), save_summary_steps=5, log_step_count_steps=5)
    est = Estimator(linear_model_fn, params={"lr": 0.5}, config=config)
    est.train(train_input(), steps=12)
    theirs = run_tensorflow(tf_python, _TF_READS_MODEL_DIR, tmp_path)
    assert theirs["checkpoint"] == "model.ckpt-12" and theirs["step"] == 12
    np.testing.assert_array_equal(theirs["kernel"], est.get_variable_value("linear/kernel"))
    assert {"global_step", "linear/kernel", "OneShotIterator"} <= set(theirs["nodes"])
    assert theirs["graphs"] == 2  # as TF's: the FileWriter's own and CheckpointSaverHook's
    assert theirs["scalars"]["loss"] == [1, 6, 11] and theirs["scalars"]["global_step/sec"] == [6, 11]


def test_train_evaluate_and_a_predict_left_half_read_give_the_gc_freeze_back(est):
    """Monitored sessions freeze the objects that exist when they open (monitored_session._freeze_objects);
    the Estimator's calls close theirs, so nothing stays frozen after them, nor after a predict generator
    that was dropped before its end."""
    import gc

    if gc.get_freeze_count():
        pytest.skip("something else froze objects")
    frozen_inside = []

    class Probe(tf.train.SessionRunHook):
        def before_run(self, run_context):
            frozen_inside.append(gc.get_freeze_count() > 0)

    est.train(train_input(), steps=3, hooks=[Probe()])
    est.evaluate(eval_input(), hooks=[Probe()])
    assert frozen_inside and all(frozen_inside) and gc.get_freeze_count() == 0
    predictions = est.predict(predict_input())
    next(predictions)
    assert gc.get_freeze_count() > 0  # its session is open
    del predictions  # closed by the generator's finalization
    assert gc.get_freeze_count() == 0
