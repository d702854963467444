"""Estimator(warm_start_from=...): canned estimators warm-started across vocabularies, once, with logs."""

import logging

import numpy as np
import pytest

import estflow as tf

COLORS = ["red", "green", "blue", "pink"]
EMBEDDING = "dnn/input_from_feature_columns/input_layer/color_embedding/embedding_weights"


def _column(tmp_path, name, tokens):
    path = tmp_path / name
    path.write_text("".join(t + "\n" for t in tokens))
    column = tf.feature_column.categorical_column_with_vocabulary_file("color", str(path), vocabulary_size=len(tokens),
                                                                      num_oov_buckets=1)
    return column, str(path)


def _input_fn(seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 4, 40)
    features = {"color": np.array([COLORS[i].encode() for i in ids], dtype=object)}
    labels = (ids % 2 == 0).astype(np.int64).reshape(-1, 1)

    def fn():
        return tf.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(8)
    return fn


def _still():
    return tf.train.GradientDescentOptimizer(1e-30)  # keeps warm-started values where they started


def _messages(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "tensorflow"]


def test_linear_classifier_takes_the_rows_of_its_tokens_from_a_model_with_another_vocabulary(tmp_path, caplog):
    old_column, old_vocab = _column(tmp_path, "old.txt", ["red", "green", "blue"])
    source = tf.estimator.LinearClassifier([old_column], model_dir=str(tmp_path / "old"))
    source.train(_input_fn(), steps=20)
    old_weights = source.get_variable_value("linear/linear_model/color/weights")
    assert old_weights.shape == (4, 1) and np.abs(old_weights[:3]).min() > 0

    new_column, new_vocab = _column(tmp_path, "new.txt", ["blue", "pink", "red", "green"])
    name = "linear/linear_model/color/weights"
    info = tf.estimator.VocabInfo(new_vocab, new_vocab_size=4, num_oov_buckets=1, old_vocab=old_vocab)
    settings = tf.estimator.WarmStartSettings(str(tmp_path / "old"), var_name_to_vocab_info={name: info})
    est = tf.estimator.LinearClassifier([new_column], model_dir=str(tmp_path / "new"), optimizer=_still(),
                                        warm_start_from=settings)
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        est.train(_input_fn(), steps=1)
    expected = np.stack([old_weights[2], [0.0], old_weights[0], old_weights[1], [0.0]])  # blue pink red green oov
    np.testing.assert_allclose(est.get_variable_value(name), expected, atol=1e-20)
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/bias_weights"),
                               source.get_variable_value("linear/linear_model/bias_weights"))
    lines = _messages(caplog)
    assert f"Warm-starting variable: {name}; prev_var_name: Unchanged; vocab_info: VocabInfo(new_vocab={new_vocab}, " \
           f"new_vocab_size=4, num_oov_buckets=1, old_vocab={old_vocab}, old_vocab_size=-1, backup_initializer=None, " \
           f"axis=0); from: {name}; 3 of 5 rows from the old vocabulary, 2 from backup_initializer" in lines
    assert ("Warm-starting variable: linear/linear_model/bias_weights; prev_var_name: Unchanged; vocab_info: None; "
            "from: linear/linear_model/bias_weights") in lines
    assert "Warm-started 2 variables." in lines


def test_dnn_classifier_remaps_its_embedding_and_copies_its_hidden_layers(tmp_path):
    old_column, old_vocab = _column(tmp_path, "old.txt", ["red", "green", "blue"])
    source = tf.estimator.DNNClassifier([4], [tf.feature_column.embedding_column(old_column, 3)],
                                        model_dir=str(tmp_path / "old"))
    source.train(_input_fn(), steps=10)
    new_column, new_vocab = _column(tmp_path, "new.txt", ["green", "pink", "red"])
    backup = tf.constant_initializer(0.25)
    info = tf.estimator.VocabInfo(new_vocab, 3, 1, old_vocab, backup_initializer=backup)
    est = tf.estimator.DNNClassifier([4], [tf.feature_column.embedding_column(new_column, 3)],
                                     model_dir=str(tmp_path / "new"), optimizer=_still(),
                                     warm_start_from=tf.estimator.WarmStartSettings(
                                         str(tmp_path / "old"), var_name_to_vocab_info={EMBEDDING: info}))
    est.train(_input_fn(), steps=1)
    old_embedding = source.get_variable_value(EMBEDDING)
    expected = np.stack([old_embedding[1], np.full(3, 0.25), old_embedding[0], np.full(3, 0.25)])
    np.testing.assert_allclose(est.get_variable_value(EMBEDDING), expected, atol=1e-20)
    for name in ("dnn/hiddenlayer_0/kernel", "dnn/hiddenlayer_0/bias", "dnn/logits/kernel", "dnn/logits/bias"):
        # atol: a dead unit's zero bias may move by lr * gradient = 1e-30 * g once the new rows revive it
        np.testing.assert_allclose(est.get_variable_value(name), source.get_variable_value(name), atol=1e-20)


def test_warm_start_is_applied_once_and_says_so_on_later_calls(tmp_path, caplog):
    column, _ = _column(tmp_path, "v.txt", ["red", "green", "blue"])
    source = tf.estimator.LinearClassifier([column], model_dir=str(tmp_path / "old"))
    source.train(_input_fn(), steps=10)
    first = source.get_variable_value("linear/linear_model/color/weights")
    est = tf.estimator.LinearClassifier([column], model_dir=str(tmp_path / "new"), optimizer=_still(),
                                        warm_start_from=str(tmp_path / "old"))
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        est.train(_input_fn(), steps=1)
    assert sum(m.startswith("Warm-starting variable: ") for m in _messages(caplog)) == 2
    source.train(_input_fn(1), steps=10)  # the source moves on, and its checkpoint with it ...
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        est.train(_input_fn(), steps=1)   # ... est resumes from its own checkpoint, reading nothing of the source
    lines = _messages(caplog)
    assert not any(m.startswith("Warm-starting") for m in lines)
    assert f"Not warm-starting from {tmp_path / 'old'}: training resumes from {tmp_path / 'new' / 'model.ckpt-1'}." \
        in lines
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/color/weights"), first)
    assert est.get_variable_value("global_step") == 2


def test_warm_start_from_an_exported_saved_model(tmp_path):
    column, _ = _column(tmp_path, "v.txt", ["red", "green", "blue"])
    source = tf.estimator.LinearClassifier([column], model_dir=str(tmp_path / "old"))
    source.train(_input_fn(), steps=10)
    spec = tf.feature_column.make_parse_example_spec([column])
    receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn(spec)
    export_dir = source.export_saved_model(str(tmp_path / "export"), receiver)
    est = tf.estimator.LinearClassifier([column], model_dir=str(tmp_path / "new"), optimizer=_still(),
                                        warm_start_from=export_dir)
    est.train(_input_fn(), steps=1)
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/color/weights"),
                               source.get_variable_value("linear/linear_model/color/weights"))


def test_warm_start_errors_reach_the_user_before_training(tmp_path):
    column, _ = _column(tmp_path, "v.txt", ["red", "green", "blue"])
    source = tf.estimator.LinearClassifier([column], model_dir=str(tmp_path / "old"))
    source.train(_input_fn(), steps=2)
    wider, _ = _column(tmp_path, "w.txt", ["red", "green", "blue", "pink"])
    est = tf.estimator.LinearClassifier([wider], model_dir=str(tmp_path / "new"), warm_start_from=str(tmp_path / "old"))
    with pytest.raises(ValueError, match=r"'linear/linear_model/color/weights' of shape \[5, 1\] from tensor "
                                         r"'linear/linear_model/color/weights' of shape \[4, 1\]"):
        est.train(_input_fn(), steps=1)
    assert est.latest_checkpoint() is None
    dnn = tf.estimator.DNNClassifier([4], [tf.feature_column.embedding_column(column, 3)],
                                     model_dir=str(tmp_path / "dnn"), warm_start_from=str(tmp_path / "old"))
    with pytest.raises(ValueError, match=r"'dnn/hiddenlayer_0/bias' is not in checkpoint"):
        dnn.train(_input_fn(), steps=1)
