"""A user's own Estimator for `estflow ... --estimator user_model:make_estimator` in the CLI tests.

A logistic regression over the config's feature columns, written with the public TF1 API
the way a user would write it.
"""

import estflow as tf


def _model_fn(features, labels, mode, params):
    logits = tf.feature_column.linear_model(features, params["feature_columns"])
    probability = tf.sigmoid(logits)
    predictions = {"logistic": probability, "class_ids": tf.cast(probability > 0.5, tf.int64)}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    labels = tf.reshape(tf.cast(labels, tf.float32), [-1, 1])
    loss = tf.losses.sigmoid_cross_entropy(labels, logits)
    accuracy = tf.metrics.accuracy(labels, tf.cast(predictions["class_ids"], tf.float32))
    optimizer = tf.train.GradientDescentOptimizer(params.get("learning_rate", 0.5))
    train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op,
                                      eval_metric_ops={"accuracy": accuracy})


def make_estimator(feature_columns, config, params):
    return tf.estimator.Estimator(_model_fn, config=config, params=dict(params, feature_columns=feature_columns))


def not_an_estimator():
    return 42
