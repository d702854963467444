"""Device placement and copies, exercised without a GPU through a numpy-backed stand-in for cupy.

The stand-in (tests/core/cupy_standin.py) refuses what cupy refuses, so these tests cover
the session's device logic (placement, copies at boundaries, CPU fallback for string ops,
numpy results) and that every op kernel is cupy-safe; CUDA itself is covered by the
`gpu`-marked variants, which run on real cupy where a GPU is present.
"""

import numpy as np
import pytest

import estflow as tf
from estflow.core import devices, variables
from estflow.core.devices import DeviceSpec, canonical_device, device_kind, merge_device
from estflow.core.ops import (
    approx_topk_ops,
    ensure_shape_ops,
    fill_ops,
    gather_ops,
    linalg_ops,
    matrix_function_ops,
    matrix_ops,
    nn_loss_ops,
    random_distribution_ops,
    random_ops,
    reduction_ops,
    scatter_kernels,
    segment_ops,
    segment_reduce_ops,
    slicing_ops,
    sparse_math_ops,
    stateless_random_ops,
    string_ops,
)
from estflow.core.registry import apply_op, registered_ops
from tests.core import (
    cupy_standin,
    test_cast_ops,
    test_complex_ops,
    test_fft_ops,
    test_sobol_ops,
    test_special_math_ops,
)
from tests.core.test_stitch_ops import standin_case as stitch_standin_case


@pytest.fixture
def fake_gpu(monkeypatch):
    return cupy_standin.install(monkeypatch)


def test_gpu_ops_receive_device_arrays_and_fetches_come_back_as_numpy(fake_gpu):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape=[2])
        with tf.device("/gpu:0"):
            y = x * 2.0
        z = y + 1.0  # back on the CPU: a copy from the device
    with tf.Session(graph=g) as sess:
        plan_out = sess.run([y, z], {x: [1.0, 2.0]})
        plan = next(iter(sess._cache.values()))
    assert [type(v) for v in plan_out] == [np.ndarray, np.ndarray]
    np.testing.assert_array_equal(plan_out[0], [2.0, 4.0])
    np.testing.assert_array_equal(plan_out[1], [3.0, 5.0])
    # The feed copied to the device, the multiply, its result copied back for the add, the add.
    assert [step[5].type for step in plan.steps] == ["Mul", "Mul", "AddV2", "AddV2"]
    assert plan.steps[0][0] is not plan.steps[1][0]


def test_training_with_variables_on_the_gpu(fake_gpu):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape=[None, 3])
        with tf.device("/gpu:0"):
            w = tf.Variable(np.ones((3, 2), np.float32))
            loss = tf.reduce_mean(tf.nn.relu(tf.matmul(x, w) + 1.0))
            lengths = tf.strings.length(tf.constant(["ab", "c"]))  # string op: runs on the CPU
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session(graph=g) as sess:
        sess.run(tf.global_variables_initializer())
        value, lens = sess.run([loss, lengths], {x: np.ones((2, 3))})
        assert value == 4.0 and lens.tolist() == [2, 1]
        sess.run(train, {x: np.ones((2, 3))})
        np.testing.assert_allclose(sess.run(w), np.full((3, 2), 0.95), rtol=1e-6)


def test_device_strings():
    assert canonical_device("/gpu:1") == "/device:GPU:1"
    assert canonical_device("/job:worker/task:2/cpu:0") == "/job:worker/task:2/device:CPU:0"
    assert merge_device("/job:worker", "/gpu:0") == "/job:worker/device:GPU:0"
    assert device_kind("") == ("CPU", 0) and device_kind("/device:GPU:3") == ("GPU", 3)
    assert DeviceSpec.from_string("/device:CPU:0").device_type == "CPU"
    for short, full in (("cpu:0", "/device:CPU:0"), ("/cpu", "/device:CPU:0"), ("/gpu", "/device:GPU:0"),
                        ("gpu:1", "/device:GPU:1"), ("CPU:0", "/device:CPU:0")):
        assert canonical_device(short) == full, short
    with pytest.raises(ValueError, match="Unknown device"):
        DeviceSpec.from_string("/tpu:0")


HAS_GPU = devices.cupy_module() is not None


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_cpu_device_runs():
    with tf.device("/cpu:0"):
        a = tf.constant([1.0, 2.0]) * 2
    with tf.device("/device:CPU:0"):
        b = a + 1
    assert run(b).tolist() == [3.0, 5.0]


@pytest.mark.usefixtures("g")
@pytest.mark.skipif(HAS_GPU, reason="checks the no-GPU path")
def test_gpu_without_cupy_is_a_clear_error():
    with tf.device("/gpu:0"):
        a = tf.constant([1.0]) + 1
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(a)
    assert "Cannot assign a device for operation" in e.value.message and "allow_soft_placement" in e.value.message


@pytest.mark.usefixtures("g")
@pytest.mark.skipif(HAS_GPU, reason="checks the no-GPU path")
def test_gpu_without_cupy_soft_placement_falls_back_to_cpu():
    with tf.device("/device:GPU:0"):
        a = tf.constant([1.0]) + 1
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        assert sess.run(a).tolist() == [2.0]


@pytest.mark.usefixtures("g")
def test_gpu_runs_cupy_kernels_with_copies_and_string_fallback(gpu):
    with tf.device("/gpu:0"):
        x = tf.placeholder(tf.float32, [3])
        y = tf.matmul(tf.reshape(x, [1, 3]), tf.ones([3, 1])) + 1
        s = tf.as_string(y)
    with tf.device("/cpu:0"):
        z = y * 2
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        out = sess.run([y, z, s], {x: [1.0, 2.0, 3.0]})
    assert isinstance(out[0], np.ndarray) and out[0].tolist() == [[7.0]]
    assert out[1].tolist() == [[14.0]] and out[2].tolist() == [[b"7.000000"]]


# ---- the stand-in refuses what cupy refuses ------------------------------------------------------------------
def test_standin_refuses_host_conversion_numpy_calls_and_host_operands():
    cp = cupy_standin.make_module()
    x = cp.asarray(np.arange(4.0))
    for call in (lambda: np.asarray(x), lambda: np.exp(x), lambda: np.sum(x), lambda: cp.add(x, np.ones(4)),
                 lambda: x + np.ones(4), lambda: np.ones(4) * x, lambda: cp.concatenate([x, np.ones(2)])):
        with pytest.raises(TypeError):
            call()
    n, shape = cp.asarray(2), cp.asarray([2, 2])
    for call in (lambda: range(n), lambda: x[:n], lambda: cp.zeros(shape), lambda: x.reshape(shape),
                 lambda: cp.sum(x, axis=cp.asarray(0)), lambda: cp.add([1.0, 2.0, 3.0, 4.0], x)):
        with pytest.raises(TypeError):  # host values only: cupy has no __index__
            call()
    assert x.reshape(shape.tolist()).shape == (2, 2) and x[: int(n)].shape == (2,)
    assert type(cp.exp(x)) is cp.ndarray and float(cp.sum(x)) == 6.0 and (x + 1).get().tolist() == [1, 2, 3, 4]
    assert type(devices.to_numpy(x)) is np.ndarray  # the session's fetch path copies device arrays back
    # as in cupy, an array handed back is the same object (buffer forwarding counts references)
    assert cp.add(x, 1.0, out=x) is x and x.astype(x.dtype, copy=False) is x and cp.ascontiguousarray(x) is x


def test_standin_refuses_what_cupy_lacks():
    cp = cupy_standin.make_module()
    with pytest.raises(ValueError, match="Unsupported dtype"):
        cp.asarray(np.array([b"a"], dtype=object))
    with pytest.raises(ValueError, match="Unsupported dtype"):
        cp.asarray(np.array(["a"]))
    with pytest.raises(ValueError, match="Unsupported dtype"):
        cp.zeros(2).astype(object)
    for ufunc_name in ("multiply", "divide", "power"):
        with pytest.raises(NotImplementedError):
            getattr(cp, ufunc_name).at(cp.ones(3), cp.asarray([0]), 2.0)
    for ufunc_name, dtype in (("add", np.int64), ("add", np.int8), ("subtract", np.float32),
                              ("maximum", np.int64), ("minimum", np.float16)):
        with pytest.raises(TypeError, match=f"{ufunc_name}.at only supports"):
            getattr(cp, ufunc_name).at(cp.zeros(3, dtype=dtype), cp.asarray([0]), cp.ones(1, dtype=dtype))
    with pytest.raises(NotImplementedError):
        cp.maximum.reduceat(cp.ones(4), cp.asarray([0, 2]))
    with pytest.raises(TypeError):
        cp.argsort(cp.ones(3), kind="stable")
    for name in ("frompyfunc", "errstate", "char", "object_"):
        assert not hasattr(cp, name), name
    y = cp.zeros(3, dtype=np.float32)
    cp.add.at(y, cp.asarray([0, 0, 2]), cp.asarray([1.0, 2.0, 3.0], dtype=np.float32))  # what cupy has works
    assert y.get().tolist() == [3.0, 0.0, 3.0]


def test_string_ops_run_on_the_cpu_when_a_gpu_is_requested(fake_gpu, capsys):
    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        s = tf.placeholder(tf.string, [2])
        n = string_ops.length(s)
        y = tf.cast(n, tf.float32) * 2.0
    config = tf.ConfigProto(log_device_placement=True)
    with tf.Session(graph=g, config=config) as sess:
        assert sess.run(y, {s: [b"ab", b"c"]}).tolist() == [4.0, 2.0]
    placed = dict(line.split(": ", 1) for line in capsys.readouterr().err.splitlines() if ": (" in line)
    assert placed[n.op.name].endswith("device:CPU:0") and placed[y.op.name].endswith("device:GPU:0")
    assert registered_ops()["StringLength"].cpu_only


def test_any_op_on_string_tensors_runs_on_the_cpu(fake_gpu, capsys):
    """Identity, ConcatV2, GatherV2, ... have GPU kernels, but cupy has no string dtype."""
    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        s = tf.placeholder(tf.string, [2])
        outs = [tf.identity(s), tf.reshape(tf.concat([s, s], 0), [2, 2]), tf.gather(s, [1, 0]), tf.size(s)]
    with tf.Session(graph=g, config=tf.ConfigProto(log_device_placement=True)) as sess:
        got = sess.run(outs, {s: [b"a", b"b"]})
    assert got[0].tolist() == [b"a", b"b"] and got[1].tolist() == [[b"a", b"b"]] * 2
    assert got[2].tolist() == [b"b", b"a"] and got[3] == 2
    placed = dict(line.split(": ", 1) for line in capsys.readouterr().err.splitlines() if ": (" in line)
    for t in outs[:3]:
        assert placed[t.op.name].endswith("device:CPU:0"), t.op.name


# ---- every op kernel on the strict stand-in ------------------------------------------------------------------
class _Feeds:
    """Placeholders fed with fixed values: `feeds(value)` makes one; `feeds.dict` feeds them."""

    def __init__(self):
        self.dict = {}

    def __call__(self, value, dtype=None):
        value = np.asarray(value, dtype=dtype)
        p = tf.placeholder(value.dtype, value.shape)
        self.dict[p] = value
        return p


_ROWS = np.array([[1, 2], [3, 4], [5, 6], [7, 8]])
_DUPS = np.array([2, 0, 2, 2], np.int32)  # repeated rows: scatters must accumulate in order


def _scatter_case(op_type, dtype):
    def build(f):
        v = tf.Variable(_ROWS.astype(dtype) * (-1 if dtype in (np.int64, np.int32) else 1), name="v")
        updates = np.array([[3, 2], [2, 5], [-4, 3], [2, 1]], dtype)
        indices = np.array([2, 0, 3, 1], np.int32) if op_type == "ScatterUpdate" else _DUPS  # repeats: undefined
        return [apply_op(op_type, v._variable, f(indices), f(updates), use_locking=True)]

    return build


def _segment_cases():
    def build(f, dtype):
        data = f(np.arange(12).reshape(6, 2) - 5, dtype)
        fdata = f(np.linspace(-1, 2, 12).reshape(6, 2), np.float32)
        ids = f([0, 0, 1, 3, 3, 3], np.int32)
        idx = f([5, 0, 2, 2, 1], np.int32)
        seg = f([0, 0, 1, 2, 2], np.int32)
        outs = [segment_ops.segment_sum(data, ids),
                segment_ops.unsorted_segment_sum(data, f([1, -1, 0, 1, 3, 1], np.int32), 4),
                segment_ops.sparse_segment_sum(data, idx, seg),
                segment_ops.sparse_segment_sum(data, idx, seg, num_segments=4)]
        for fn in (segment_ops.sparse_segment_mean, segment_ops.sparse_segment_sqrt_n):
            outs += [fn(fdata, idx, seg), fn(fdata, idx, seg, num_segments=4)]
            outs += tf.gradients(tf.reduce_sum(fn(fdata, idx, seg) * fn(fdata, idx, seg)), [fdata])
        outs += tf.gradients(tf.reduce_sum(segment_ops.sparse_segment_sum(fdata, idx, seg) ** 2), [fdata])
        return outs

    return [(f"segments-{np.dtype(d).name}", lambda f, d=d: build(f, d))
            for d in (np.int32, np.int64, np.float16, np.float32, np.float64, np.int8, np.uint8, np.complex64)]


def _control_flow(f):
    x = f([1.0, 2.0, 3.0], np.float32)
    p = f(True)
    v = tf.Variable(np.float32(4.0), name="cv")
    y = tf.cond(p, lambda: x * 2.0, lambda: x - 1.0)
    r = tf.cond(p, lambda: v.initialized_value() + 1.0, lambda: tf.constant(0.0))
    w = tf.cond(p, lambda: tf.identity(v._variable) * 2.0, lambda: tf.constant(0.0))  # a RefSwitch
    _, z = tf.while_loop(lambda i, z: i < 3, lambda i, z: (i + 1, z * x), [0, x])
    (dz,) = tf.gradients(tf.reduce_sum(z), [x])
    return [y, r, w, z, dz, variables.is_variable_initialized(v), v.value()]


def _gradient_ops(f):
    x = f(np.linspace(-1, 1, 12).reshape(3, 4))
    b = f(np.linspace(0, 1, 4))
    sliced = slicing_ops.strided_slice(x, [0, 1], [3, 4], [2, 2])
    padded = tf.pad(x, [[1, 2], [2, 1]], mode="REFLECT")
    total = tf.reduce_sum(sliced * sliced) + tf.reduce_sum(padded * padded) + tf.reduce_sum((x + b) ** 2)
    shapes = apply_op("BroadcastGradientArgs", f([3, 1, 4], np.int32), f([2, 1], np.int32))
    return tf.gradients(total, [x, b]) + list(shapes) + [apply_op("PreventGradient", x, message="no")]


def _misc(f):
    x = f(np.array([[1.0, np.inf, 3.0], [np.nan, -2.0, 0.5]]))
    i = f([[3, -1, 3], [0, 7, 7]], np.int64)
    t = f([[True, False, True], [False, False, True]])
    c = f(np.array([[1 + 2j, 3 - 1j], [0.5j, 2 + 0j]], np.complex128))
    sq = f(np.array([[4.0, 1.0, 2.0], [1.0, 3.0, 0.5], [2.0, 0.5, 5.0]]))
    logits = f(np.array([[0.1, 2.0, 0.3, 0.4], [1.0, 0.2, 3.0, 0.1]], np.float32))
    targets = f([1, 3], np.int32)
    sp = tf.SparseTensor(f([[0, 1], [1, 0], [1, 2]], np.int64), f([2.0, -1.0, 0.5]), f([2, 3], np.int64))
    outs = [apply_op(name, i, i[::-1]) for name in ("Equal", "NotEqual", "LessEqual", "GreaterEqual")]
    outs += [apply_op("LogicalAnd", t, t[::-1]), apply_op("LogicalOr", t, t[::-1]), apply_op("LogicalNot", t)]
    outs += [apply_op("IsInf", x), apply_op("IsNan", x), reduction_ops.reduce_all(t, 1), reduction_ops.reduce_any(t, 0)]
    outs += [reduction_ops.argmax(i, 1), reduction_ops.argmin(i, 0), tf.abs(c), fill_ops.ones_like(i)]
    outs += [apply_op("ConjugateTranspose", c, f([1, 0], np.int32)), linalg_ops.diag(targets),
             linalg_ops.diag_part(sq), *linalg_ops.qr(sq, full_matrices=True)]
    outs += [nn_loss_ops.in_top_k(logits, targets, 2), nn_loss_ops.in_top_k(logits, targets, f(1, np.int32)),
             apply_op("InTopK", logits, targets, k=1)]
    outs += list(nn_loss_ops.compute_accidental_hits(f([[1, 2], [0, 3]], np.int64), f([3, 1, 4], np.int64), 2))
    outs += [sparse_math_ops.sparse_tensor_dense_matmul(sp, f(np.arange(6.0).reshape(3, 2))),
             tf.placeholder_with_default(x, [2, 3]),
             gather_ops.scatter_nd(f([[1], [0], [1]], np.int32), f([5, -3, 2**40], np.int64), [3])]
    return outs


def _random(f):
    return [random_ops.random_uniform([3, 2], seed=1), random_ops.random_normal([4], seed=2),
            random_ops.truncated_normal([5], seed=3), random_ops.random_uniform([4], 0, 9, dtype=tf.int64, seed=4),
            random_ops.random_shuffle(f([1, 2, 3, 4], np.int32), seed=5),
            random_ops.multinomial(f(np.array([[0.0, 1.0, 2.0]], np.float32)), 6, seed=6)]


def _matrices(f):
    a = f(np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]]))
    rhs = f(np.array([[1.0], [2.0], [3.0]]))
    return [matrix_ops.cholesky(a), matrix_ops.matrix_determinant(a), *matrix_ops.log_matrix_determinant(a),
            matrix_ops.matrix_inverse(a), matrix_ops.matrix_solve(a, rhs),
            matrix_ops.matrix_triangular_solve(a, rhs), *matrix_ops.self_adjoint_eig(a),
            *matrix_ops.svd_op(a)]


def _matrix_functions(f):
    a = f(np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]]))
    diags = f(np.array([[1.0, 2.0, 0.0], [0.5, 4.0, 1.0], [0.0, 3.0, 2.0]]))
    rhs = f(np.array([[1.0], [2.0], [3.0]]))
    rows = [diags[i:i + 1] for i in range(3)]
    return [matrix_function_ops.matrix_square_root(a), *matrix_function_ops.lu(a),
            matrix_function_ops.matrix_logarithm(f(np.array([[2.0, 1.0], [0.5, 3.0]], np.complex128))),
            matrix_function_ops.tridiagonal_mat_mul(*rows, rhs), matrix_function_ops.tridiagonal_solve_op(diags, rhs),
            matrix_function_ops.tridiagonal_solve_op(diags, rhs, partial_pivoting=False)]


def _segment_reductions(f):
    data = f(np.array([[1.0, 5.0], [3.0, 2.0], [4.0, 4.0], [0.0, 7.0]], np.float32))
    ids = f(np.array([0, 0, 2, 2], np.int32))
    loose = f(np.array([1, -1, 1, 0], np.int64))
    return [segment_reduce_ops.segment_max(data, ids), segment_reduce_ops.segment_min(data, ids),
            segment_reduce_ops.segment_prod(data, ids), segment_reduce_ops.unsorted_segment_max(data, loose, 3),
            segment_reduce_ops.unsorted_segment_min(data, loose, 3),
            segment_reduce_ops.unsorted_segment_prod(data, loose, 3)]


GPU_CASES = [
    *[(f"{op}-{np.dtype(d).name}", _scatter_case(op, d))
      for op in ("ScatterUpdate", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv", "ScatterMax", "ScatterMin")
      for d in (np.float16, np.float32, np.float64, np.int32, np.int64)],
    *_segment_cases(),
    ("control_flow", _control_flow),
    ("gradient_ops", _gradient_ops),
    ("misc", _misc),
    ("random", _random),
    ("matrices", _matrices),
    ("matrix_functions", _matrix_functions),
    ("segment_reductions", _segment_reductions),
    ("gamma_poisson", lambda f: [random_distribution_ops.random_gamma([3], f(np.float32([0.5, 2.0])), seed=1),
                                 random_distribution_ops.random_poisson(f(np.float32([1.0, 4.0])), [3], seed=2)]),
    ("ensure_shape", lambda f: [ensure_shape_ops.ensure_shape(f(np.ones((2, 3), np.float32)), [None, 3])]),
    ("stitch, scatter_nd, hint and conv v2 ops", stitch_standin_case),
    *test_cast_ops.GPU_CASES,
    *test_complex_ops.GPU_CASES,
    *test_fft_ops.GPU_CASES,
    *test_sobol_ops.GPU_CASES,
    *test_special_math_ops.GPU_CASES,
    ("approx_top_k", lambda f: list(approx_topk_ops.approx_top_k(f(np.float32([[3, 1, 3], [0, 2, 1]])), 2, 0,
                                                                   is_max_k=False))),
    ("stateless_random", lambda f: [
        stateless_random_ops.stateless_random_uniform([5], f([1, 2], np.int32), dtype=tf.float16),
        stateless_random_ops.stateless_random_normal([3, 2], f([1, 2], np.int64), dtype=tf.float64),
        stateless_random_ops.stateless_truncated_normal([9], f([3, 4], np.int32)),
        stateless_random_ops.stateless_random_uniform([4], f([1, 2], np.int32), -3, 8, tf.int64),
        stateless_random_ops.stateless_random_uniform([3], f([1, 2], np.int32), None, None, tf.uint64),
        stateless_random_ops.stateless_categorical(f(np.log([[0.2, 0.8], [0.6, 0.4]])), 5, f([7, 8], np.int32))]),
]


def _run_gpu_case(build, device):
    g = tf.Graph()
    with g.as_default(), tf.device(device):
        feeds = _Feeds()
        fetches = build(feeds)
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        return g, sess.run(fetches, feeds.dict)


@pytest.mark.parametrize("name,build", GPU_CASES, ids=[c[0] for c in GPU_CASES])
def test_op_kernels_on_the_strict_standin_match_the_cpu(name, build, gpu):
    """Exactly the CPU's values on the stand-in; on real cupy, floats within rounding
    (atomic scatters sum in any order, and CUDA's math differs in the last bits)."""
    exact = gpu.ndarray is cupy_standin.ndarray
    _, cpu = _run_gpu_case(build, "/cpu:0")
    _, on_gpu = _run_gpu_case(build, "/gpu:0")
    for i, (c, d) in enumerate(zip(cpu, on_gpu, strict=True)):
        assert type(d) is np.ndarray or np.isscalar(d), f"{name}[{i}]: fetched {type(d)}"
        c, d = np.asarray(c), np.asarray(d)
        assert d.dtype == c.dtype, f"{name}[{i}]"
        if exact or c.dtype.kind not in "fc":
            np.testing.assert_array_equal(d, c, err_msg=f"{name}[{i}]")
        else:
            np.testing.assert_allclose(d, c, rtol=2e-3 if c.dtype == np.float16 else 1e-5, err_msg=f"{name}[{i}]")


def test_scatters_are_exact_where_cupy_has_no_scatter():
    """The rewrites for int64 add/max, float scatter-sub and multiply/divide equal numpy's ufunc.at."""
    idx = np.array([2, 0, 2, 2, 1])
    big = np.array([2**62, -(2**62), 2**62, 5, -7], np.int64)
    for dtype, updates in ((np.int64, big), (np.float32, np.array([0.1, 3.0, -0.7, 1e7, 2.5], np.float32)),
                           (np.int8, np.array([100, -3, 100, 1, 2], np.int8))):
        for fn, ref in ((lambda o, u: scatter_kernels.scatter_add(np, o, idx, u), np.add.at),
                        (lambda o, u: scatter_kernels.scatter_sub(np, o, idx, u), np.subtract.at),
                        (lambda o, u: scatter_kernels.scatter_extreme(np, o, idx, u, "maximum"), np.maximum.at),
                        (lambda o, u: scatter_kernels.scatter_extreme(np, o, idx, u, "minimum"), np.minimum.at),
                        (lambda o, u: scatter_kernels.scatter_apply(np, o, idx, u, np.multiply), np.multiply.at)):
            got, want = np.arange(3).astype(dtype) - 1, np.arange(3).astype(dtype) - 1
            with np.errstate(over="ignore"):
                fn(got, updates)
                ref(want, idx, updates)
            np.testing.assert_array_equal(got, want, err_msg=f"{dtype.__name__} {ref}")


def test_scatter_div_truncates_integers_as_tf():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.array([7, -7, 9], np.int64))
        out = variables.scatter_div(v, [0, 1, 0], np.array([2, 2, -3], np.int64))
    with tf.Session(graph=g) as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(out).tolist() == [-1, -3, 9]  # 7/2 -> 3, then 3/-3 -> -1; -7/2 -> -3 (toward zero)


# Ops whose kernel is another registered op's kernel (checked below), covered by that op's case.
SAME_KERNEL_AS = {"StatelessWhile": "While"}


def _op_types_of(build):
    g, _ = _run_gpu_case(build, "/cpu:0")
    return {op.type for op in g.get_operations()}


def test_every_op_is_cpu_only_or_runs_on_the_strict_standin():
    """Each op type not declared cpu_only has a case run on /gpu:0 by a `gpu`-fixture test."""
    from tests.core import test_array_ops, test_conv_ops, test_math_ops, test_nn_loss_ops, test_nn_ops
    from tests.training import test_optimizers

    covered = set()
    for case in test_array_ops.CASES:  # test_spec_and_value_gpu
        covered |= test_array_ops._types_of(case)
    for case in test_math_ops.FLOAT_CASES + test_math_ops.NON_GRAD_FLOAT_CASES:  # test_float_case_on_gpu
        for shapes in case.shapes:
            with tf.Graph().as_default() as g:
                case.build(*[tf.placeholder(tf.float64, s) for s in shapes])
            covered |= {op.type for op in g.get_operations()}
    for param in test_math_ops._sweep_params():  # test_kernel_dtype_on_gpu
        covered.add(param.values[0])
    for param in test_nn_ops.PARAMS:  # test_value_on_gpu
        y, _, _ = test_nn_ops._run(*param.values, np.float64)
        covered |= {op.type for op in y.graph.get_operations()}
    for case in test_conv_ops.CASES:  # test_value_on_gpu
        y, _, _ = test_conv_ops._run(case, np.float32)
        covered |= {op.type for op in y.graph.get_operations()}
    for _label, build, _ref, kind in test_nn_loss_ops.CASES:  # test_value_on_gpu
        y, _ = test_nn_loss_ops._run(build, test_nn_loss_ops._inputs(kind, np.random.default_rng(0)))
        covered |= {op.type for op in y.graph.get_operations()}
    for name in test_optimizers.CASES:  # test_dense_and_sparse_updates_on_gpu
        for sparse in (False, True):
            with tf.Graph().as_default() as g:
                test_optimizers._train(name, sparse=sparse, steps=1)
            covered |= {op.type for op in g.get_operations()}
    for _name, build in GPU_CASES:
        covered |= _op_types_of(build)
    ops = registered_ops()
    for op_type, same in SAME_KERNEL_AS.items():
        assert ops[op_type].make_kernel is ops[same].make_kernel and ops[op_type].kernel is ops[same].kernel
        covered.add(op_type)
    test_ops = {name for name, d in ops.items()  # ops that test modules register for themselves
                if any(getattr(f, "__module__", "").startswith("tests.") for f in (d.infer, d.kernel, d.make_kernel))}
    missing = sorted(name for name, d in ops.items() if not d.cpu_only and name not in covered | test_ops)
    assert not missing, f"ops neither cpu_only nor run on the GPU stand-in: {missing}"


def test_cpu_only_ops_inside_a_while_loop_on_the_gpu(fake_gpu):
    """Loop variables live on the loop's device; body ops placed on the CPU get host copies,
    and a loop output made on the CPU comes back to the GPU for the next step."""
    from estflow.core.ops import control_flow_ops as cf

    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [])
        with tf.device("/gpu:0"):
            checked = cf.while_loop(lambda i: i < 3, lambda i: cf.with_dependencies(
                [cf.Assert(x < 0.0, [x])], i + 1), [0])
            _, digits = cf.while_loop(lambda i, n: i < 12, lambda i, n: (i + 1, string_ops.length(
                tf.as_string(i * 10 + n))), [0, 0])  # n: made by a CPU op, read by a GPU op
            doubled = digits * 2
    with tf.Session(graph=g) as sess:
        assert sess.run(checked, {x: -1.0}) == 3
        with pytest.raises(tf.errors.InvalidArgumentError, match="assertion failed"):
            sess.run(checked, {x: 1.0})
        n = 0
        for i in range(12):
            n = len(str(i * 10 + n))
        assert sess.run(doubled) == 2 * n
