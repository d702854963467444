"""Canned estimators with a partitioner that splits: the weights are partitioned, the checkpoint holds
each variable (and its slots) whole under its own name, and training, evaluation and prediction run."""

import itertools

import estflow as tf

fc = tf.feature_column


def _input_fn():
    features = {"c": tf.constant([[1], [5], [7], [2]], tf.int64), "x": tf.constant([[1.0], [2.0], [3.0], [4.0]])}
    return features, tf.constant([0, 1, 1, 0])


def test_dnn_input_layer_partitioner_and_linear_partitioner_split_the_weights(tmp_path):
    cat = fc.categorical_column_with_identity("c", 10)
    dnn = tf.estimator.DNNClassifier([4], [fc.embedding_column(cat, 3), fc.numeric_column("x")],
                                     model_dir=str(tmp_path / "dnn"),
                                     input_layer_partitioner=tf.fixed_size_partitioner(2))
    dnn.train(_input_fn, steps=2)
    names = dnn.get_variable_names()
    embedding = "dnn/input_from_feature_columns/input_layer/c_embedding/embedding_weights"
    assert embedding in names and embedding + "/Adagrad" in names and not any("part_" in n for n in names)
    assert dnn.get_variable_value(embedding).shape == (10, 3)
    assert "loss" in dnn.evaluate(_input_fn, steps=1)
    linear = tf.estimator.LinearClassifier([cat, fc.numeric_column("x")], model_dir=str(tmp_path / "linear"),
                                           partitioner=tf.fixed_size_partitioner(2))
    linear.train(_input_fn, steps=2)
    assert linear.get_variable_value("linear/linear_model/c/weights").shape == (10, 1)
    predictions = list(itertools.islice(linear.predict(lambda: _input_fn()[0]), 4))  # constant inputs never end
    assert len(predictions) == 4 and predictions[0]["probabilities"].shape == (2,)
