"""tf.train optimizers and the fused training ops, each checked against a numpy transcription of TF1's rule."""

from __future__ import annotations

import os

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.graph import GraphKeys
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops import reduction_ops, training_ops, unary_ops
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.registry import apply_op, registered_ops
from estflow.core.variables import Variable, global_variables, trainable_variables
from estflow.training.adadelta import AdadeltaOptimizer
from estflow.training.adagrad import AdagradOptimizer
from estflow.training.adagrad_da import AdagradDAOptimizer
from estflow.training.adam import AdamOptimizer
from estflow.training.ftrl import FtrlOptimizer
from estflow.training.gradient_descent import GradientDescentOptimizer
from estflow.training.momentum import MomentumOptimizer
from estflow.training.optimizer import GATE_GRAPH, GATE_NONE, Optimizer
from estflow.training.proximal_adagrad import ProximalAdagradOptimizer
from estflow.training.proximal_gradient_descent import ProximalGradientDescentOptimizer
from estflow.training.rmsprop import RMSPropOptimizer
from tests import SHARED_DATA

DATA = str(SHARED_DATA / "birth_life_2010.txt")
RNG = np.random.default_rng(7)
INIT = RNG.standard_normal((4, 3))
STEPS = 3
GRADS = [RNG.standard_normal((4, 3)) for _ in range(STEPS)]
SPARSE_INDICES = [np.array([0, 2], np.int32), np.array([3, 2], np.int32), np.array([0, 2], np.int32)]
SPARSE_VALUES = [RNG.standard_normal((2, 3)) for _ in range(STEPS)]


def _needs(*op_types):
    missing = [t for t in op_types if t not in registered_ops()]
    if missing:
        pytest.skip(f"ops not registered yet: {missing}")


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    with tf.Graph().as_default() as g:
        yield g


# ================================================================================================
# numpy transcriptions of TF1's update rules: state is a dict of arrays, `t` counts steps from 1
# ================================================================================================
def _f32(x):
    """A Python float as TF1 sees it: converted to a float32 tensor (then cast to the variable's dtype)."""
    return float(np.float32(x))


def ref_sgd(s, g, t, lr=0.1):
    lr = _f32(lr)
    s["var"] = s["var"] - lr * g


def ref_momentum(s, g, t, lr=0.1, momentum=0.9, nesterov=False):
    lr, momentum = _f32(lr), _f32(momentum)
    s["accum"] = momentum * s["accum"] + g
    s["var"] = s["var"] - (lr * g + lr * momentum * s["accum"] if nesterov else lr * s["accum"])


def ref_adagrad(s, g, t, lr=0.1):
    lr = _f32(lr)
    s["accum"] = s["accum"] + g * g
    s["var"] = s["var"] - lr * g / np.sqrt(s["accum"])


def ref_adagrad_da(s, g, t, lr=0.1, l1=0.01, l2=0.02):
    step = t - 1  # the global step read by the update, before it is incremented
    lr, l1, l2 = _f32(lr), _f32(l1), _f32(l2)
    s["ga"] = s["ga"] + g
    s["gga"] = s["gga"] + g * g
    denominator = l2 * step * lr + np.sqrt(s["gga"])
    s["var"] = -lr * np.sign(s["ga"]) * np.maximum(np.abs(s["ga"]) - step * l1, 0) / denominator


def _beta_powers(t, beta1=0.9, beta2=0.999):
    """Adam's beta1_power/beta2_power at step t: float32 variables multiplied by float32 betas, as in TF1."""
    b1p, b2p = np.float32(beta1), np.float32(beta2)
    for _ in range(t - 1):
        b1p, b2p = np.float32(b1p * np.float32(beta1)), np.float32(b2p * np.float32(beta2))
    return float(b1p), float(b2p)


def ref_adam(s, g, t, lr=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
    b1p, b2p = _beta_powers(t, beta1, beta2)
    lr, beta1, beta2, epsilon = _f32(lr), _f32(beta1), _f32(beta2), _f32(epsilon)
    lr_t = lr * np.sqrt(1 - b2p) / (1 - b1p)
    s["m"] = beta1 * s["m"] + (1 - beta1) * g
    s["v"] = beta2 * s["v"] + (1 - beta2) * g * g
    s["var"] = s["var"] - lr_t * s["m"] / (np.sqrt(s["v"]) + epsilon)


def ref_adadelta(s, g, t, lr=1.0, rho=0.95, epsilon=1e-6):
    lr, rho, epsilon = _f32(lr), _f32(rho), _f32(epsilon)
    s["accum"] = rho * s["accum"] + (1 - rho) * g * g
    update = np.sqrt(s["accum_update"] + epsilon) / np.sqrt(s["accum"] + epsilon) * g
    s["var"] = s["var"] - lr * update
    s["accum_update"] = rho * s["accum_update"] + (1 - rho) * update * update


def ref_rmsprop(s, g, t, lr=0.01, decay=0.9, momentum=0.5, epsilon=1e-10, centered=False):
    lr, decay, momentum, epsilon = _f32(lr), _f32(decay), _f32(momentum), _f32(epsilon)
    s["ms"] = decay * s["ms"] + (1 - decay) * g * g
    denominator = s["ms"] + epsilon
    if centered:
        s["mg"] = decay * s["mg"] + (1 - decay) * g
        denominator = s["ms"] - s["mg"] ** 2 + epsilon
    s["mom"] = momentum * s["mom"] + lr * g / np.sqrt(denominator)
    s["var"] = s["var"] - s["mom"]


def ref_ftrl(s, g, t, lr=0.1, lr_power=-0.5, l1=0.01, l2=0.02, shrinkage=0.0):
    lr, lr_power, l1, l2, shrinkage = _f32(lr), _f32(lr_power), _f32(l1), _f32(l2), _f32(shrinkage)
    var, accum = s["var"], s["accum"]
    new_accum = accum + g * g
    sigma = (new_accum ** -lr_power - accum ** -lr_power) / lr
    s["linear"] = s["linear"] + (g + 2 * shrinkage * var) - sigma * var
    quadratic = new_accum ** -lr_power / lr + 2 * l2
    linear = s["linear"]
    s["var"] = np.where(np.abs(linear) > l1, (l1 * np.sign(linear) - linear) / quadratic, 0.0)
    s["accum"] = new_accum


def _fobos(prox, rate, l1, l2):
    return np.sign(prox) * np.maximum(np.abs(prox) - rate * l1, 0) / (1 + rate * l2)


def ref_proximal_adagrad(s, g, t, lr=0.1, l1=0.01, l2=0.02):
    lr, l1, l2 = _f32(lr), _f32(l1), _f32(l2)
    s["accum"] = s["accum"] + g * g
    rate = lr / np.sqrt(s["accum"])
    s["var"] = _fobos(s["var"] - rate * g, rate, l1, l2)


def ref_proximal_sgd(s, g, t, lr=0.1, l1=0.01, l2=0.02):
    lr, l1, l2 = _f32(lr), _f32(l1), _f32(l2)
    s["var"] = _fobos(s["var"] - lr * g, lr, l1, l2)


# name -> (build the optimizer from the global step, reference rule, initial slot values)
CASES = {
    "GradientDescent": (lambda step: GradientDescentOptimizer(0.1), ref_sgd, {}),
    "Momentum": (lambda step: MomentumOptimizer(0.1, 0.9), ref_momentum, {"accum": 0.0}),
    "MomentumNesterov": (lambda step: MomentumOptimizer(0.1, 0.9, use_nesterov=True),
                         lambda s, g, t: ref_momentum(s, g, t, nesterov=True), {"accum": 0.0}),
    "Adagrad": (lambda step: AdagradOptimizer(0.1), ref_adagrad, {"accum": 0.1}),
    "AdagradDA": (lambda step: AdagradDAOptimizer(0.1, step, l1_regularization_strength=0.01,
                                                  l2_regularization_strength=0.02),
                  ref_adagrad_da, {"ga": 0.0, "gga": 0.1}),
    "Adam": (lambda step: AdamOptimizer(0.01), ref_adam, {"m": 0.0, "v": 0.0}),
    "Adadelta": (lambda step: AdadeltaOptimizer(1.0, rho=0.95, epsilon=1e-6), ref_adadelta,
                 {"accum": 0.0, "accum_update": 0.0}),
    "RMSProp": (lambda step: RMSPropOptimizer(0.01, decay=0.9, momentum=0.5), ref_rmsprop,
                {"ms": 1.0, "mom": 0.0}),
    "RMSPropCentered": (lambda step: RMSPropOptimizer(0.01, decay=0.9, momentum=0.5, centered=True),
                        lambda s, g, t: ref_rmsprop(s, g, t, centered=True), {"ms": 1.0, "mom": 0.0, "mg": 0.0}),
    "Ftrl": (lambda step: FtrlOptimizer(0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02),
             ref_ftrl, {"accum": 0.1, "linear": 0.0}),
    "FtrlPower": (lambda step: FtrlOptimizer(0.1, learning_rate_power=-0.3, l1_regularization_strength=0.01,
                                             l2_regularization_strength=0.02),
                  lambda s, g, t: ref_ftrl(s, g, t, lr_power=-0.3), {"accum": 0.1, "linear": 0.0}),
    "FtrlShrinkage": (lambda step: FtrlOptimizer(0.1, l1_regularization_strength=0.01,
                                                 l2_regularization_strength=0.02,
                                                 l2_shrinkage_regularization_strength=0.05),
                      lambda s, g, t: ref_ftrl(s, g, t, shrinkage=0.05), {"accum": 0.1, "linear": 0.0}),
    "ProximalAdagrad": (lambda step: ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.01,
                                                              l2_regularization_strength=0.02),
                        ref_proximal_adagrad, {"accum": 0.1}),
    "ProximalGradientDescent": (lambda step: ProximalGradientDescentOptimizer(
        0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02), ref_proximal_sgd, {}),
    "ProximalGradientDescentNoL1": (lambda step: ProximalGradientDescentOptimizer(0.1, l2_regularization_strength=0.02),
                                    lambda s, g, t: ref_proximal_sgd(s, g, t, l1=0.0), {}),
}


def _reference_dense(name):
    _, rule, slots = CASES[name]
    state = {"var": INIT.copy(), **{k: np.full_like(INIT, v) for k, v in slots.items()}}
    for t, g in enumerate(GRADS, start=1):
        rule(state, g, t)
    return state["var"]


def _reference_sparse(name):
    """The rule applied to the rows looked up only (Adam: TF1 decays m and v everywhere)."""
    _, rule, slots = CASES[name]
    state = {"var": INIT.copy(), **{k: np.full_like(INIT, v) for k, v in slots.items()}}
    for t, (idx, g) in enumerate(zip(SPARSE_INDICES, SPARSE_VALUES, strict=True), start=1):
        if name == "Adam":
            dense = np.zeros_like(INIT)
            dense[idx] = g
            ref_adam(state, dense, t)  # m and v decay everywhere; the whole variable moves
            continue
        rows = {k: v[idx] for k, v in state.items()}
        rule(rows, g, t)
        for k, v in rows.items():
            state[k][idx] = v
    return state["var"]


def _train(name, dtype=np.float64, sparse=False, steps=STEPS):
    build = CASES[name][0]
    var = Variable(INIT.astype(dtype), name="w")
    step = Variable(np.int64(0), name="global_step", trainable=False)
    opt = build(step)
    if sparse:
        values = placeholder(tf.as_dtype(dtype), [None, 3])
        indices = placeholder(tf.int32, [None])
        grad = IndexedSlices(values, indices, constant(np.array([4, 3], np.int32)))
    else:
        grad = placeholder(tf.as_dtype(dtype), [4, 3])
    train = opt.apply_gradients([(grad, var)], global_step=step)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        history = [sess.run(var)]
        for k in range(steps):
            if sparse:
                feed = {values: SPARSE_VALUES[k].astype(dtype), indices: SPARSE_INDICES[k]}
            else:
                feed = {grad: GRADS[k].astype(dtype)}
            sess.run(train, feed)
            history.append(sess.run(var))
        assert sess.run(step) == steps
    return history


# ================================================================================================
# Update rules
# ================================================================================================
@pytest.mark.parametrize("name", sorted(CASES))
def test_dense_update_matches_tf1_rule(name):
    history = _train(name)
    np.testing.assert_allclose(history[-1], _reference_dense(name), rtol=1e-6, atol=1e-12)
    assert history[-1].dtype == np.float64


@pytest.mark.parametrize("name", sorted(CASES))
def test_dense_update_float32(name):
    history = _train(name, dtype=np.float32)
    assert history[-1].dtype == np.float32
    np.testing.assert_allclose(history[-1], _reference_dense(name), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sparse_update_matches_tf1_rule(name):
    _needs("Unique", "UnsortedSegmentSum")
    history = _train(name, sparse=True)
    np.testing.assert_allclose(history[-1], _reference_sparse(name), rtol=1e-6, atol=1e-12)
    if name != "Adam":  # row 1 is never looked up: not a bit changes
        for value in history:
            assert value[1].tobytes() == INIT[1].tobytes()


def test_sparse_duplicate_indices_are_summed_first():
    _needs("Unique", "UnsortedSegmentSum")
    var = Variable(INIT.copy(), name="w")
    values = constant(np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5], [-1.0, 0.0, 1.0]]))
    grad = IndexedSlices(values, constant(np.array([1, 3, 1], np.int32)), constant(np.array([4, 3], np.int32)))
    train = AdagradOptimizer(0.1).apply_gradients([(grad, var)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        got = sess.run(var)
    state = {"var": INIT[[1, 3]].copy(), "accum": np.full((2, 3), 0.1)}
    ref_adagrad(state, np.array([[0.0, 2.0, 4.0], [0.5, 0.5, 0.5]]), 1)
    np.testing.assert_allclose(got[[1, 3]], state["var"], rtol=1e-6)
    assert got[[0, 2]].tobytes() == INIT[[0, 2]].tobytes()


def test_sparse_gradient_descent_uses_scatter_sub():
    var = Variable(INIT.copy(), name="w")
    values = constant(np.ones((3, 3)))
    grad = IndexedSlices(values, constant(np.array([2, 0, 2], np.int32)), constant(np.array([4, 3], np.int32)))
    train = GradientDescentOptimizer(0.5).apply_gradients([(grad, var)])
    assert any(op.type == "ScatterSub" for op in tf.get_default_graph().get_operations())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        got = sess.run(var)
    expected = INIT.copy()
    expected[0] -= 0.5
    expected[2] -= 1.0  # named twice: both steps apply
    np.testing.assert_allclose(got, expected, rtol=1e-12)


# ================================================================================================
# Embedding tables: rows not looked up stay bit-identical
# ================================================================================================
SPARSE_OPTIMIZERS = {
    "GradientDescent": lambda: GradientDescentOptimizer(0.5),
    "Momentum": lambda: MomentumOptimizer(0.5, 0.9),
    "Adagrad": lambda: AdagradOptimizer(0.5),
    "Adadelta": lambda: AdadeltaOptimizer(1.0),
    "RMSProp": lambda: RMSPropOptimizer(0.1, momentum=0.9),
    "Ftrl": lambda: FtrlOptimizer(0.5, l1_regularization_strength=0.001),
    "ProximalAdagrad": lambda: ProximalAdagradOptimizer(0.5, l1_regularization_strength=0.001),
    "ProximalGradientDescent": lambda: ProximalGradientDescentOptimizer(0.5, l2_regularization_strength=0.01),
}


@pytest.mark.parametrize("name", sorted(SPARSE_OPTIMIZERS))
def test_embedding_rows_not_looked_up_stay_identical(name):
    _needs("GatherV2", "Unique", "UnsortedSegmentSum")
    table_init = RNG.standard_normal((10, 4)).astype(np.float32)
    table = Variable(table_init, name="embeddings")
    ids = placeholder(tf.int32, [None])
    looked_up = apply_op("GatherV2", table, ids, 0, batch_dims=0)
    loss = reduction_ops.reduce_sum(unary_ops.square(looked_up - 1.0))
    opt = SPARSE_OPTIMIZERS[name]()
    grad, = tf.gradients(loss, [table])
    assert isinstance(grad, IndexedSlices)
    train = opt.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for batch in ([1, 3, 3], [3, 7], [1]):
            sess.run(train, {ids: np.array(batch, np.int32)})
        got = sess.run(table)
        slots = [sess.run(opt.get_slot(table, s)) for s in opt.get_slot_names()]
    untouched = [0, 2, 4, 5, 6, 8, 9]
    assert got[untouched].tobytes() == table_init[untouched].tobytes()
    assert not np.array_equal(got[[1, 3, 7]], table_init[[1, 3, 7]])
    for slot in slots:  # slots of untouched rows keep their initial value
        assert np.all(slot[untouched] == slot[untouched][0, 0])


# ================================================================================================
# Slot variables and names (checkpoints line up with TF1's)
# ================================================================================================
SLOT_NAMES = {  # name -> (build the optimizer from the global step, slot name -> variable name, non-slot names)
    "Adam": (lambda step: AdamOptimizer(), {"m": "w/Adam", "v": "w/Adam_1"}, ["beta1_power", "beta2_power"]),
    "Momentum": (lambda step: MomentumOptimizer(0.1, 0.9), {"momentum": "w/Momentum"}, []),
    "Adagrad": (lambda step: AdagradOptimizer(0.1), {"accumulator": "w/Adagrad"}, []),
    "AdagradDA": (lambda step: AdagradDAOptimizer(0.1, step),
                  {"gradient_accumulator": "w/AdagradDA", "gradient_squared_accumulator": "w/AdagradDA_1"}, []),
    "Adadelta": (lambda step: AdadeltaOptimizer(), {"accum": "w/Adadelta", "accum_update": "w/Adadelta_1"}, []),
    "RMSProp": (lambda step: RMSPropOptimizer(0.1), {"rms": "w/RMSProp", "momentum": "w/RMSProp_1"}, []),
    "RMSPropCentered": (lambda step: RMSPropOptimizer(0.1, centered=True),
                        {"rms": "w/RMSProp", "mg": "w/RMSProp_1", "momentum": "w/RMSProp_2"}, []),
    "Ftrl": (lambda step: FtrlOptimizer(0.1), {"accum": "w/Ftrl", "linear": "w/Ftrl_1"}, []),
    "ProximalAdagrad": (lambda step: ProximalAdagradOptimizer(0.1), {"accumulator": "w/ProximalAdagrad"}, []),
    "GradientDescent": (lambda step: GradientDescentOptimizer(0.1), {}, []),
}


@pytest.mark.parametrize("name", sorted(SLOT_NAMES))
def test_slot_variable_names_match_tf1(name):
    build, slots, non_slots = SLOT_NAMES[name]
    w = Variable(np.ones((2, 3), np.float32), name="w")
    opt = build(Variable(np.int64(0), name="global_step", trainable=False))
    opt.minimize(reduction_ops.reduce_sum(w * w))
    assert opt.get_slot_names() == sorted(slots)
    for slot_name, var_name in slots.items():
        slot = opt.get_slot(w, slot_name)
        assert slot.op.name == var_name
        assert slot.name == var_name + ":0"
        assert slot.trainable is False
        assert slot.shape.as_list() == [2, 3] and slot.dtype.base_dtype == tf.float32 and slot.dtype._is_ref_dtype
        assert slot in global_variables() and slot not in trainable_variables()
    assert sorted(v.op.name for v in opt.variables()) == sorted(list(slots.values()) + non_slots)
    assert opt.get_slot(w, "no_such_slot") is None


def test_slot_initial_values():
    w = Variable(np.ones((2, 3), np.float32), name="w")
    loss = reduction_ops.reduce_sum(w * w)
    adagrad, rms = AdagradOptimizer(0.1, 0.25), RMSPropOptimizer(0.1)
    ftrl = FtrlOptimizer(0.1, initial_accumulator_value=0.5)
    for opt in (adagrad, rms, ftrl):
        opt.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(adagrad.get_slot(w, "accumulator")), np.full((2, 3), 0.25, np.float32))
        np.testing.assert_array_equal(sess.run(rms.get_slot(w, "rms")), np.ones((2, 3), np.float32))
        np.testing.assert_array_equal(sess.run(rms.get_slot(w, "momentum")), np.zeros((2, 3), np.float32))
        np.testing.assert_array_equal(sess.run(ftrl.get_slot(w, "accum")), np.full((2, 3), 0.5, np.float32))
        np.testing.assert_array_equal(sess.run(ftrl.get_slot(w, "linear")), np.zeros((2, 3), np.float32))


def test_slots_under_nested_scopes_and_second_optimizer():
    with tf.name_scope("layer"):
        kernel = Variable(np.ones((2, 2), np.float32), name="kernel")
    loss = reduction_ops.reduce_sum(kernel * kernel)
    first, second = AdamOptimizer(), AdamOptimizer()
    first.minimize(loss)
    second.minimize(loss)
    assert first.get_slot(kernel, "m").op.name == "layer/kernel/Adam"
    assert first.get_slot(kernel, "v").op.name == "layer/kernel/Adam_1"
    assert second.get_slot(kernel, "m").op.name == "layer/kernel/Adam_2"
    assert first._get_non_slot_variable("beta1_power").op.name == "beta1_power"
    assert second._get_non_slot_variable("beta1_power").op.name == "beta1_power_1"


def test_ftrl_custom_slot_names():
    w = Variable(np.ones(3, np.float32), name="w")
    opt = FtrlOptimizer(0.1, accum_name="acc", linear_name="lin")
    opt.minimize(reduction_ops.reduce_sum(w * w))
    assert opt.get_slot(w, "accum").op.name == "w/acc"
    assert opt.get_slot(w, "linear").op.name == "w/lin"


def test_adam_beta_powers_advance_each_step():
    w = Variable(np.ones(3, np.float32), name="w")
    opt = AdamOptimizer(0.1, beta1=0.8, beta2=0.9)
    train = opt.minimize(reduction_ops.reduce_sum(w * w))
    beta1_power = opt._get_non_slot_variable("beta1_power")
    beta2_power = opt._get_non_slot_variable("beta2_power")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run([beta1_power, beta2_power]) == pytest.approx([0.8, 0.9])
        sess.run(train)
        sess.run(train)
        assert sess.run([beta1_power, beta2_power]) == pytest.approx([0.8 ** 3, 0.9 ** 3], rel=1e-6)


# ================================================================================================
# Graph structure: TF1's op names, global step, train-op collection
# ================================================================================================
def test_op_names_without_global_step():
    w = Variable(np.ones(3, np.float32), name="w")
    train = AdamOptimizer().minimize(reduction_ops.reduce_sum(w * w))
    g = tf.get_default_graph()
    assert train.name == "Adam" and train.type == "NoOp"
    assert g.get_operation_by_name("Adam/update_w/ApplyAdam").type == "ApplyAdam"
    assert g.get_operation_by_name("Adam/learning_rate").type == "Const"
    assert train in g.get_collection(GraphKeys.TRAIN_OP)


def test_op_names_with_global_step_and_custom_name():
    w = Variable(np.ones(3, np.float32), name="w")
    step = Variable(np.int64(0), name="global_step", trainable=False)
    train = GradientDescentOptimizer(0.1).minimize(reduction_ops.reduce_sum(w * w), global_step=step, name="train")
    g = tf.get_default_graph()
    assert train.name == "train" and train.type == "AssignAdd"
    assert g.get_operation_by_name("train/update").type == "NoOp"
    assert g.get_operation_by_name("train/update_w/ApplyGradientDescent").type == "ApplyGradientDescent"


def test_global_step_increments_after_updates():
    w = Variable(np.float32(5.0), name="w")
    step = Variable(np.int64(0), name="global_step", trainable=False)
    train = GradientDescentOptimizer(0.1).minimize(w * w, global_step=step)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for expected in range(1, 4):
            sess.run(train)
            assert sess.run(step) == expected
        assert sess.run(w) == pytest.approx(5.0 * 0.8 ** 3, rel=1e-6)


def test_minimize_quadratic_converges():
    target = np.array([1.0, -2.0, 3.0], np.float32)
    for opt in (GradientDescentOptimizer(0.1), MomentumOptimizer(0.05, 0.9), AdamOptimizer(0.1),
                AdagradOptimizer(0.5), RMSPropOptimizer(0.05), FtrlOptimizer(1.0)):
        with tf.Graph().as_default():
            x = Variable(np.zeros(3, np.float32), name="x")
            loss = reduction_ops.reduce_sum(unary_ops.square(x - target))
            train = opt.minimize(loss)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(300):
                    sess.run(train)
                np.testing.assert_allclose(sess.run(x), target, atol=2e-2, err_msg=opt.get_name())


def test_var_list_restricts_updates():
    a = Variable(np.float32(1.0), name="a")
    b = Variable(np.float32(1.0), name="b")
    opt = MomentumOptimizer(0.1, 0.9)
    train = opt.minimize(a * b, var_list=[b])
    assert opt.get_slot(a, "momentum") is None and opt.get_slot(b, "momentum") is not None
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run(a) == 1.0
        assert sess.run(b) == pytest.approx(0.9)


def test_gradients_of_all_variables_see_values_before_any_update():
    a = Variable(np.float32(2.0), name="a")
    b = Variable(np.float32(3.0), name="b")
    train = GradientDescentOptimizer(1.0).minimize(a * b)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run([a, b]) == [pytest.approx(-1.0), pytest.approx(1.0)]  # 2 - 3, 3 - 2


def test_compute_gradients_includes_none_and_apply_skips_it():
    a = Variable(np.float32(1.0), name="a")
    b = Variable(np.float32(1.0), name="b")
    opt = GradientDescentOptimizer(0.5)
    grads_and_vars = opt.compute_gradients(a * 3.0)
    assert [v for _, v in grads_and_vars] == [a, b]
    assert grads_and_vars[1][0] is None
    train = opt.apply_gradients(grads_and_vars)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run([a, b]) == [pytest.approx(-0.5), 1.0]


@pytest.mark.parametrize("gate", [GATE_NONE, Optimizer.GATE_OP, GATE_GRAPH])
def test_gate_gradients_modes(gate):
    a = Variable(np.float32(2.0), name="a")
    b = Variable(np.float32(3.0), name="b")
    train = GradientDescentOptimizer(1.0).minimize(a * b, gate_gradients=gate)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run([a, b]) == [pytest.approx(-1.0), pytest.approx(1.0)]


def test_learning_rate_as_placeholder_tensor_and_callable():
    rate = placeholder(tf.float32, [])
    w = Variable(np.float32(1.0), name="w")
    train = GradientDescentOptimizer(rate).minimize(w * 1.0)
    w2 = Variable(np.float32(1.0), name="w2")
    train2 = MomentumOptimizer(lambda: constant(0.25), momentum=lambda: 0.0).minimize(w2 * 1.0)
    w3 = Variable(np.float64(1.0), name="w3")
    train3 = AdamOptimizer(constant(0.5)).minimize(w3 * 1.0)  # a float32 rate cast to the float64 variable
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {rate: 0.5})
        sess.run(train, {rate: 0.25})
        assert sess.run(w) == pytest.approx(0.25)
        sess.run(train2)
        assert sess.run(w2) == pytest.approx(0.75)
        sess.run(train3)
        assert sess.run(w3) == pytest.approx(0.5, rel=1e-6)


# ================================================================================================
# Errors
# ================================================================================================
def test_no_variables_to_optimize():
    with pytest.raises(ValueError, match=r"^No variables to optimize\.$"):
        GradientDescentOptimizer(0.1).minimize(constant(1.0) * 2.0)


def test_no_gradients_provided():
    w = Variable(np.float32(1.0), name="w")
    with pytest.raises(ValueError, match=r"No gradients provided for any variable, check your graph for ops that "
                                         r"do not support gradients, between variables \[.*'w:0'.*\] and loss"):
        GradientDescentOptimizer(0.1).minimize(constant(1.0) * 2.0, var_list=[w])
    with pytest.raises(ValueError, match=r"^No gradients provided for any variable: \["):
        GradientDescentOptimizer(0.1).apply_gradients([(None, w)])
    with pytest.raises(ValueError, match="No variables provided"):
        GradientDescentOptimizer(0.1).apply_gradients([])


def test_invalid_arguments():
    w = Variable(np.float32(1.0), name="w")
    with pytest.raises(ValueError, match="gate_gradients must be one of"):
        GradientDescentOptimizer(0.1).minimize(w * 1.0, gate_gradients=7)
    with pytest.raises(ValueError, match="Invalid type"):
        GradientDescentOptimizer(0.1).minimize(constant(1) * 2)
    with pytest.raises(ValueError, match="Must specify the optimizer name"):
        Optimizer(False, "")
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    with pytest.raises(ValueError, match="learning_rate_power 0.500000 needs to be negative or zero"):
        FtrlOptimizer(0.1, learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength -1.000000 needs to be positive or zero"):
        FtrlOptimizer(0.1, l1_regularization_strength=-1.0)
    with pytest.raises(NotImplementedError, match="Trying to optimize unsupported type"):
        GradientDescentOptimizer(0.1).compute_gradients(w * 1.0, var_list=[constant(1.0)])


def test_uninitialized_slot_fails_with_tf1_message():
    w = Variable(np.ones(3, np.float32), name="w")
    train = AdamOptimizer().minimize(reduction_ops.reduce_sum(w * w))
    with tf.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(errors.FailedPreconditionError, match="Attempting to use uninitialized value"):
            sess.run(train)


# ================================================================================================
# The raw ops
# ================================================================================================
def test_raw_op_functions_and_attrs():
    w = Variable(np.ones(3, np.float32), name="w")
    out = training_ops.apply_gradient_descent(w, 0.5, constant(np.ones(3, np.float32)))
    assert out.op.type == "ApplyGradientDescent" and out.op.get_attr("use_locking") is False
    assert out.shape.as_list() == [3] and out.dtype == tf.float32._as_ref  # TF: `out: Ref(T)`
    acc = Variable(np.ones(3, np.float32), name="acc")
    mom = training_ops.apply_momentum(w, acc, 0.1, constant(np.ones(3, np.float32)), 0.9, use_nesterov=True)
    assert mom.op.get_attr("use_nesterov") is True
    assert registered_ops()["ApplyAdam"].ref_inputs == (0, 1, 2)
    args = registered_ops()["SparseApplyFtrlV2"].input_args
    assert [(a.name, a.type_attr, a.is_ref) for a in args[:5]] == [
        ("var", "T", True), ("accum", "T", True), ("linear", "T", True), ("grad", "T", False),
        ("indices", "Tindices", False)]
    for op_type in ("SparseApplyGradientDescent", "SparseApplyAdam"):
        assert op_type not in registered_ops()  # TF has neither: sparse SGD is ScatterSub, Adam composes scatters
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(out), np.full(3, 0.5, np.float32))


def test_raw_op_shape_errors_at_build_time():
    w = Variable(np.ones(3, np.float32), name="w")
    acc = Variable(np.ones(4, np.float32), name="acc")
    with pytest.raises(ValueError, match="ApplyGradientDescent"):
        training_ops.apply_gradient_descent(w, 0.5, constant(np.ones(4, np.float32)))
    with pytest.raises(ValueError, match="ApplyAdagrad"):
        training_ops.apply_adagrad(w, acc, 0.5, constant(np.ones(3, np.float32)))
    with pytest.raises(ValueError, match="rank 0"):
        training_ops.apply_gradient_descent(w, constant(np.ones(2, np.float32)), constant(np.ones(3, np.float32)))
    table = Variable(np.ones((5, 2), np.float32), name="table")
    table_acc = Variable(np.ones((5, 2), np.float32), name="table_acc")
    with pytest.raises(ValueError):
        training_ops.sparse_apply_adagrad(table, table_acc, 0.1, constant(np.ones((2, 3), np.float32)),
                                          constant(np.array([0, 1], np.int32)))
    with pytest.raises(TypeError):
        training_ops.apply_gradient_descent(w, np.float64(0.5), constant(np.ones(3, np.float64)))


def test_raw_sparse_op_processes_duplicate_indices_in_order():
    table_init = np.arange(10, dtype=np.float64).reshape(5, 2) / 10 + 1
    table = Variable(table_init.copy(), name="table")
    accum = Variable(np.full((5, 2), 0.1), name="accum")
    indices = np.array([3, 1, 3, 3, 0], np.int32)
    grad = RNG.standard_normal((5, 2))
    out = training_ops.sparse_apply_adagrad(table, accum, np.float64(0.1), constant(grad), constant(indices))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(out)
        got_accum = sess.run(accum)
    var, acc = table_init.copy(), np.full((5, 2), 0.1)
    for i, row in enumerate(indices):  # TF's kernel loops over the indices one by one
        acc[row] += grad[i] ** 2
        var[row] -= 0.1 * grad[i] / np.sqrt(acc[row])
    np.testing.assert_allclose(got, var, rtol=1e-12)
    np.testing.assert_allclose(got_accum, acc, rtol=1e-12)
    assert got[[2, 4]].tobytes() == table_init[[2, 4]].tobytes()


def test_raw_sparse_op_index_out_of_range():
    table = Variable(np.ones((3, 2), np.float32), name="table")
    accum = Variable(np.ones((3, 2), np.float32), name="accum")
    out = training_ops.sparse_apply_momentum(table, accum, np.float32(0.1), constant(np.ones((2, 2), np.float32)),
                                             constant(np.array([1, 3], np.int32)), np.float32(0.9))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(errors.InvalidArgumentError, match="Index 3 at offset 1 in indices is out of range"):
            sess.run(out)
        np.testing.assert_array_equal(sess.run(table), np.ones((3, 2), np.float32))


def test_raw_ftrl_rejects_bad_hyperparameters_at_run_time():
    w = Variable(np.ones(3, np.float32), name="w")
    accum = Variable(np.ones(3, np.float32), name="accum")
    linear = Variable(np.zeros(3, np.float32), name="linear")
    out = training_ops.apply_ftrl(w, accum, linear, constant(np.ones(3, np.float32)), np.float32(-0.1),
                                  np.float32(0.0), np.float32(0.0), np.float32(-0.5))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(errors.InvalidArgumentError, match="lr is not a positive scalar"):
            sess.run(out)


def test_raw_op_on_scalar_variable():
    w = Variable(np.float32(2.0), name="w")
    accum = Variable(np.float32(0.0), name="accum")
    out = training_ops.apply_momentum(w, accum, np.float32(0.5), constant(np.float32(1.0)), np.float32(0.9))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(out) == pytest.approx(1.5)
        assert sess.run(out) == pytest.approx(1.5 - 0.5 * 1.9)


# ================================================================================================
# GPU: the same kernels on cupy
# ================================================================================================
@pytest.mark.parametrize("name", sorted(CASES))  # every dense and sparse Apply* kernel
def test_dense_and_sparse_updates_on_gpu(name, gpu):
    with tf.device("/gpu:0"):
        history = _train(name)
    np.testing.assert_allclose(history[-1], _reference_dense(name), rtol=1e-6, atol=1e-12)
    with tf.Graph().as_default(), tf.device("/gpu:0"):
        _needs("Unique", "UnsortedSegmentSum")
        history = _train(name, sparse=True)
    np.testing.assert_allclose(history[-1], _reference_sparse(name), rtol=1e-6, atol=1e-12)
    with tf.Graph().as_default():  # float32: the kernels' scalar coefficients come from 0-d device arrays
        cpu = _train(name, dtype=np.float32)
    with tf.Graph().as_default(), tf.device("/gpu:0"):
        np.testing.assert_allclose(_train(name, dtype=np.float32)[-1], cpu[-1], rtol=1e-6)


# ================================================================================================
# End to end: TF1's linear regression on the birth-rate / life-expectancy data
# ================================================================================================
def _read_birth_life():
    rows = []
    with open(DATA, encoding="utf-8") as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                rows.append((float(parts[1]), float(parts[2])))
    return np.asarray(rows, np.float32)


def test_linear_regression_on_birth_life_data_matches_tf1():
    if not os.path.exists(DATA):
        pytest.skip(f"{DATA} is not available")
    data = _read_birth_life()
    assert data.shape == (190, 2)
    X = placeholder(tf.float32, name="X")
    Y = placeholder(tf.float32, name="Y")
    w = Variable(0.0, name="weights")
    b = Variable(0.0, name="bias")
    Y_predicted = w * X + b
    loss = unary_ops.square(Y - Y_predicted, name="loss")
    optimizer = GradientDescentOptimizer(learning_rate=0.001).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(100):
            for x, y in data:
                sess.run(optimizer, feed_dict={X: x, Y: y})
        w_out, b_out = sess.run([w, b])
    assert round(float(w_out), 2) == -6.07
    assert round(float(b_out), 2) == 84.93


def test_ftrl_beta_is_folded_into_l2():
    def final(opt):
        with tf.Graph().as_default():
            w = Variable(INIT.copy(), name="w")
            train = opt.minimize(reduction_ops.reduce_sum(w * w * w))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(3):
                    sess.run(train)
                return sess.run(w)

    with_beta = final(FtrlOptimizer(lambda: 0.1, beta=0.2))  # l2 + beta / (2 * lr) = 1.0
    np.testing.assert_allclose(with_beta, final(FtrlOptimizer(0.1, l2_regularization_strength=1.0)), rtol=1e-6)
