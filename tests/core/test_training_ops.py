"""Raw training ops (core/ops/training_ops.py) against values TensorFlow 2.15.1 computed."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import training_ops
from estflow.core.ops.constant_op import constant
from estflow.core.variables import Variable

_VAR, _ACCUM, _LINEAR = [1.0, -2.0, 0.5], [0.1, 0.2, 0.3], [0.5, -0.3, 0.01]
_GRAD = [0.4, -0.7, 0.2]

# (multiply_linear_by_lr, v2) -> (var, accum, linear) after one step with lr=0.5, l1=0.05, l2=0.1,
# l2_shrinkage=0.2 (v2), lr_power=-0.5, as TF's ApplyFtrl / ApplyFtrlV2 kernels compute them.
TF_FTRL = {
    (True, False): ([-0.7891854047775269, -0.09874424338340759, -0.09854218363761902], [0.26, 0.69, 0.34],
                    [0.5063257813453674, 0.11689755320549011, 0.09231369197368622]),
    (True, True): ([-1.1171069145202637, 0.27733197808265686, -0.24493466317653656], [0.26, 0.69, 0.34],
                   [0.7063257694244385, -0.28310245275497437, 0.19231370091438293]),
    (False, False): ([-0.37928348779678345, -0.25991976261138916, -0.09122256189584732], [0.26, 0.69, 0.34],
                     [0.5126515626907349, 0.5337951183319092, 0.1746273934841156]),
    (False, True): ([-0.7072049975395203, 0.11615645885467529, -0.23761501908302307], [0.26, 0.69, 0.34],
                    [0.912651538848877, -0.2662048935890198, 0.37462738156318665]),
}


@pytest.mark.parametrize("multiply_linear_by_lr,v2", sorted(TF_FTRL))
def test_ftrl_multiply_linear_by_lr_matches_tensorflow(multiply_linear_by_lr, v2):
    g = tf.Graph()
    with g.as_default():
        slots = [Variable(np.float32(v), name=n) for v, n in ((_VAR, "var"), (_ACCUM, "accum"), (_LINEAR, "linear"))]
        grad = constant(np.float32(_GRAD))
        if v2:
            step = training_ops.apply_ftrl_v2(*slots, grad, 0.5, 0.05, 0.1, 0.2, -0.5,
                                              multiply_linear_by_lr=multiply_linear_by_lr)
        else:
            step = training_ops.apply_ftrl(*slots, grad, 0.5, 0.05, 0.1, -0.5,
                                           multiply_linear_by_lr=multiply_linear_by_lr)
        assert step.op.get_attr("multiply_linear_by_lr") is multiply_linear_by_lr
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(step)
            got = sess.run(slots)
    for value, want in zip(got, TF_FTRL[(multiply_linear_by_lr, v2)], strict=True):
        np.testing.assert_allclose(value, np.float32(want), rtol=2e-6, atol=1e-7)



def _run_sparse(op_name, indices, grad, rows=6):
    g = tf.Graph()
    with g.as_default():
        rng = np.random.default_rng(5)
        n_refs = 3 if "ftrl" in op_name else 2
        slots = [Variable(np.abs(rng.normal(size=(rows, 2))).astype(np.float32) + 0.1, name=f"s{i}")
                 for i in range(n_refs)]
        fn = getattr(training_ops, op_name)
        if "ftrl" in op_name:
            step = fn(*slots, constant(grad), constant(indices), 0.5, 0.05, 0.1, -0.5)
        else:
            step = fn(*slots, 0.5, constant(grad), constant(indices))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            before = sess.run(slots)
            sess.run(step)
            return before, sess.run(slots)


@pytest.mark.parametrize("op_name", ["sparse_apply_ftrl", "sparse_apply_adagrad"])
@pytest.mark.parametrize("indices", [[4, 0, 2], [3, 1, 3, 5, 3, 1], [2, 2]])
def test_sparse_apply_equals_the_dense_rule_applied_occurrence_by_occurrence(op_name, indices, monkeypatch):
    """Distinct or repeated indices, through the set check or the sorting one: each occurrence is
    one dense update of its row, in order (TF's CPU loop), to the bit."""
    from estflow.core.ops import scatter_kernels  # its threshold, patched to force the sorting route

    grad = np.random.default_rng(len(indices)).normal(size=(len(indices), 2)).astype(np.float32)
    indices = np.array(indices, np.int64)
    before, fast = _run_sparse(op_name, indices, grad)
    monkeypatch.setattr(scatter_kernels, "_SMALL_DISTINCT", 0)
    _, sorted_route = _run_sparse(op_name, indices, grad)
    update = training_ops._ftrl if "ftrl" in op_name else training_ops._adagrad
    expect = [b.copy() for b in before]
    for i, row in enumerate(indices):
        refs = [e[row:row + 1].copy() for e in expect]
        if "ftrl" in op_name:
            update(np, *refs, grad[i:i + 1], np.float32(0.5), np.float32(0.05), np.float32(0.1), np.float32(-0.5),
                   multiply_linear_by_lr=False)
        else:
            update(np, *refs, np.float32(0.5), grad[i:i + 1], update_slots=True)
        for e, r in zip(expect, refs):
            e[row:row + 1] = r
    for got, alt, want in zip(fast, sorted_route, expect, strict=True):
        assert got.tobytes() == want.tobytes() == alt.tobytes()


def test_sparse_apply_out_of_range_index_still_names_it():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Index 9 at offset 1 in indices is out of range"):
        _run_sparse("sparse_apply_adagrad", np.array([1, 9], np.int64), np.ones((2, 2), np.float32))


# ---- the plan's fusion of a deduplicated sparse apply (training_ops._fuse_deduplicated) -----------------------
_SPARSE_OPTIMIZERS = {
    "Ftrl": lambda: tf.train.FtrlOptimizer(0.3, l1_regularization_strength=0.01, l2_regularization_strength=0.02),
    "FtrlV2": lambda: tf.train.FtrlOptimizer(0.3, l2_shrinkage_regularization_strength=0.05),
    "Adagrad": lambda: tf.train.AdagradOptimizer(0.2),
    "Momentum": lambda: tf.train.MomentumOptimizer(0.1, 0.9),
    "RMSProp": lambda: tf.train.RMSPropOptimizer(0.05),
    "ProximalAdagrad": lambda: tf.train.ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.01),
    "FtrlPower": lambda: tf.train.FtrlOptimizer(0.3, learning_rate_power=-0.3, l1_regularization_strength=0.01),
    "FtrlL2": lambda: tf.train.FtrlOptimizer(0.3, l2_regularization_strength=0.5),
    "FtrlPlain": lambda: tf.train.FtrlOptimizer(0.3),
}


def _train_embedding(optimizer, fusion, monkeypatch, steps=3):
    """Variables and slots after `steps` sparse updates from ids with repeats (reshaped gather gradients)."""
    from estflow.core import plan  # the switch the fusion test turns

    monkeypatch.setattr(plan, "FUSION", fusion)
    g = tf.Graph()
    with g.as_default():
        ids = tf.placeholder(tf.int64, [None, 2])
        table = tf.get_variable("table", initializer=np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3))
        rows = tf.gather(table, ids)
        loss = tf.reduce_sum(tf.square(rows - 0.3) * tf.constant([1.0, 2.0, 3.0]))
        train = _SPARSE_OPTIMIZERS[optimizer]().minimize(loss)
        rng = np.random.default_rng(7)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(steps):
                sess.run(train, {ids: rng.integers(0, 8, (5, 2))})
            biggest = max(sess._cache.values(), key=lambda p: len(p.steps))  # the training step's plan
            steps_run = [st[5].type for st in biggest.steps]
            return sess.run(tf.global_variables()), steps_run


@pytest.mark.parametrize("optimizer", sorted(_SPARSE_OPTIMIZERS))
def test_fused_deduplicated_sparse_apply_gives_the_unfused_values_to_the_bit(optimizer, monkeypatch):
    fused, fused_steps = _train_embedding(optimizer, True, monkeypatch)
    plain, plain_steps = _train_embedding(optimizer, False, monkeypatch)
    for a, b in zip(fused, plain, strict=True):
        assert a.tobytes() == b.tobytes()
    # The fused plan runs neither Unique nor UnsortedSegmentSum nor the gather gradient's reshapes.
    for op_type in ("Unique", "UnsortedSegmentSum", "Size", "ConcatV2"):
        assert op_type in plain_steps and op_type not in fused_steps
    assert len(fused_steps) < len(plain_steps)


@pytest.mark.parametrize("taken", [True, False])
def test_fused_sparse_apply_inside_a_cond_branch_runs_only_when_taken(taken, monkeypatch):
    from estflow.core import plan  # the switch this test turns

    results = []
    for fusion in (True, False):
        monkeypatch.setattr(plan, "FUSION", fusion)
        with tf.Graph().as_default():
            pred = tf.placeholder(tf.bool, [])
            table = tf.get_variable("table", initializer=np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))

            def train():
                loss = tf.reduce_sum(tf.square(tf.gather(table, tf.constant([1, 3, 1], tf.int64))))
                with tf.control_dependencies([tf.train.AdagradOptimizer(0.3).minimize(loss)]):
                    return tf.constant(1.0)

            out = tf.cond(pred, train, lambda: tf.constant(0.0))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                assert sess.run(out, {pred: taken}) == float(taken)
                results.append(sess.run(tf.global_variables()))
    for a, b in zip(*results, strict=True):
        assert a.tobytes() == b.tobytes()
    assert (results[0][0] != np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)).any() == taken


# ---- the fused step's own deduplication (training_ops._sum_rows_by_id) and the Ftrl rule's shortcuts ----------
_ROUTES = {  # module thresholds that force each route of _sum_rows_by_id
    "table": {"_DENSE_ELEMENTS": 10 ** 9},
    "dict": {"_DENSE_ELEMENTS": 0, "_DENSE_PER_ID": 0, "_DICT_DEDUP": 10 ** 9},
    "sort": {"_DENSE_ELEMENTS": 0, "_DENSE_PER_ID": 0, "_DICT_DEDUP": 0},
}


def _force_route(monkeypatch, route):
    for name, value in _ROUTES[route].items():
        monkeypatch.setattr(training_ops, name, value)


@pytest.mark.parametrize("route", sorted(_ROUTES))
@pytest.mark.parametrize("ids_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("inner", [(), (1,), (3,), (2, 2)])
def test_sum_rows_by_id_gives_unique_and_unsorted_segment_sum_bits(route, ids_dtype, inner, monkeypatch):
    from estflow.core import dtypes  # Unique's out_idx attr
    from estflow.core.ops.gather_ops import _unique_kernel  # the unfused kernels, the reference
    from estflow.core.ops.segment_ops import _unsorted_segment_sum_kernel

    _force_route(monkeypatch, route)
    rng = np.random.default_rng(3)
    for n, n_rows in ((1, 5), (7, 5), (40, 16), (40, 1000), (300, 50)):
        ids = rng.integers(0, n_rows, n).astype(ids_dtype)
        grad = rng.normal(size=(n,) + inner).astype(np.float32) * np.float32(1e4) ** rng.integers(-2, 3, (n,) + inner)
        grad.reshape(-1)[::5] = -0.0  # a row summed once onto zeros is 0.0 there
        unique, summed = training_ops._sum_rows_by_id(ids, grad, n_rows)
        want_unique, idx = _unique_kernel(np, ids, dtypes.int32)
        want = _unsorted_segment_sum_kernel(np, grad, idx, np.int32(want_unique.shape[0]))
        assert sorted(unique.tolist()) == sorted(want_unique.tolist())
        by_id = dict(zip(want_unique.tolist(), want, strict=True))
        for i, row in zip(unique.tolist(), summed, strict=True):
            assert row.tobytes() == by_id[i].tobytes()


def _train_linear(optimizer, fusion, monkeypatch, id_batches, rows=8, dim=3):
    """Variables after sparse updates from IndexedSlices gradients (TF1's deduplicating sparse apply, without
    the gather gradient's reshapes)."""
    from estflow.core import plan  # the switch the fusion tests turn

    monkeypatch.setattr(plan, "FUSION", fusion)
    with tf.Graph().as_default():
        ids = tf.placeholder(tf.int64, [None])
        rows_grad = tf.placeholder(tf.float32, [None, dim])
        start = np.linspace(-1, 1, rows * dim, dtype=np.float32).reshape(rows, dim)
        table = tf.get_variable("table", initializer=start)
        train = _SPARSE_OPTIMIZERS[optimizer]().apply_gradients(
            [(tf.IndexedSlices(rows_grad, ids, tf.constant([rows, dim], tf.int64)), table)])
        rng = np.random.default_rng(11)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for batch in id_batches:
                batch = np.asarray(batch, np.int64)
                sess.run(train, {ids: batch, rows_grad: rng.normal(size=(batch.size, dim)).astype(np.float32)})
            steps_run = [st[5].type for st in max(sess._cache.values(), key=lambda p: len(p.steps)).steps]
            assert ("Unique" in steps_run) is not fusion  # the fused step deduplicates itself
            return sess.run(tf.global_variables())


@pytest.mark.parametrize("route", sorted(_ROUTES))
@pytest.mark.parametrize("optimizer", ["Adagrad", "Ftrl", "FtrlV2", "FtrlPower", "FtrlL2", "FtrlPlain"])
def test_fused_deduplicating_routes_give_the_unfused_values_to_the_bit(route, optimizer, monkeypatch):
    batches = [[1, 3, 1, 1, 7, 3], [], [5], [0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]]
    plain = _train_linear(optimizer, False, monkeypatch, batches)
    _force_route(monkeypatch, route)
    fused = _train_linear(optimizer, True, monkeypatch, batches)
    for a, b in zip(fused, plain, strict=True):
        assert a.tobytes() == b.tobytes()
    embedding, _ = _train_embedding(optimizer, False, monkeypatch)
    for a, b in zip(_train_embedding(optimizer, True, monkeypatch)[0], embedding, strict=True):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("route", sorted(_ROUTES))
@pytest.mark.parametrize("bad,message", [([1, 3, 1, 9, 2, 9], "Index 9 at offset 2 in indices is out of range"),
                                         ([4, -1, 4], "Index -1 at offset 1 in indices is out of range")])
def test_fused_deduplicating_apply_names_a_bad_index_as_the_unfused_ops(route, bad, message, monkeypatch):
    for fusion in (False, True):
        _force_route(monkeypatch, route)
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _train_linear("Adagrad", fusion, monkeypatch, [bad])


@pytest.mark.parametrize("shape", [(64, 3), (), (5,)])
@pytest.mark.parametrize("multiply_linear_by_lr", [False, True])
@pytest.mark.parametrize("lr_power", [-0.5, -0.3, 0.0])
@pytest.mark.parametrize("l1", [0.0, -0.0, 0.05])
@pytest.mark.parametrize("l2,shrinkage", [(0.0, None), (0.1, None), (0.1, 0.2)])
def test_ftrl_rule_matches_tensorflows_formula_to_the_bit(shape, multiply_linear_by_lr, lr_power, l1, l2, shrinkage):
    """The rule against TF's formula written out in full (ApplyFtrl's functor), through its numpy route (arrays)
    and its general one (0-d variables, multiply_linear_by_lr), with the shortcuts for l1 = 0 and l2 = 0, on
    values with zeros of both signs, huge and tiny ones."""
    rng = np.random.default_rng(int(lr_power * -10) + int(l1 * 100))
    with np.errstate(all="ignore"):  # zero accumulators: roots and quotients of zero
        _check_ftrl_rule(rng, shape, multiply_linear_by_lr, lr_power, l1, l2, shrinkage)


def _check_ftrl_rule(rng, shape, multiply_linear_by_lr, lr_power, l1, l2, shrinkage):
    f32 = np.float32
    var = np.asarray(rng.normal(size=shape) * 10.0 ** rng.integers(-6, 6, shape), f32)
    linear = np.asarray(rng.normal(size=shape) * 10.0 ** rng.integers(-6, 6, shape), f32)
    accum = np.asarray(np.abs(rng.normal(size=shape)) + 0.1, f32)
    grad = np.asarray(rng.normal(size=shape) * 10.0 ** rng.integers(-6, 6, shape), f32)
    if shape:
        linear.reshape(-1)[::7] = -0.0
        linear.reshape(-1)[3::7] = 0.0
        grad.reshape(-1)[::5] = 0.0
        accum.reshape(-1)[::11] = -0.0
    lr, l1_, l2_, power = (np.asarray(x, f32) for x in (0.2, l1, l2, lr_power))
    # TF's formula, term by term (training_ops.cc ApplyFtrl / ApplyFtrlMultiplyLinearByLr)
    shrunk = grad if shrinkage is None else grad + f32(2) * np.asarray(shrinkage, f32) * var
    new_accum = accum + grad * grad
    new_p, old_p = (np.sqrt(new_accum), np.sqrt(accum)) if lr_power == -0.5 else (new_accum ** -power,
                                                                                 accum ** -power)
    want_linear = linear.copy()
    if multiply_linear_by_lr:
        want_linear += shrunk * lr - (new_p - old_p) * var
        quadratic, l1_eff = new_p + f32(2) * l2_ * lr, l1_ * lr
    else:
        want_linear += shrunk - (new_p - old_p) / lr * var
        quadratic, l1_eff = new_p / lr + f32(2) * l2_, l1_
    want_var = np.where(np.abs(want_linear) > l1_eff, (l1_eff * np.sign(want_linear) - want_linear) / quadratic,
                        0).astype(f32)
    got = [var.copy(), accum.copy(), linear.copy()]
    if shrinkage is None:
        training_ops._ftrl(np, *got, grad, lr, l1_, l2_, power, multiply_linear_by_lr=multiply_linear_by_lr)
    else:
        training_ops._ftrl_v2(np, *got, grad, lr, l1_, l2_, np.asarray(shrinkage, f32), power,
                              multiply_linear_by_lr=multiply_linear_by_lr)
    for g, w in zip(got, (want_var, new_accum, want_linear), strict=True):
        assert g.shape == shape and g.tobytes() == np.asarray(w, f32).tobytes()


@pytest.mark.parametrize("route", sorted(_ROUTES))
@pytest.mark.parametrize("dtype", [np.float64, np.float16])
@pytest.mark.parametrize("optimizer", ["Ftrl", "Adagrad"])
def test_fused_deduplicating_apply_of_other_float_types_gives_the_unfused_bits(route, dtype, optimizer, monkeypatch):
    from estflow.core import plan  # the switch this test turns

    results = []
    for fusion in (True, False):
        monkeypatch.setattr(plan, "FUSION", fusion)
        _force_route(monkeypatch, route)
        with tf.Graph().as_default():
            ids = tf.placeholder(tf.int64, [None, 2])
            table = tf.get_variable("table", initializer=np.linspace(-1, 1, 24).astype(dtype).reshape(8, 3))
            train = _SPARSE_OPTIMIZERS[optimizer]().minimize(tf.reduce_sum(tf.square(tf.gather(table, ids) - 0.3)))
            rng = np.random.default_rng(1)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(3):
                    sess.run(train, {ids: rng.integers(0, 8, (40, 2))})
                results.append([v.tobytes() for v in sess.run(tf.global_variables())])
    assert results[0] == results[1]


# ---- sparse Ftrl applies of several variables as one plan step (plan._group_steps, training_ops._FtrlGroup) --------
def _train_columns(fusion, monkeypatch, id_batches, widths=(1, 1, 1), rows=(7, 30, 3), optimizers=None, steps_out=None):
    """Variables after Ftrl updates of one table per column (a linear model's weights), each gathered at its own
    ids (with repeats); `optimizers[i]` trains column i (default: one FtrlOptimizer for all)."""
    from estflow.core import plan  # the switch the fusion tests turn

    monkeypatch.setattr(plan, "FUSION", fusion)
    with tf.Graph().as_default():
        ids = [tf.placeholder(tf.int64, [None]) for _ in widths]
        tables = [tf.get_variable(f"column{i}", initializer=np.linspace(-1, 1, n * w, dtype=np.float32).reshape(n, w))
                  for i, (n, w) in enumerate(zip(rows, widths, strict=True))]
        losses = [tf.reduce_sum(tf.square(tf.gather(t, i) - 0.2 * k)) for k, (t, i) in enumerate(zip(tables, ids))]
        if optimizers is None:
            train = tf.train.FtrlOptimizer(0.3, l1_regularization_strength=0.01).minimize(tf.add_n(losses))
        else:
            train = tf.group(*[opt.minimize(loss, var_list=[t]) for opt, loss, t in zip(optimizers, losses, tables)])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            try:
                for batch in id_batches:
                    sess.run(train, dict(zip(ids, (np.asarray(b, np.int64) for b in batch), strict=True)))
            finally:
                if steps_out is not None:
                    steps_out.extend(st[5].type for st in max(sess._cache.values(), key=lambda p: len(p.steps)).steps)
            return sess.run(tf.global_variables())


@pytest.fixture
def grouped_updates(monkeypatch):
    """How many times the grouped Ftrl update ran (rather than each member's own kernel)."""
    calls = []
    update = training_ops._ftrl_group_update
    monkeypatch.setattr(training_ops, "_ftrl_group_update", lambda *a: (calls.append(1), update(*a))[1])
    return calls


def _counted(monkeypatch, owner, name) -> list:
    """A list that grows by one at each call of `owner.name`, which still runs."""
    calls = []
    original = getattr(owner, name)
    monkeypatch.setattr(owner, name, lambda *a: (calls.append(1), original(*a))[1])
    return calls


def _unfused_then_fused(monkeypatch, *counters):
    """plan.FUSION off, then on (yielded), each of `counters` emptied before each."""
    from estflow.core import plan  # the switch this turns

    for fusion in (False, True):
        monkeypatch.setattr(plan, "FUSION", fusion)
        for counter in counters:
            counter.clear()
        yield fusion


def _same_bits(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.tobytes() == y.tobytes()


_COLUMN_BATCHES = [([1, 3, 1], [0, 29, 29, 5], [2]), ([6, 6, 6, 6], [11], [0, 1, 2, 0]), ([0], [3, 2, 1], [1, 1])]


@pytest.mark.parametrize("widths", [(1, 1, 1), (3, 3, 3), (1, 3, 1)])
def test_sparse_ftrl_applies_of_several_variables_run_as_one_step_with_the_same_bits(widths, monkeypatch,
                                                                                    grouped_updates):
    plain = _train_columns(False, monkeypatch, _COLUMN_BATCHES, widths)
    assert not grouped_updates
    steps: list = []
    _same_bits(_train_columns(True, monkeypatch, _COLUMN_BATCHES, widths, steps_out=steps), plain)
    assert len(grouped_updates) == len(_COLUMN_BATCHES)  # one group of several members in each case
    # one step per group: the columns whose rows have the same shape (the variables differ in rows)
    assert steps.count("SparseApplyFtrl") == len(set(widths))


def test_grouped_ftrl_applies_with_other_hyperparameters_each_run_their_own_update(monkeypatch, grouped_updates):
    def optimizers():
        return [tf.train.FtrlOptimizer(0.3), tf.train.FtrlOptimizer(0.1),
                tf.train.FtrlOptimizer(0.3, l1_regularization_strength=0.2)]

    plain = _train_columns(False, monkeypatch, _COLUMN_BATCHES, optimizers=optimizers())
    steps: list = []
    _same_bits(_train_columns(True, monkeypatch, _COLUMN_BATCHES, optimizers=optimizers(), steps_out=steps), plain)
    assert steps.count("SparseApplyFtrl") == 1  # one step, which finds the learning rates differ at run time
    assert not grouped_updates


@pytest.mark.parametrize("bad,message", [([0, 30, 2], "Index 30 at offset 1 in indices is out of range"),
                                         ([-1], "Index -1 at offset 0 in indices is out of range")])
def test_grouped_ftrl_apply_names_the_bad_index_and_its_op_as_the_separate_steps(bad, message, monkeypatch):
    from estflow.core import plan  # the switch this test turns

    results = []
    for fusion in (False, True):
        monkeypatch.setattr(plan, "FUSION", fusion)
        with tf.Graph().as_default():
            tables = [tf.get_variable(f"column{i}", initializer=np.linspace(-1, 1, n, dtype=np.float32).reshape(n, 1))
                      for i, n in enumerate((7, 30, 3))]
            ids = [tf.placeholder(tf.int64, [None]) for _ in tables]
            grads = [tf.IndexedSlices(tf.ones_like(tf.cast(i, tf.float32))[:, None], i,
                                      tf.constant([t.shape[0].value, 1], tf.int64)) for i, t in zip(ids, tables)]
            train = tf.train.FtrlOptimizer(0.3).apply_gradients(list(zip(grads, tables)))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                with pytest.raises(tf.errors.InvalidArgumentError, match=message) as caught:
                    sess.run(train, dict(zip(ids, ([1, 3], bad, [2]))))
                assert "column1" in caught.value.op.name
                steps = max(sess._cache.values(), key=lambda p: len(p.steps)).steps
                assert [st[5].type for st in steps].count("SparseApplyFtrl") == (1 if fusion else 3)
                results.append(sess.run(tf.global_variables()))
    _same_bits(*results)  # what the separate steps had updated before the error, the grouped step has too


def test_grouped_ftrl_after_its_first_step_checks_identities_and_still_raises_what_the_steps_raise(
        tmp_path, monkeypatch, grouped_updates):
    """After a grouped step the next ones check that the stored arrays are still the packed views and the
    hyperparameters the same arrays (not every member's inputs in full), with the bits of the separate steps,
    through a restore (packed again) and up to a bad index (the separate steps raise it, naming their op)."""
    full_checks = _counted(monkeypatch, training_ops, "_ftrl_group_inputs")
    batches = [([1, 3, 1], [0, 29, 29, 5], [2]), ([6, 6], [11], [0, 1, 2, 0]), ([0], [3, 2, 1], [1, 1])]
    results = []
    for fusion in _unfused_then_fused(monkeypatch, full_checks, grouped_updates):
        with tf.Graph().as_default():
            tables = [tf.get_variable(f"column{i}", initializer=np.linspace(-1, 1, n, dtype=np.float32).reshape(n, 1))
                      for i, n in enumerate((7, 30, 3))]
            bias = tf.get_variable("bias", initializer=np.float32([0.25]))
            ids = [tf.placeholder(tf.int64, [None]) for _ in tables]
            grads = [tf.IndexedSlices(tf.cast(i, tf.float32)[:, None] * 0.1 - 0.4, i,
                                      tf.constant([t.shape[0].value, 1], tf.int64)) for i, t in zip(ids, tables)]
            train = tf.train.FtrlOptimizer(0.3, l1_regularization_strength=0.01).apply_gradients(
                list(zip(grads, tables)) + [(bias * 2.0, bias)])
            saver = tf.train.Saver()
            path = str(tmp_path / f"ckpt-{fusion}")
            seen = []
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                saver.save(sess, path)
                for batch in batches:
                    sess.run(train, dict(zip(ids, batch)))
                seen.append(sess.run(tf.global_variables()))
                saver.restore(sess, path)  # restored arrays replace the packed views
                for batch in batches[::-1]:
                    sess.run(train, dict(zip(ids, batch)))
                seen.append(sess.run(tf.global_variables()))
                with pytest.raises(tf.errors.InvalidArgumentError, match="Index 30 at offset 1") as caught:
                    sess.run(train, dict(zip(ids, ([1], [2, 30], [0]))))
                assert "column1" in caught.value.op.name
                seen.append(sess.run(tf.global_variables()))
            results.append(seen)
            if fusion:
                assert len(grouped_updates) == 6  # every good step grouped
                assert len(full_checks) == 3  # the first step, the one after the restore, the bad one
    for a, b in zip(*results, strict=True):
        _same_bits(a, b)


def test_a_sparse_apply_another_depends_on_keeps_its_own_step(monkeypatch):
    from estflow.core import plan  # the switch this test turns

    results, counts = [], []
    for fusion in (False, True):
        monkeypatch.setattr(plan, "FUSION", fusion)
        with tf.Graph().as_default():
            first = tf.get_variable("first", initializer=np.linspace(-1, 1, 5, dtype=np.float32).reshape(5, 1))
            second = tf.get_variable("second", initializer=np.linspace(1, 2, 4, dtype=np.float32).reshape(4, 1))
            ids = tf.constant([1, 3, 1], tf.int64)
            update_first = tf.train.FtrlOptimizer(0.3).minimize(tf.reduce_sum(tf.square(tf.gather(first, ids))))
            with tf.control_dependencies([update_first]):  # the second update reads the first's result
                loss = tf.reduce_sum(tf.gather(second, ids[:2]) * tf.reduce_sum(first.read_value()))
            train = tf.train.FtrlOptimizer(0.3).minimize(loss, var_list=[second])
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(3):
                    sess.run(train)
                results.append(sess.run(tf.global_variables()))
                steps = max(sess._cache.values(), key=lambda p: len(p.steps)).steps
                counts.append([st[5].type for st in steps].count("SparseApplyFtrl"))
    _same_bits(*results)
    assert counts == [2, 2]


def test_dense_ftrl_updates_join_the_group_of_one_value_rows(monkeypatch, grouped_updates):
    from estflow.core import plan  # the switch this test turns

    results, counts = [], []
    for fusion in (False, True):
        monkeypatch.setattr(plan, "FUSION", fusion)
        with tf.Graph().as_default():
            bias = tf.get_variable("bias", initializer=np.array([0.25], np.float32))
            dense = tf.get_variable("dense", initializer=np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2))
            column = tf.get_variable("column", initializer=np.linspace(-1, 1, 7, dtype=np.float32).reshape(7, 1))
            wide = tf.get_variable("wide", initializer=np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
            ids = tf.placeholder(tf.int64, [None])
            x = tf.placeholder(tf.float32, [None, 3])
            logits = (tf.reduce_sum(tf.gather(column, ids), 1) + tf.reduce_sum(tf.matmul(x, dense), 1)
                      + tf.reduce_sum(tf.gather(wide, ids % 4), 1) + bias)
            train = tf.train.FtrlOptimizer(0.2, l2_regularization_strength=0.1).minimize(
                tf.reduce_sum(tf.square(logits - 1.0)))
            rng = np.random.default_rng(5)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(4):
                    sess.run(train, {ids: rng.integers(0, 7, 6), x: rng.normal(size=(6, 3)).astype(np.float32)})
                results.append(sess.run(tf.global_variables()))
                steps = [st[5].type for st in max(sess._cache.values(), key=lambda p: len(p.steps)).steps]
                counts.append(sum(steps.count(t) for t in ("ApplyFtrl", "SparseApplyFtrl")))
    _same_bits(*results)
    assert counts == [4, 2]  # bias, dense and column in one step; the [4, 3] table's rows in their own
    assert len(grouped_updates) == 4  # the [4, 3] table's group has one member: it runs its own step


def test_grouped_ftrl_variables_stay_right_through_restores_and_assigns(tmp_path, monkeypatch, grouped_updates):
    """The group keeps its variables in shared buffers; a restore replacing the stored arrays must not be
    lost (the buffers are packed again), nor what the group wrote before it."""
    from estflow.core import plan  # the switch this test turns

    packs = []
    pack = training_ops._Packed.pack
    monkeypatch.setattr(training_ops._Packed, "pack", lambda self, *a: (packs.append(1), pack(self, *a))[1])
    results = []
    for fusion in (False, True):
        monkeypatch.setattr(plan, "FUSION", fusion)
        with tf.Graph().as_default():
            tables = [tf.get_variable(f"column{i}", initializer=np.linspace(-1, 1, n, dtype=np.float32).reshape(n, 1))
                      for i, n in enumerate((5, 9))]
            ids = tf.placeholder(tf.int64, [None])
            loss = tf.add_n([tf.reduce_sum(tf.square(tf.gather(t, ids % t.shape[0].value) - 0.5)) for t in tables])
            train = tf.train.FtrlOptimizer(0.3).minimize(loss)
            reset = tf.assign(tables[1], tf.zeros([9, 1]))
            saver = tf.train.Saver()
            path = str(tmp_path / f"ckpt-{fusion}")
            seen = []
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                saver.save(sess, path)  # whatever saving adds to the graph, before the training plan
                sess.run(train, {ids: [0, 3, 3, 8]})
                saver.save(sess, path)
                sess.run(train, {ids: [1, 2]})
                seen.append(sess.run(tables))
                saver.restore(sess, path)  # restored arrays replace the stored ones
                seen.append(sess.run(tables))
                sess.run(train, {ids: [4, 4, 7]})
                sess.run(reset)  # in place: the same shape
                sess.run(train, {ids: [6]})
                seen.append(sess.run(tf.global_variables()))
            results.append(seen)
    for a, b in zip(*results, strict=True):
        _same_bits(a, b)
    assert len(packs) == 2  # at the first run, and after the restore
    assert len(grouped_updates) == 4


@pytest.mark.parametrize("update_slots", [True, False])
def test_dense_adagrad_updates_of_several_variables_run_as_one_step_with_the_same_bits(update_slots, monkeypatch):
    from estflow.core import plan  # the switch this test turns

    grouped = []
    inputs = training_ops._dense_group_inputs
    monkeypatch.setattr(training_ops, "_dense_group_inputs",
                        lambda *a: (lambda r: (grouped.append(r is not None), r)[1])(inputs(*a)))
    results, counts = [], []
    for fusion in (False, True):
        monkeypatch.setattr(plan, "FUSION", fusion)
        with tf.Graph().as_default():
            tf.set_random_seed(4)  # the same initial weights in both graphs
            x = tf.placeholder(tf.float32, [None, 3])
            hidden = tf.layers.dense(x, 4, activation=tf.nn.relu, bias_initializer=tf.constant_initializer(0.1))
            logits = tf.layers.dense(hidden, 1)
            loss = tf.reduce_sum(tf.square(logits - 1.0))
            variables = tf.trainable_variables()
            grads = tf.gradients(loss, variables)
            accums = [tf.Variable(np.full(v.shape.as_list(), 0.1, np.float32), name=f"accum{i}")
                      for i, v in enumerate(variables)]
            train = tf.group(*[training_ops.apply_adagrad(v, a, 0.2, g, update_slots=update_slots)
                               for v, a, g in zip(variables, accums, grads)])
            rng = np.random.default_rng(2)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(3):
                    sess.run(train, {x: rng.normal(size=(5, 3)).astype(np.float32)})
                results.append(sess.run(tf.global_variables()))
                steps = [st[5].type for st in max(sess._cache.values(), key=lambda p: len(p.steps)).steps]
                counts.append(steps.count("ApplyAdagrad"))
    _same_bits(*results)
    assert counts == [4, 1] and grouped == [True] * 3


def test_dense_adagrad_group_of_one_optimizer_checks_only_identities_after_the_first_step(tmp_path, monkeypatch):
    """One optimizer's updates share its learning rate: after the first step the group checks that the stored
    arrays are still its views and the gradients' shapes (not each member's inputs), and the bits stay those
    of the separate steps through a restore (packed again) and an assign of another shape (each its own step)."""
    full_checks = _counted(monkeypatch, training_ops, "_dense_group_inputs")
    packs = _counted(monkeypatch, training_ops._Packed, "pack")
    results = []
    for fusion in _unfused_then_fused(monkeypatch, full_checks, packs):
        with tf.Graph().as_default():
            tf.set_random_seed(4)
            x = tf.placeholder(tf.float32, [None, 3])
            hidden = tf.layers.dense(x, 4, activation=tf.nn.relu, bias_initializer=tf.constant_initializer(0.1))
            logits = tf.layers.dense(hidden, 1)
            loss = tf.reduce_sum(tf.square(logits - 1.0))
            optimizer = tf.train.AdagradOptimizer(0.2)
            train = optimizer.minimize(loss)
            bias = [v for v in tf.global_variables() if v.op.name == "dense/bias"][0]
            reshape = tf.assign(optimizer.get_slot(bias, "accumulator"), tf.fill([5], 0.1), validate_shape=False)
            saver = tf.train.Saver()
            path = str(tmp_path / f"ckpt-{fusion}")
            rng = np.random.default_rng(5)
            seen = []
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                saver.save(sess, path)

                def step():
                    sess.run(train, {x: rng.normal(size=(6, 3)).astype(np.float32)})
                for _ in range(3):
                    step()
                seen.append(sess.run(tf.global_variables()))
                saver.restore(sess, path)  # restored arrays replace the stored views
                step()
                step()
                seen.append(sess.run(tf.global_variables()))
                sess.run(reshape)  # a slot no longer fits its variable: every update its own step, which raises
                with pytest.raises(tf.errors.InvalidArgumentError, match="var and accum do not have the same shape"):
                    step()
            results.append(seen)
            if fusion:
                assert len(packs) == 2  # at the first step and after the restore
                assert len(full_checks) == 3  # the first step, the one after the restore, the bad one
    for a, b in zip(*results, strict=True):
        _same_bits(a, b)


def test_dense_adagrad_group_with_other_learning_rates_runs_each_update(monkeypatch):
    from estflow.core import plan  # the switch this test turns

    results = []
    for fusion in (False, True):
        monkeypatch.setattr(plan, "FUSION", fusion)
        with tf.Graph().as_default():
            a = tf.get_variable("a", initializer=np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
            b = tf.get_variable("b", initializer=np.linspace(0, 1, 4, dtype=np.float32))
            loss = tf.reduce_sum(tf.square(a)) + tf.reduce_sum(tf.exp(b))
            train = tf.group(tf.train.AdagradOptimizer(0.1).minimize(loss, var_list=[a]),
                             tf.train.AdagradOptimizer(0.3).minimize(loss, var_list=[b]))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(3):
                    sess.run(train)
                results.append(sess.run(tf.global_variables()))
    _same_bits(*results)


@pytest.mark.parametrize("op_name", ["apply_adagrad", "apply_momentum", "apply_proximal_adagrad"])
def test_dense_apply_of_a_variable_and_one_slot_gives_the_rules_bits(op_name):
    """The two-ref kernel (a DNN's ten ApplyAdagrad a step) updates as the rule does on plain arrays."""
    rng = np.random.default_rng(3)
    var0 = rng.normal(size=(5, 3)).astype(np.float32)
    slot0 = (np.abs(rng.normal(size=(5, 3))) + 0.1).astype(np.float32)
    grads = [rng.normal(size=(5, 3)).astype(np.float32) for _ in range(3)]
    extra = {"apply_adagrad": (), "apply_momentum": (0.9,), "apply_proximal_adagrad": (0.01, 0.02)}[op_name]
    g = tf.Graph()
    with g.as_default():
        var, slot = Variable(var0, name="var"), Variable(slot0, name="slot")
        grad = tf.placeholder(tf.float32, [5, 3])
        fn = getattr(training_ops, op_name)
        if op_name == "apply_momentum":
            step = fn(var, slot, 0.25, grad, *extra)
        else:
            step = fn(var, slot, 0.25, *extra, grad)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for x in grads:
                sess.run(step, {grad: x})
            got_var, got_slot = sess.run([var, slot])
    want_var, want_slot, lr = var0.copy(), slot0.copy(), np.array(0.25, np.float32)
    for x in grads:
        if op_name == "apply_adagrad":
            training_ops._adagrad(np, want_var, want_slot, lr, x, update_slots=True)
        elif op_name == "apply_momentum":
            training_ops._momentum(np, want_var, want_slot, lr, x, np.array(0.9, np.float32), use_nesterov=False)
        else:
            training_ops._proximal_adagrad(np, want_var, want_slot, lr, np.array(0.01, np.float32),
                                           np.array(0.02, np.float32), x)
    assert got_var.tobytes() == want_var.tobytes() and got_slot.tobytes() == want_slot.tobytes()


def test_dense_apply_refuses_a_slot_or_gradient_of_another_shape():
    g = tf.Graph()
    with g.as_default():
        var, accum = Variable(np.ones((2, 3), np.float32), name="v"), Variable(np.ones((2, 3), np.float32), name="a")
        grad = tf.placeholder(tf.float32)
        step = training_ops.apply_adagrad(var, accum, 0.1, grad)
        reshape_accum = tf.assign(accum, np.ones(3, np.float32), validate_shape=False)
        bad = tf.errors.InvalidArgumentError
        with tf.Session() as sess:
            sess.run(var.initializer)
            with pytest.raises(tf.errors.FailedPreconditionError, match="Attempting to use uninitialized value a"):
                sess.run(step, {grad: np.ones((2, 3), np.float32)})
            sess.run(accum.initializer)
            with pytest.raises(bad, match=r"var and grad do not have the same shape\[2,3\] \[3\]"):
                sess.run(step, {grad: np.ones(3, np.float32)})
            sess.run(reshape_accum)
            with pytest.raises(bad, match=r"var and accum do not have the same shape\[2,3\] \[3\]"):
                sess.run(step, {grad: np.ones((2, 3), np.float32)})
