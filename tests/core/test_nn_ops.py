"""nn ops, table-driven (STYLE.md §7): activations, softmax, bias_add and their *Grad ops.

One table of cases (builder, numpy reference, input shapes, safe input domain). One checker
asserts for each case: the inferred shape and dtype equal the kernel's output (and stay
compatible with a `None` batch dim); values match numpy in float64 and float32; the
gradient matches float64 central differences (for the *Grad ops that checks their own
second-order rules). Exact kinks, overflow-prone values and error messages follow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

import estflow as tf
from estflow.core import devices, errors
from estflow.core.gradients import gradients
from estflow.core.ops import nn_ops as nn
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.registry import apply_op, registered_ops
from tests.core.gradient_check import check_gradient

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def has_gpu() -> bool:
    return devices.cupy_module() is not None and devices.num_gpus() > 0


def _sample(domain: str, shape, rng) -> np.ndarray:
    if domain == "any":
        return rng.standard_normal(shape)
    if domain == "away_from_0":  # central differences must not straddle a kink
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 2.0, shape)
    if domain == "relu6":  # both sides of the kinks at 0 and 6, never near them
        return rng.choice([-1.5, 0.5, 3.0, 5.5, 6.5, 8.0], size=shape) + rng.uniform(-0.3, 0.3, shape)
    if domain == "output_of_elu":  # EluGrad's second input is elu's output: > -1, away from 0
        return rng.choice([-0.6, 0.8], size=shape) + rng.uniform(-0.3, 0.3, shape)
    raise ValueError(domain)


@dataclasses.dataclass
class Case:
    label: str
    build: Callable
    ref: Callable
    shapes: list
    domains: tuple = ("any",)
    grad_rtol: float = 1e-5
    none_batch: bool = True

    def inputs(self, shapes, rng, dtype=np.float64):
        doms = self.domains if len(self.domains) == len(shapes) else self.domains * len(shapes)
        return [np.asarray(_sample(d, s, rng)).astype(dtype) for d, s in zip(doms, shapes, strict=True)]


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


UNARY = [((),), ((3, 4),), ((2, 3, 2),)]
GRAD_OP = [((), ()), ((3, 4), (3, 4)), ((2, 3, 2), (2, 3, 2))]
RANK1_UP = [((5,),), ((3, 4),), ((2, 3, 4),)]

CASES = [
    Case("relu", nn.relu, lambda x: np.maximum(x, 0), UNARY, ("away_from_0",)),
    Case("relu6", nn.relu6, lambda x: np.clip(x, 0, 6), UNARY, ("relu6",)),
    Case("elu", nn.elu, _elu, UNARY, ("away_from_0",)),
    Case("selu", nn.selu, _selu, UNARY, ("away_from_0",)),
    Case("softplus", nn.softplus, lambda x: np.log1p(np.exp(x)), UNARY),
    Case("softsign", nn.softsign, lambda x: x / (1 + np.abs(x)), UNARY, ("away_from_0",)),
    Case("leaky_relu", nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), UNARY, ("away_from_0",)),
    Case("leaky_relu alpha=0.01", lambda x: nn.leaky_relu(x, alpha=0.01), lambda x: np.where(x > 0, x, 0.01 * x),
         UNARY, ("away_from_0",)),
    Case("softmax", nn.softmax, _softmax, RANK1_UP),
    Case("log_softmax", nn.log_softmax, _log_softmax, RANK1_UP),
    Case("softmax axis=0", lambda x: nn.softmax(x, axis=0), lambda x: _softmax(x, 0), [((3, 4),), ((2, 3, 4),)],
         none_batch=False),
    Case("softmax dim=1", lambda x: nn.softmax(x, dim=1), lambda x: _softmax(x, 1), [((2, 3, 4),)]),
    Case("log_softmax axis=-2", lambda x: nn.log_softmax(x, axis=-2), lambda x: _log_softmax(x, -2),
         [((2, 3, 4),)]),
    Case("bias_add NHWC", nn.bias_add, lambda x, b: x + b, [((3, 4), (4,)), ((2, 3, 2, 5), (5,))]),
    Case("bias_add NCHW", lambda x, b: nn.bias_add(x, b, data_format="NCHW"),
         lambda x, b: x + b.reshape((-1,) + (1,) * (x.ndim - 2)), [((2, 3, 4), (3,)), ((2, 3, 2, 2), (3,))]),
    # ---- TF's gradient ops (their gradients are the second-order rules) ----
    Case("ReluGrad", lambda g, x: apply_op("ReluGrad", g, x), lambda g, x: g * (x > 0), GRAD_OP,
         ("any", "away_from_0")),
    Case("Relu6Grad", lambda g, x: apply_op("Relu6Grad", g, x), lambda g, x: g * ((x > 0) & (x < 6)), GRAD_OP,
         ("any", "relu6")),
    Case("LeakyReluGrad", lambda g, x: apply_op("LeakyReluGrad", g, x, alpha=0.3),
         lambda g, x: np.where(x > 0, g, 0.3 * g), GRAD_OP, ("any", "away_from_0")),
    Case("EluGrad", lambda g, y: apply_op("EluGrad", g, y), lambda g, y: np.where(y < 0, g * (y + 1), g), GRAD_OP,
         ("any", "output_of_elu")),
    Case("SeluGrad", lambda g, y: apply_op("SeluGrad", g, y),
         lambda g, y: np.where(y < 0, g * (y + SELU_SCALE * SELU_ALPHA), g * SELU_SCALE), GRAD_OP,
         ("any", "away_from_0")),
    Case("SoftplusGrad", lambda g, x: apply_op("SoftplusGrad", g, x), lambda g, x: g * _sigmoid(x), GRAD_OP),
    Case("SoftsignGrad", lambda g, x: apply_op("SoftsignGrad", g, x), lambda g, x: g / (1 + np.abs(x)) ** 2,
         GRAD_OP, ("any", "away_from_0")),
    Case("BiasAddGrad NHWC", lambda g: apply_op("BiasAddGrad", g), lambda g: g.reshape(-1, g.shape[-1]).sum(0),
         [((3, 4),), ((2, 3, 5),)]),
    Case("BiasAddGrad NCHW", lambda g: apply_op("BiasAddGrad", g, data_format="NCHW"),
         lambda g: g.sum(axis=tuple(i for i in range(g.ndim) if i != 1)), [((2, 3, 4),), ((2, 3, 2, 2),)]),
]

# Every op type nn_ops registers, each covered by a case label above.
NN_OP_TYPES = ["Relu", "ReluGrad", "Relu6", "Relu6Grad", "LeakyRelu", "LeakyReluGrad", "Elu", "EluGrad", "Selu",
               "SeluGrad", "Softplus", "SoftplusGrad", "Softsign", "SoftsignGrad", "Softmax", "LogSoftmax",
               "BiasAdd", "BiasAddGrad"]

PARAMS = [pytest.param(c, s, id=f"{c.label}-{'x'.join(str(d) for d in s[0]) or 'scalar'}")
          for c in CASES for s in c.shapes]


def _run(case, shapes, dtype, device=None, none_batch=False):
    rng = np.random.default_rng(0)
    values = case.inputs(shapes, rng, dtype)
    g = tf.Graph()
    with g.as_default(), g.device(device):
        phs = []
        for v in values:
            shape = list(v.shape)
            if none_batch and shape:
                shape[0] = None
            phs.append(placeholder(tf.as_dtype(dtype), shape))
        y = case.build(*phs)
        with tf.Session(graph=g) as sess:
            out = sess.run(y, dict(zip(phs, values, strict=False)))
    return y, np.asarray(out), values


@pytest.mark.parametrize(("case", "shapes"), PARAMS)
def test_spec_and_value(case, shapes):
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 2e-6)):
        y, out, values = _run(case, shapes, dtype)
        assert y.dtype == tf.as_dtype(dtype), case.label
        assert out.dtype == dtype, f"{case.label}: kernel returned {out.dtype}, inferred {y.dtype.name}"
        assert tuple(y.shape.as_list()) == out.shape, f"{case.label}: inferred {y.shape}, kernel {out.shape}"
        expected = case.ref(*[v.astype(np.float64) for v in values])
        np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol, err_msg=case.label)
    if case.none_batch and shapes[0]:
        y, out, _ = _run(case, shapes, np.float64, none_batch=True)
        assert y.shape.is_compatible_with(out.shape), f"{case.label}: {y.shape} vs {out.shape}"


@pytest.mark.parametrize(("case", "shapes"), PARAMS)
def test_gradient(case, shapes):
    rng = np.random.default_rng(1)
    check_gradient(case.build, case.inputs(shapes, rng), rtol=case.grad_rtol, label=case.label)
    if case.none_batch and shapes[0]:
        check_gradient(case.build, case.inputs(shapes, rng), rtol=case.grad_rtol, label=case.label,
                       none_batch=True)


@pytest.mark.parametrize(("case", "shapes"), PARAMS)
def test_value_on_gpu(case, shapes, gpu):
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 2e-6)):
        y, out, values = _run(case, shapes, dtype, device="/gpu:0")
        assert out.dtype == dtype and tuple(y.shape.as_list()) == out.shape, case.label
        np.testing.assert_allclose(out, case.ref(*[v.astype(np.float64) for v in values]), rtol=rtol, atol=rtol,
                                   err_msg=case.label)


def test_gradients_on_gpu_match_cpu(gpu):
    x_val = np.array([[-1.5, 0.0, 2.0], [7.0, -0.5, 3.0]])

    def grads(device):
        g = tf.Graph()
        with g.as_default(), g.device(device):
            x = placeholder(tf.float64, [2, 3])
            y = nn.relu(x) + nn.relu6(x) + nn.elu(x) + nn.selu(x) + nn.softplus(x) + nn.softsign(x)
            y = y + nn.leaky_relu(x) + nn.softmax(x) * 3.0 + nn.log_softmax(x) + nn.bias_add(x, [1.0, 2.0, 3.0])
            (dx,) = gradients(y, [x])
            with tf.Session(graph=g) as sess:
                return sess.run(dx, {x: x_val})

    np.testing.assert_allclose(grads("/gpu:0"), grads("/cpu:0"), rtol=1e-12)


def test_every_nn_op_is_in_the_table():
    labels = " ".join(c.label for c in CASES).lower().replace("_", "")
    registered = registered_ops()
    for op_type in NN_OP_TYPES:
        assert op_type in registered
        assert op_type.lower() in labels, f"{op_type} has no case in the table"


# ---- exact kinks and edge values ------------------------------------------------------------------
def _grad_at(fn, values, dtype=tf.float32):
    g = tf.Graph()
    with g.as_default():
        x = placeholder(dtype, [len(values)])
        (dx,) = gradients(fn(x), [x])
        with tf.Session(graph=g) as sess:
            return sess.run(dx, {x: values})


def test_relu_gradient_is_exactly_zero_at_zero():
    np.testing.assert_array_equal(_grad_at(nn.relu, [-1.0, 0.0, 1e-30, 2.0]), [0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_grad_kernel_gives_the_products_with_the_bools_bit_for_bit(dtype):
    """The numpy path multiplies by a 1.0 / 0.0 mask of the gradient's dtype: the bits of grad * (x > 0),
    -0.0 for a negative gradient where x <= 0 and NaN kept, as TF's kernel gives them."""
    rng = np.random.default_rng(3)
    grads = rng.standard_normal((7, 5)).astype(dtype)
    grads[0, :3] = [np.nan, -np.inf, -2.0]
    features = rng.standard_normal((7, 5)).astype(dtype)
    features[0, :3] = [-1.0, -0.0, 0.0]
    with np.errstate(invalid="ignore"):  # -inf * 0 is NaN in both
        got = nn._relu_grad_kernel(np, grads, features)
        want = np.multiply(grads, features > 0)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_relu6_gradient_is_zero_at_both_kinks():
    np.testing.assert_array_equal(_grad_at(nn.relu6, [-1.0, 0.0, 3.0, 6.0, 7.0]), [0, 0, 1, 0, 0])


def test_leaky_relu_gradient_at_zero_is_alpha():
    np.testing.assert_allclose(_grad_at(lambda x: nn.leaky_relu(x, 0.1), [-1.0, 0.0, 1.0]), [0.1, 0.1, 1.0],
                               rtol=1e-7)


def test_elu_and_selu_at_zero():
    np.testing.assert_array_equal(_grad_at(nn.elu, [0.0]), [1.0])
    np.testing.assert_allclose(_grad_at(nn.selu, [0.0, 1.0]), [SELU_SCALE, SELU_SCALE], rtol=1e-7)
    with tf.Graph().as_default(), tf.Session() as sess:
        assert sess.run(nn.elu(constant(0.0))) == 0.0 and sess.run(nn.selu(constant(0.0))) == 0.0


@pytest.mark.filterwarnings("error")  # no overflow warnings from the kernels
def test_extreme_values_stay_finite_and_exact():
    big = np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], np.float32)
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [5])
        ys = [nn.softplus(x), nn.elu(x), nn.selu(x), nn.softsign(x)]
        (dsp,) = gradients(nn.softplus(x), [x])
        logits = constant(np.array([[1000.0, 1001.0, -1000.0], [-1e4, -1e4, -1e4]], np.float32))
        sm, lsm = nn.softmax(logits), nn.log_softmax(logits)
        with tf.Session() as sess:
            sp, elu, selu, ss = sess.run(ys, {x: big})
            grad_sp, sm_v, lsm_v = sess.run([dsp, sm, lsm], {x: big})
    expected = np.array([0.0, np.log1p(np.exp(-100.0)), np.log(2.0), 100.0, 1000.0], np.float32)
    np.testing.assert_array_equal(sp, expected)
    np.testing.assert_array_equal(elu[:2], [-1.0, -1.0])
    assert np.all(np.isfinite(selu)) and np.all(np.abs(ss) < 1)
    np.testing.assert_array_equal(grad_sp[[0, 4]], [0.0, 1.0])
    np.testing.assert_allclose(sm_v[0], _softmax(np.array([1000.0, 1001.0, -1000.0])), rtol=1e-6)
    np.testing.assert_allclose(sm_v[1], [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_allclose(lsm_v[0], [-1.3132616, -0.31326166, -2001.3132], rtol=1e-6)


def test_integer_relu_keeps_its_dtype_and_leaky_relu_casts_to_float():
    with tf.Graph().as_default(), tf.Session() as sess:
        r = nn.relu(constant([-3, 0, 4]))
        lr = nn.leaky_relu(constant([-10, 5]))
        assert r.dtype == tf.int32 and lr.dtype == tf.float32
        np.testing.assert_array_equal(sess.run(r), [0, 0, 4])
        np.testing.assert_allclose(sess.run(lr), [-2.0, 5.0])


def test_op_names_follow_tf():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        assert nn.relu(x).op.name == "Relu"
        assert nn.leaky_relu(x).op.name == "LeakyRelu"
        assert nn.bias_add(x, [1.0, 2.0, 3.0]).op.name == "BiasAdd"
        assert nn.softmax(x, name="probs").op.name == "probs"
        y = nn.relu(x) * 2.0
        (dx,) = gradients(y, [x])
        assert "ReluGrad" in {op.type for op in x.graph.get_operations()}
        assert dx.shape.as_list() == [None, 3]


# ---- errors ---------------------------------------------------------------------------------------
def test_softmax_needs_rank_one():
    with tf.Graph().as_default(), pytest.raises(ValueError, match="Shape must be at least rank 1 but is rank 0"):
        nn.softmax(constant(1.0))


def test_softmax_axis_out_of_range():
    with tf.Graph().as_default(), pytest.raises(errors.InvalidArgumentError, match=r"`dim` must be in the range"):
        nn.softmax(constant(np.ones((2, 3), np.float32)), axis=2)


def test_softmax_rejects_integers():
    with tf.Graph().as_default(), pytest.raises(TypeError, match="not in list of allowed values"):
        nn.softmax(constant([1, 2]))


def test_bias_add_shape_errors():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 4 for 'BiasAdd"):
            nn.bias_add(x, [1.0, 2.0, 3.0, 4.0])
        with pytest.raises(ValueError, match="Shape must be at least rank 2 but is rank 1"):
            nn.bias_add(constant([1.0, 2.0]), [1.0, 2.0])
        with pytest.raises(ValueError, match="Shape must be at least rank 3 but is rank 2"):
            nn.bias_add(x, [1.0, 2.0, 3.0], data_format="NCHW")
        with pytest.raises(ValueError, match="data_format must be of the form"):
            nn.bias_add(x, [1.0, 2.0, 3.0], data_format="HWC")


def test_bias_add_runtime_channel_mismatch():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, None])
        b = placeholder(tf.float32, [None])
        y = nn.bias_add(x, b)
        with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError, match="as many biases"):
            sess.run(y, {x: np.ones((2, 3)), b: np.ones(4)})


def test_bias_add_of_a_variable_read_reads_the_variable_and_trains_it():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, None])
        b = tf.Variable(np.array([1.0, -1.0], np.float32), name="b")
        y = nn.bias_add(x, b)
        fusion = registered_ops()["BiasAdd"].fuse(y.op)
        assert fusion.inputs[1].op.type == "VariableV2" and fusion.skipped == (y.op.inputs[1],)
        step = tf.train.GradientDescentOptimizer(0.5).minimize(tf.reduce_sum(y))
        with tf.Session() as sess:
            sess.run(b.initializer)
            np.testing.assert_array_equal(sess.run(y, {x: np.zeros((1, 2))}), [[1.0, -1.0]])
            before, _ = sess.run([y, step], {x: np.zeros((3, 2))})  # read before the write, as TF1's plan
            np.testing.assert_array_equal(before, [[1.0, -1.0]] * 3)
            np.testing.assert_array_equal(sess.run(y, {x: np.zeros((1, 2))}), [[-0.5, -2.5]])
            with pytest.raises(errors.InvalidArgumentError, match="as many biases"):
                sess.run(y, {x: np.ones((2, 3))})


def test_grad_op_shapes_must_match():
    with tf.Graph().as_default(), pytest.raises(ValueError, match="ReluGrad"):
        apply_op("ReluGrad", constant(np.ones((2, 3))), constant(np.ones((2, 4))))


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_nn_basics_values():
    nn = tf.nn
    x = tf.constant([[-1.0, 0.0, 7.0]])
    out = run([nn.relu(x), nn.relu6(x), nn.elu(x), nn.softplus(x), nn.softsign(x), nn.softmax(x),
               nn.log_softmax(x), nn.leaky_relu(x, alpha=0.1), nn.selu(x)])
    xs = np.array([[-1.0, 0.0, 7.0]])
    np.testing.assert_allclose(out[0], [[0, 0, 7]])
    np.testing.assert_allclose(out[1], [[0, 0, 6]])
    np.testing.assert_allclose(out[2], [[np.expm1(-1), 0, 7]], rtol=1e-6)
    np.testing.assert_allclose(out[3], np.log1p(np.exp(xs)), rtol=1e-6)
    np.testing.assert_allclose(out[4], xs / (1 + np.abs(xs)), rtol=1e-6)
    sm = np.exp(xs) / np.exp(xs).sum()
    np.testing.assert_allclose(out[5], sm, rtol=1e-5)
    np.testing.assert_allclose(out[6], np.log(sm), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[7], [[-0.1, 0, 7]], rtol=1e-6)
    np.testing.assert_allclose(out[8][0, 0], 1.0507009873554805 * 1.6732632423543772 * np.expm1(-1), rtol=1e-5)


# ---- a dense layer's MatMul, BiasAdd and Relu as one plan step (nn_ops._dense_layer) ---------------------------
def _train_dense(fusion, monkeypatch, x_value, steps=3, transpose=False, dtype=np.float32):
    from estflow.core import plan  # the switch this test turns

    monkeypatch.setattr(plan, "FUSION", fusion)
    rng = np.random.default_rng(7)
    with tf.Graph().as_default():
        x = placeholder(tf.as_dtype(dtype), [None, 3])
        w0 = tf.Variable(rng.normal(size=(4, 3) if transpose else (3, 4)).astype(dtype), name="w0")
        b0 = tf.Variable(rng.normal(size=4).astype(dtype), name="b0")
        w1 = tf.Variable(rng.normal(size=(4, 1)).astype(dtype), name="w1")
        b1 = tf.Variable(rng.normal(size=1).astype(dtype), name="b1")
        hidden = nn.relu(nn.bias_add(tf.matmul(x, w0, transpose_b=transpose), b0))
        logits = nn.bias_add(tf.matmul(hidden, w1), b1)
        loss = tf.reduce_sum(logits * logits)
        train = tf.train.AdagradOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(steps):
                sess.run(train, {x: x_value})
            got = sess.run([w0, b0, w1, b1, hidden, logits], {x: x_value})
            plan_steps = [st[5].type for p in sess._cache.values() for st in p.steps]
    return got, plan_steps


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_layer_is_one_step_and_trains_to_the_unfused_bits(transpose, dtype, monkeypatch):
    x_value = np.random.default_rng(1).normal(size=(6, 3)).astype(dtype)
    x_value[0] = [-0.0, 0.0, np.float32(1e-30)]
    fused, fused_steps = _train_dense(True, monkeypatch, x_value, transpose=transpose, dtype=dtype)
    unfused, unfused_steps = _train_dense(False, monkeypatch, x_value, transpose=transpose, dtype=dtype)
    for a, b in zip(fused, unfused, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    # the train and fetch plans' forward products are folded; the gradient's products stay
    assert unfused_steps.count("MatMul") == fused_steps.count("MatMul") + 4 and "MatMul" in fused_steps
    assert unfused_steps.count("BiasAdd") == fused_steps.count("BiasAdd") + 2  # the hidden layer's, in Relu's step


def test_dense_layer_step_keeps_the_ops_errors():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, None])
        w = placeholder(tf.float32, [None, None])
        b = placeholder(tf.float32, [None])
        out = nn.relu(nn.bias_add(tf.matmul(x, w), b))
        assert registered_ops()["Relu"].fuse(out.op).inputs == (x, w, b)
        ones = np.ones
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(out, {x: ones((2, 3)), w: ones((3, 2)), b: [-4.0, 1.0]}),
                                          [[0.0, 4.0], [0.0, 4.0]])
            with pytest.raises(errors.InvalidArgumentError, match="Matrix size-incompatible: In\\[0\\]: \\[2,3\\], "
                                                                  "In\\[1\\]: \\[2,2\\]"):
                sess.run(out, {x: ones((2, 3)), w: ones((2, 2)), b: [1.0, 1.0]})
            with pytest.raises(errors.InvalidArgumentError, match="Must provide as many biases as the channel"):
                sess.run(out, {x: ones((2, 3)), w: ones((3, 2)), b: [1.0, 1.0, 1.0]})
            product = out.op.inputs[0].op.inputs[0]  # fed: the plan runs the ops as written
            np.testing.assert_array_equal(sess.run(out, {product: [[1.0, -5.0]], b: [1.0, 1.0]}), [[2.0, 0.0]])


def test_dense_layer_whose_product_has_another_reader_stays_unfused():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        w = tf.Variable(np.ones((3, 2), np.float32))
        product = tf.matmul(x, w)
        out = nn.relu(nn.bias_add(product, tf.Variable(np.ones(2, np.float32))))
        also = product * 2.0
        assert registered_ops()["Relu"].fuse(out.op) is None
        assert registered_ops()["BiasAdd"].fuse(out.op.inputs[0].op).inputs[0] is product  # the bias read only
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, twice = sess.run([out, also], {x: np.ones((1, 3), np.float32)})
        np.testing.assert_array_equal(got, [[4.0, 4.0]])
        np.testing.assert_array_equal(twice, [[6.0, 6.0]])
