"""tf.contrib.layers and tf.contrib.framework resolve as TF1 programs import them."""

import estflow as tf
from estflow.contrib import framework, layers


def test_contrib_names_resolve_to_estflows_implementations():
    assert tf.contrib.layers is layers and tf.contrib.framework is framework
    assert layers.conv2d is layers.convolution2d and layers.linear is layers.fully_connected
    assert layers.l2_regularizer is tf.layers.l2_regularizer  # TF1 keeps the regularizers in contrib
    assert framework.get_or_create_global_step is tf.train.get_or_create_global_step
    for name in ("fully_connected", "conv2d", "conv2d_transpose", "max_pool2d", "avg_pool2d", "flatten",
                 "batch_norm", "dropout", "l1_regularizer", "l2_regularizer", "l1_l2_regularizer",
                 "xavier_initializer", "variance_scaling_initializer", "embed_sequence", "one_hot_encoding"):
        assert callable(getattr(layers, name)), name
    for name in ("arg_scope", "add_arg_scope", "get_variables", "get_or_create_global_step", "model_variable",
                 "get_variables_to_restore"):
        assert callable(getattr(framework, name)), name
    assert framework.has_arg_scope(layers.conv2d) and framework.has_arg_scope(layers.batch_norm)
