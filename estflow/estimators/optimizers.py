"""The `optimizer` argument of the canned estimators: a name, an Optimizer, or a callable (TF1's rules)."""

from __future__ import annotations

from estflow.training.adagrad import AdagradOptimizer
from estflow.training.adam import AdamOptimizer
from estflow.training.ftrl import FtrlOptimizer
from estflow.training.gradient_descent import GradientDescentOptimizer
from estflow.training.optimizer import Optimizer
from estflow.training.rmsprop import RMSPropOptimizer

OPTIMIZER_CLS_NAMES = {
    "Adagrad": AdagradOptimizer,
    "Adam": AdamOptimizer,
    "Ftrl": FtrlOptimizer,
    "RMSProp": RMSPropOptimizer,
    "SGD": GradientDescentOptimizer,
}


def get_optimizer_instance(opt, learning_rate=None) -> Optimizer:
    """An Optimizer from `opt`: a name ('Adagrad', 'Adam', 'Ftrl', 'RMSProp', 'SGD') built with
    `learning_rate`, an Optimizer instance, or a callable of no arguments returning one.

        get_optimizer_instance("Adagrad", learning_rate=0.05)      # AdagradOptimizer(0.05)
        get_optimizer_instance(lambda: tf.train.AdamOptimizer(1e-3))
    """
    if isinstance(opt, str):
        if opt in OPTIMIZER_CLS_NAMES:
            if not learning_rate:
                raise ValueError("learning_rate must be specified when opt is string.")
            return OPTIMIZER_CLS_NAMES[opt](learning_rate=learning_rate)
        raise ValueError(f"Unsupported optimizer name: {opt}. Supported names are: {tuple(sorted(OPTIMIZER_CLS_NAMES))}"
                         f" (or pass a tf.train.Optimizer instance, or a callable returning one).")
    if callable(opt) and not isinstance(opt, Optimizer):
        opt = opt()
    if not isinstance(opt, Optimizer):
        raise ValueError(f"The given object is not an Optimizer instance. Given: {opt!r}. Pass a name such as "
                         f"'Adagrad', a tf.train.Optimizer, or a callable returning one.")
    return opt
