"""The canned estimators' `optimizer` argument: a name, an Optimizer, or a callable (TF1's get_optimizer_instance)."""

import pytest

import estflow as tf
from estflow.estimators.optimizers import get_optimizer_instance


@pytest.mark.parametrize("name, cls", [("Adagrad", "AdagradOptimizer"), ("Adam", "AdamOptimizer"),
                                       ("Ftrl", "FtrlOptimizer"), ("RMSProp", "RMSPropOptimizer"),
                                       ("SGD", "GradientDescentOptimizer")])
def test_names_build_tf1s_optimizers_with_the_learning_rate(name, cls):
    opt = get_optimizer_instance(name, learning_rate=0.3)
    assert type(opt) is getattr(tf.train, cls)
    assert getattr(opt, "_learning_rate", getattr(opt, "_lr", None)) == 0.3  # TF1 names it _lr in Adam


def test_instances_and_callables():
    adam = tf.train.AdamOptimizer(0.1)
    assert get_optimizer_instance(adam) is adam
    assert get_optimizer_instance(lambda: adam, learning_rate=0.5) is adam


def test_errors():
    with pytest.raises(ValueError, match="learning_rate must be specified when opt is string"):
        get_optimizer_instance("Adam")
    with pytest.raises(ValueError, match=r"Unsupported optimizer name: adam\. Supported names are: \('Adagrad'"):
        get_optimizer_instance("adam", learning_rate=0.1)
    with pytest.raises(ValueError, match="not an Optimizer instance"):
        get_optimizer_instance(lambda: "Adam")
    with pytest.raises(ValueError, match="not an Optimizer instance"):
        get_optimizer_instance(3)
