"""Every registered op type survives `as_graph_def()` -> `import_graph_def` unchanged.

Each recipe builds a small graph in a fresh `tf.Graph`, writes it with the strict
`as_graph_def()`, imports it into another fresh graph (names unchanged) and runs both with
the same feeds: every fetched value must be equal. The recipes are the table-driven op
cases of tests/core (math, nn, array, sparse, string ops: forward and gradient) and the
table below for ops those tables do not reach. A completeness check asserts that every
registered op type appears in some recipe's GraphDef or is listed in NOT_ROUND_TRIPPABLE
with the reason.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.core import registry
from estflow.core.graph import Operation, Tensor
from estflow.core.ops import clustering_ops, hash_ops
from estflow.core.registry import apply_op
from estflow.core.sparse_tensor import SparseTensor
from tests import FIXTURES
from tests.core import (
    test_array_ops,
    test_cast_ops,
    test_complex_ops,
    test_conv_ops,
    test_fft_ops,
    test_math_ops,
    test_nn_ops,
    test_sobol_ops,
    test_sparse_ops,
    test_special_math_ops,
    test_string_ops,
)
from tests.core.test_stitch_ops import round_trip_build as stitch_round_trip
from tests.library.test_accumulators import round_trip_build as accumulator_round_trip


@dataclasses.dataclass
class Recipe:
    label: str
    build: Callable  # () -> (fetches, feed {placeholder: value}) inside the default graph
    setup: tuple = ()  # names of ops to run first in each session (initializers)
    fails: tuple = ()  # names of tensors whose run must fail alike (same error class) in both graphs


def _flat(fetches) -> list:
    out = []
    for f in fetches if isinstance(fetches, (list, tuple)) else [fetches]:
        if isinstance(f, SparseTensor):
            out += [f.indices, f.values, f.dense_shape]
        elif isinstance(f, (list, tuple)):
            out += _flat(f)
        elif f is not None:
            out.append(f)
    return out


def _placeholders(arrays):
    phs = []
    for a in arrays:
        a = np.asarray(a)
        dtype = tf.string if a.dtype.kind in "OSU" else tf.as_dtype(a.dtype)
        phs.append(tf.placeholder(dtype, a.shape))
    return phs


def _with_gradients(out, phs) -> list:
    """The outputs and, where float values flow from float inputs, d(sum of outputs)/d(inputs)."""
    flat = _flat(out)
    floats = [t for t in flat if isinstance(t, Tensor) and t.dtype.is_floating]
    xs = [p for p in phs if p.dtype.is_floating]
    if floats and xs:
        total = tf.add_n([tf.reduce_sum(t) for t in floats]) if len(floats) > 1 else tf.reduce_sum(floats[0])
        flat += [g for g in tf.gradients(total, xs) if g is not None]
    return flat


def _case_recipe(label, build, arrays, grad):
    def make():
        phs = _placeholders(arrays)
        out = build(*phs)
        fetches = _with_gradients(out, phs) if grad else _flat(out)
        return fetches, dict(zip(phs, arrays, strict=True))

    return Recipe(label, make)


def _table_recipes() -> list[Recipe]:
    rng = np.random.default_rng(7)
    recipes = []
    for case in test_math_ops.FLOAT_CASES + test_math_ops.NON_GRAD_FLOAT_CASES + test_nn_ops.CASES:
        arrays = case.inputs(case.shapes[0], rng)
        recipes.append(_case_recipe(f"math/nn {case.label}", case.build if hasattr(case, "build") else case.fn,
                                    arrays, getattr(case, "grad", True)))
    for case in test_conv_ops.CASES:  # gradients only in float64 (TF's MaxPool3D and LRN take float32 only)
        arrays = case.inputs(case.shapes[0], rng)
        recipes.append(_case_recipe(f"conv {case.label}", case.build, arrays, case.grad and case.dtype == np.float64))
    x, y = test_math_ops.INT_X.astype(np.int32), test_math_ops.INT_Y.astype(np.int32)
    for label, build, _ in test_math_ops.INT_CASES:
        recipes.append(_case_recipe(f"int {label}", build, [x, y], False))
    for case in test_array_ops.CASES:
        recipes.append(_case_recipe(f"array {case.name}", case.build, case.inputs, case.grad))
    for case in test_sparse_ops.CASES:
        recipes.append(_case_recipe(f"sparse {case.name}", case.build, case.inputs, False))
    for label, build, inputs, _ in test_string_ops.CASES:
        recipes.append(_case_recipe(f"string {label}", build, inputs, False))
    return recipes


# ---- ops the tables above do not reach --------------------------------------------------------------
def _f32(*values):
    return np.asarray(values, np.float32)


def _variables():
    v = tf.Variable(_f32(1.0, 2.0, 3.0), name="v")
    w = tf.get_variable("w", [3], initializer=tf.constant_initializer(0.5))
    x = tf.placeholder(tf.float32, [3], name="x")
    loss = tf.reduce_sum(tf.square(v * x - w))
    step = tf.train.AdamOptimizer(0.1).minimize(loss)
    with tf.control_dependencies([step]):
        after = tf.identity(v.read_value())
    init_from = tf.Variable(v.initialized_value() * 2.0, name="u")  # RefIdentity inside a cond
    report = tf.report_uninitialized_variables()
    return [loss, after, tf.is_variable_initialized(v), report, init_from.initial_value], {x: _f32(1.0, -1.0, 2.0)}


def _optimizers():
    """One dense and one sparse (gathered rows) step of every TF1 optimizer with a fused update op."""
    step = tf.train.get_or_create_global_step()
    optimizers = [
        tf.train.GradientDescentOptimizer(0.1), tf.train.MomentumOptimizer(0.1, 0.9),
        tf.train.AdagradOptimizer(0.1), tf.train.AdagradDAOptimizer(0.1, step), tf.train.AdadeltaOptimizer(1.0),
        tf.train.RMSPropOptimizer(0.1), tf.train.RMSPropOptimizer(0.1, centered=True), tf.train.FtrlOptimizer(0.1),
        tf.train.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=0.1),
        tf.train.ProximalAdagradOptimizer(0.1), tf.train.ProximalGradientDescentOptimizer(0.1),
    ]
    values = []
    for k, opt in enumerate(optimizers):
        dense = tf.Variable(_f32(1.0, -2.0), name=f"dense_{k}")
        table = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name=f"table_{k}")
        loss = tf.reduce_sum(tf.square(dense)) + tf.reduce_sum(tf.square(tf.gather(table, [2, 0])))
        with tf.control_dependencies([opt.minimize(loss, var_list=[dense, table])]):
            values += [tf.identity(dense.read_value()), tf.identity(table.read_value())]
    return values, {}


def _scatters():
    out = []
    for k, fn in enumerate([tf.scatter_update, tf.scatter_add, tf.scatter_sub, tf.scatter_mul, tf.scatter_div,
                            tf.scatter_max, tf.scatter_min]):
        v = tf.Variable(_f32(1.0, 2.0, 3.0, 4.0), name=f"s_{k}")
        out.append(fn(v, [3, 1], _f32(5.0, 0.5)))
    a = tf.Variable(_f32(1.0, 2.0), name="a")
    out += [tf.assign_add(a, _f32(1.0, 1.0)), tf.assign_sub(a, _f32(0.5, 0.5))]
    return out, {}


def _random():
    tf.set_random_seed(11)
    return [tf.random_normal([3, 2], seed=1), tf.random_uniform([4], seed=2),
            tf.random_uniform([4], maxval=10, dtype=tf.int32, seed=3), tf.truncated_normal([5], seed=4),
            tf.random_shuffle(tf.range(6), seed=5), tf.multinomial(tf.log([[0.2, 0.3, 0.5]]), 4, seed=6)], {}


def _samplers():
    true = tf.constant([[1], [4]], tf.int64)
    sampled = [tf.nn.log_uniform_candidate_sampler(true, 1, 3, True, 10, seed=1),
               tf.nn.uniform_candidate_sampler(true, 1, 3, False, 10, seed=2)]
    hits = tf.nn.compute_accidental_hits(true, sampled[1][0], 1)
    return [list(sampled[0]), list(sampled[1]), list(hits)], {}


def _summaries():
    x = tf.placeholder(tf.float32, [4], name="x")
    tf.summary.scalar("s", x[0])
    tf.summary.histogram("h", x)
    tf.summary.image("i", tf.reshape(tf.tile(x, [3]), [1, 2, 2, 3]))
    tf.summary.audio("a", tf.reshape(x, [1, 4]), 8000.0)
    tf.summary.tensor_summary("t", x)
    return [tf.summary.merge_all()], {x: _f32(0.1, 0.5, 0.25, 1.0)}


def _save_restore():
    with tf.device("/cpu:0"):
        v = tf.Variable(_f32(1.0, 2.0), name="v")
    with tf.device("/cpu:1"):  # a second device: one shard each, merged (ShardedFilename, MergeV2Checkpoints)
        tf.Variable(_f32(3.0), name="w")
    saver = tf.train.Saver(sharded=True)
    saved = tf.get_default_graph().get_tensor_by_name(saver.saver_def.save_tensor_name)
    with tf.control_dependencies([saved]):
        restored = tf.get_default_graph().get_operation_by_name(saver.saver_def.restore_op_name)
    with tf.control_dependencies([restored]):
        after = tf.identity(v.read_value())
    return [saved, after], {tf.get_default_graph().get_tensor_by_name(saver.saver_def.filename_tensor_name):
                            tempfile.mkdtemp() + "/model"}


def _control_flow():
    x = tf.placeholder(tf.float32, [3], name="x")
    v = tf.Variable(_f32(1.0, 1.0, 1.0), name="v")
    p = tf.placeholder_with_default(True, [], name="p")
    y = tf.cond(p, lambda: tf.assign_add(v, x), lambda: x * 2.0)  # Switch, Merge
    ref_read = tf.cond(p, lambda: v._ref() * 2.0, lambda: x)  # RefSwitch: a branch reads the variable's ref
    i, z = tf.while_loop(lambda i, z: i < 3, lambda i, z: (i + 1, tf.sin(z) * x), [0, x])
    (dz,) = tf.gradients(tf.reduce_sum(z), [x])  # a While over TensorLists
    with tf.control_dependencies([tf.Assert(tf.reduce_all(tf.is_finite(x)), [x])]):
        checked = tf.identity(x)
    prevented = apply_op("PreventGradient", x, message="no second derivative")
    return [y, ref_read, i, z, dz, checked, prevented], {x: _f32(0.5, -1.0, 2.0)}


def _tensor_arrays():
    x = tf.placeholder(tf.float32, [3, 2], name="x")
    rows = tf.TensorArray(tf.float32, size=3).unstack(x)  # TensorArrayV3, ScatterV3
    out = tf.TensorArray(tf.float32, size=3)
    _, out = tf.while_loop(lambda i, ta: i < 3, lambda i, ta: (i + 1, ta.write(i, rows.read(i) * 2.0)), [0, out])
    stacked = out.stack()  # GatherV3
    (dx,) = tf.gradients(tf.reduce_sum(stacked * stacked), [x])  # GradV3 in the gradient loop
    pieces = tf.TensorArray(tf.float32, size=2, infer_shape=False).split(tf.reshape(x, [6]), [4, 2])  # SplitV3
    with tf.control_dependencies([pieces.concat()]):  # ConcatV3
        size = pieces.size(name="size") + tf.TensorArray(tf.int32, 0, dynamic_size=True).size()  # SizeV3
    closing = tf.TensorArray(tf.float32, size=1).close()  # CloseV3
    return [stacked, dx, size, closing], {x: _f32(0.5, -1.0, 2.0, 1.0, 0.0, 3.0).reshape(3, 2)}


def _ctc_and_edit_distance():
    logits = tf.placeholder(tf.float32, [4, 2, 3], name="logits")
    labels = tf.SparseTensor(np.array([[0, 0], [1, 0], [1, 1]], np.int64), np.array([1, 0, 1], np.int32),
                             np.array([2, 2], np.int64))
    loss = tf.nn.ctc_loss(labels, logits, [4, 3])  # CTCLoss
    (dlogits,) = tf.gradients(tf.reduce_sum(loss), [logits])
    (greedy,), greedy_log_prob = tf.nn.ctc_greedy_decoder(logits, [4, 3])
    beams, beam_log_probs = tf.nn.ctc_beam_search_decoder(logits, [4, 3], beam_width=3, top_paths=2)
    distance = tf.edit_distance(tf.SparseTensor([[0, 0], [0, 1]], [1, 2], [1, 2]),
                                tf.SparseTensor([[0, 0]], [2], [1, 1]))
    x = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    return [loss, dlogits, greedy.values, greedy_log_prob, beams[1].indices, beam_log_probs, distance], {logits: x}


def _printing():
    x = tf.placeholder(tf.float32, [3], name="x")
    printed = tf.Print(x, [x, tf.shape(x)], message="x: ", first_n=1, summarize=2)
    ensured = tf.ensure_shape(tf.placeholder_with_default(x, [None]), [3])
    formatted = tf.strings.format("x = {}", [x], summarize=1)
    print_op = tf.print("x:", x, output_stream="stdout")
    return [printed, ensured, formatted, print_op], {x: _f32(0.5, -1.0, 2.0)}


def _matrices():
    a = tf.placeholder(tf.float64, [2, 3, 3], name="a")
    rhs = tf.placeholder(tf.float64, [2, 3, 2], name="rhs")
    spd = tf.matmul(a, a, transpose_b=True) + 3.0 * tf.eye(3, dtype=tf.float64)
    sign, log_abs = tf.linalg.slogdet(spd)
    e, v = tf.self_adjoint_eig(spd)
    s, u, w = tf.svd(a)
    outs = [tf.cholesky(spd), tf.matrix_determinant(a), sign, log_abs, tf.matrix_inverse(spd, adjoint=True),
            tf.matrix_solve(spd, rhs), tf.matrix_triangular_solve(spd, rhs, lower=False), e, tf.abs(v), s,
            tf.svd(a, compute_uv=False), tf.abs(u), tf.abs(w)]
    rng = np.random.default_rng(0)
    return outs, {a: rng.standard_normal((2, 3, 3)), rhs: rng.standard_normal((2, 3, 2))}


def _matrix_functions():
    a = tf.placeholder(tf.float64, [2, 3, 3], name="a")
    diags = tf.placeholder(tf.float64, [2, 3, 4], name="diags")
    rhs = tf.placeholder(tf.float64, [2, 4, 2], name="rhs")
    spd = tf.matmul(a, a, transpose_b=True) + 3.0 * tf.eye(3, dtype=tf.float64)
    lu, p = tf.linalg.lu(a)
    outs = [tf.linalg.sqrtm(spd), lu, p, tf.linalg.logm(tf.constant([[2.0 + 0j, 1.0], [0.5, 3.0]])),
            tf.linalg.tridiagonal_matmul(diags, rhs), tf.linalg.tridiagonal_solve(diags, rhs),
            tf.linalg.tridiagonal_solve(diags, rhs, partial_pivoting=False, perturb_singular=False)]
    rng = np.random.default_rng(0)
    return outs, {a: rng.standard_normal((2, 3, 3)), diags: rng.standard_normal((2, 3, 4)) + [[0], [4], [0]],
                  rhs: rng.standard_normal((2, 4, 2))}


def _files_and_serialized_values():
    directory = tempfile.mkdtemp()
    with open(os.path.join(directory, "a.txt"), "wb") as f:
        f.write(b"file contents")
    pattern = tf.placeholder(tf.string, [], name="pattern")
    names = tf.io.matching_files(pattern)
    contents = tf.io.read_file(names[0])
    written = tf.io.write_file(os.path.join(directory, "b.txt"), contents)
    with tf.control_dependencies([written]):
        encoded = tf.io.encode_base64(contents, pad=True)
    decoded = tf.io.decode_base64(encoded)
    parsed = tf.io.parse_tensor(tf.io.serialize_tensor(tf.constant([[1.5, 2.0]])), tf.float32)
    return [names, contents, encoded, decoded, parsed], {pattern: os.path.join(directory, "a.*")}


def _segment_reductions():
    data = tf.placeholder(tf.float32, [4, 2], name="data")
    ids = tf.constant([0, 0, 1, 1])
    loose = tf.constant([1, -1, 1, 0])
    return [tf.math.segment_max(data, ids), tf.math.segment_min(data, ids), tf.math.segment_prod(data, ids),
            tf.math.unsorted_segment_max(data, loose, 2), tf.math.unsorted_segment_min(data, loose, 2),
            tf.math.unsorted_segment_prod(data, loose, 3)], {data: np.arange(8, dtype=np.float32).reshape(4, 2)}


def _gamma_and_poisson():
    alpha = tf.placeholder(tf.float32, [2], name="alpha")
    return [tf.random_gamma([3], alpha, seed=1), tf.random_gamma([2], 2.0, beta=alpha, dtype=tf.float32, seed=2),
            tf.random_poisson(alpha, [4], seed=3), tf.random_poisson(alpha, [2], dtype=tf.int32, seed=4)], \
        {alpha: _f32(0.5, 3.0)}


def _stateless_while():
    x = tf.placeholder(tf.float32, [2], name="x")
    loop = tf.while_loop(lambda i, y: i < 4, lambda i, y: (i + 1, y * 1.5), [0, x])[1].op
    attrs = {k: loop.get_attr(k) for k in ("T", "cond", "body", "output_shapes", "parallel_iterations")}
    out = apply_op("StatelessWhile", *loop.inputs, name="stateless_while", **attrs)
    return [out[2]], {x: _f32(1.0, 2.0)}


def _iterator_handles():
    it = tf.data.Iterator.from_structure(tf.int64, tf.TensorShape([]))
    handle = it.string_handle()
    again = tf.data.Iterator.from_string_handle(handle, tf.int64, tf.TensorShape([]))
    # Nothing initializes the iterator (that needs a Python pipeline): its handle round-trips, and
    # get_next is built and exported, and fails alike in both graphs.
    again.get_next(name="next")
    return [handle], {}


def _optionals():
    from estflow.data.optional_ops import Optional, get_next_as_optional  # registers the Optional ops

    x = tf.placeholder(tf.float32, [2], name="x")
    full, empty = Optional.from_value((x, tf.constant(3))), Optional.empty(tf.TensorSpec([], tf.int32))
    it = tf.data.Iterator.from_structure(tf.int64, tf.TensorShape([]))
    get_next_as_optional(it).has_value(name="next_has_value")  # uninitialized: fails alike in both graphs
    saveable = tf.data.experimental.make_saveable_from_iterator(it)
    saveable.restore([saveable.specs[0].tensor], None).name  # noqa: B018 - DeserializeIterator, exported
    tf.identity(saveable.specs[0].tensor, name="serialized")
    return [full.has_value(), list(full.get_value()), empty.has_value()], {x: np.float32([1.0, 2.0])}


def _math_leftovers():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    special = tf.placeholder(tf.float32, [3], name="special")
    c = tf.cast(x, tf.complex64) * tf.constant(1j, tf.complex64) + tf.cast(x, tf.complex64)
    labels = tf.constant([2, 0], tf.int32)
    soft = tf.nn.softmax(x)
    values = [
        apply_op("Add", x, x), tf.reduce_all(x > 0), tf.reduce_any(x > 0), tf.argmax(x, 1), tf.argmin(x, 1),
        tf.abs(c), tf.conj(c), tf.transpose(c, conjugate=True), tf.diag(x[0]), tf.diag_part(tf.diag(x[0])),
        tf.nn.in_top_k(x, labels, 1), apply_op("InTopK", x, labels, k=2), tf.is_inf(special), tf.is_nan(special),
        tf.logical_and(x > 0, x < 1), tf.not_equal(x, 0.5), tf.shape(x), list(tf.linalg.qr(x[:, :2] + 1.0)),
        tf.gradients(tf.nn.l2_loss(x), x)[0],
        tf.gradients(tf.nn.softmax_cross_entropy_with_logits(labels=soft, logits=x), x)[0],
        tf.gradients(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x), x)[0],
    ]
    return values, {x: np.asarray([[0.5, -1.0, 2.0], [0.25, 0.75, 3.0]], np.float32),
                    special: np.asarray([np.inf, np.nan, 1.0], np.float32)}


def _sparse_gradients():
    values = tf.placeholder(tf.float32, [3], name="values")
    a = SparseTensor([[0, 0], [1, 2], [2, 1]], values, [3, 3])
    b = SparseTensor([[0, 0], [2, 2]], _f32(1.0, 2.0), [3, 3])
    summed = tf.sparse_add(a, b)
    filled, _ = tf.sparse_fill_empty_rows(SparseTensor([[0, 0], [2, 1]], values[:2], [4, 2]), 0.0)
    data = tf.reshape(tf.concat([values, values], 0), [3, 2])
    ids, segments = tf.constant([0, 2, 1]), tf.constant([0, 0, 1])
    segs = [tf.sparse_segment_sum(data, ids, segments), tf.sparse_segment_mean(data, ids, segments),
            tf.sparse_segment_sqrt_n(data, ids, segments)]
    total = tf.reduce_sum(summed.values) + tf.reduce_sum(filled.values) + tf.add_n([tf.reduce_sum(s) for s in segs])
    return [summed, filled, tf.gradients(total, values)[0]], {values: _f32(1.0, -2.0, 3.0)}


def _parsing():
    def example(i):
        return tf.train.Example(features=tf.train.Features(feature={
            "a": tf.train.Feature(int64_list=tf.train.Int64List(value=[i, i + 1])),
            "b": tf.train.Feature(float_list=tf.train.FloatList(value=[i / 2])),
        })).SerializeToString()

    serialized = tf.placeholder(tf.string, [None], name="serialized")
    spec = {"a": tf.VarLenFeature(tf.int64), "b": tf.FixedLenFeature([1], tf.float32)}
    batch = tf.parse_example(serialized, spec)
    single = tf.parse_single_example(serialized[0], spec)
    context, sequence = tf.io.parse_single_sequence_example(
        serialized[0], context_features={"b": tf.FixedLenFeature([1], tf.float32)},
        sequence_features={"s": tf.FixedLenSequenceFeature([], tf.int64, allow_missing=True)})
    csv = tf.decode_csv(tf.constant(["1,x,2.5", "3,y,0.5"]), [[0], [""], [0.0]])
    raw = tf.decode_raw(tf.constant([b"\x01\x00\x02\x00"]), tf.int16)
    words = tf.constant(["a b", "c  d e"])
    return [batch["a"], batch["b"], single["a"], single["b"], context["b"], sequence["s"], csv, raw,
            tf.string_split(words), tf.strings.split(words, sep=" ")], {serialized: np.array([example(1), example(3)],
                                                                                         dtype=object)}


def _resource_variables_and_tf2_ops():
    """What TensorFlow 2 writes into graphs and SavedModels: resource variables, ParseExampleV2, If."""
    handle = apply_op("VarHandleOp", name="rv", dtype=tf.float32, shape=[3], shared_name="rv")
    apply_op("AssignVariableOp", handle, tf.constant([1.0, 2.0, 3.0]), name="rv_init")
    bump = apply_op("AssignAddVariableOp", handle, tf.constant([0.5, 0.5, 0.5]), name="rv_bump")
    with tf.control_dependencies([bump]):
        bump = apply_op("AssignSubVariableOp", handle, tf.constant([0.25, 0.0, 0.0]), name="rv_dip")
    with tf.control_dependencies([bump]):
        bumped = apply_op("ReadVariableOp", handle, name="rv_read", dtype=tf.float32)
    gathered = apply_op("ResourceGather", handle, tf.constant([2, 0]), name="rv_gather", dtype=tf.float32)
    known = apply_op("VarIsInitializedOp", handle, name="rv_known")
    shape = apply_op("VariableShape", handle, name="rv_shape")
    serialized = tf.placeholder(tf.string, [None], name="serialized_v2")
    parsed = apply_op("ParseExampleV2", serialized, tf.constant([], tf.string), tf.constant(["a"]),
                      tf.constant(["b"]), tf.constant([], tf.string), tf.constant([0.0]), name="parse_v2",
                      num_sparse=1, sparse_types=[tf.int64], Tdense=[tf.float32], dense_shapes=[[1]],
                      ragged_value_types=[], ragged_split_types=[])
    pred = tf.placeholder(tf.bool, [], name="pred")
    x = tf.placeholder(tf.float32, [2], name="if_x")
    (chosen,) = tf.import_graph_def(_if_graph_def("StatelessIf"), input_map={"pred:0": pred, "x:0": x},
                                    return_elements=["if:0"], name="tf2")
    (taken,) = tf.import_graph_def(_if_graph_def("If"), input_map={"pred:0": tf.logical_not(pred), "x:0": x},
                                   return_elements=["if:0"], name="tf2_stateful")
    example = tf.train.Example(features=tf.train.Features(feature={
        "a": tf.train.Feature(int64_list=tf.train.Int64List(value=[4, 5])),
        "b": tf.train.Feature(float_list=tf.train.FloatList(value=[1.5]))})).SerializeToString()
    return [bumped, gathered, known, shape, *parsed, chosen, taken], {
        serialized: np.array([example, example], dtype=object), pred: False, x: _f32(1.0, 2.0)}


def _if_graph_def(op_type: str):
    from google.protobuf import text_format  # noqa: PLC0415 - only this recipe parses a text GraphDef

    from estflow.core.protos import graph_pb2  # noqa: PLC0415 - as above
    return text_format.Parse(IF_GRAPH_DEF.replace('op: "StatelessIf"', f'op: "{op_type}"'), graph_pb2.GraphDef())


# A TF2 `tf.cond` as TensorFlow writes it: then doubles x, else adds one.
IF_GRAPH_DEF = """
node { name: "pred" op: "Placeholder" attr { key: "dtype" value { type: DT_BOOL } } }
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "if" op: "StatelessIf" input: "pred" input: "x"
       attr { key: "Tcond" value { type: DT_BOOL } }
       attr { key: "Tin" value { list { type: DT_FLOAT } } }
       attr { key: "Tout" value { list { type: DT_FLOAT } } }
       attr { key: "then_branch" value { func { name: "cond_true_1" } } }
       attr { key: "else_branch" value { func { name: "cond_false_2" } } }
       attr { key: "output_shapes" value { list { shape { unknown_rank: true } } } } }
library {
  function {
    signature { name: "cond_true_1" input_arg { name: "x" type: DT_FLOAT } output_arg { name: "mul" type: DT_FLOAT } }
    node_def { name: "two" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
               attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 2.0 } } } }
    node_def { name: "m" op: "Mul" input: "x" input: "two:output:0" attr { key: "T" value { type: DT_FLOAT } } }
    ret { key: "mul" value: "m:z:0" }
  }
  function {
    signature { name: "cond_false_2" input_arg { name: "x" type: DT_FLOAT } output_arg { name: "add" type: DT_FLOAT } }
    node_def { name: "one" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
               attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 1.0 } } } }
    node_def { name: "a" op: "AddV2" input: "x" input: "one:output:0" attr { key: "T" value { type: DT_FLOAT } } }
    ret { key: "add" value: "a:z:0" }
  }
}
"""


def _hashing_and_tables():
    words = tf.placeholder(tf.string, [None], name="words")
    ids = tf.placeholder(tf.int64, [None], name="ids")
    sparse_words = SparseTensor([[0, 0], [1, 0], [1, 1]], words[:3], [2, 2])
    dense_ids = tf.reshape(ids[:2], [2, 1])
    crosses = [tf.sparse.cross([sparse_words, dense_ids]), tf.sparse.cross_hashed([sparse_words, dense_ids], 100),
               hash_ops.sparse_cross_hashed_v2([sparse_words, dense_ids], num_buckets=50)]
    hashes = [tf.string_to_hash_bucket_fast(words, 10), tf.string_to_hash_bucket_strong(words, 10, [1, 2]),
              tf.string_to_hash_bucket(words, 10)]
    table = tf.contrib.lookup.index_table_from_tensor(["a", "b", "c"], num_oov_buckets=1)
    vocab = tempfile.mkdtemp() + "/vocab.txt"
    with open(vocab, "w", encoding="utf-8") as f:
        f.write("c\nb\na\n")
    from_file = tf.contrib.lookup.index_table_from_file(vocab)
    static = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2]), default_value=-1)
    keys, values = static.export()
    raw = apply_op("HashTableV2", name="raw_table", key_dtype=tf.string, value_dtype=tf.int64, shared_name="raw")
    tf.add_to_collection(tf.GraphKeys.TABLE_INITIALIZERS,
                         apply_op("InitializeTableV2", raw, tf.constant(["b"]), tf.constant([5], tf.int64)))
    raw_found = apply_op("LookupTableFindV2", raw, words, tf.constant(-1, tf.int64))
    tf.tables_initializer(name="init")
    lookups = [table.lookup(words), from_file.lookup(words), static.lookup(words), static.size(), raw_found]
    return [*crosses, *hashes, *lookups, keys, values], {words: np.array([b"a", b"b", b"zz", b""], dtype=object),
                                                         ids: np.array([3, 7, 9], np.int64)}


def _queues_and_readers():
    """Queues, readers and CountUpTo: the setup fills the queues; each fetch runs after the one before."""
    folder = tempfile.mkdtemp()
    with tf.python_io.TFRecordWriter(folder + "/r.tfrecord") as w:
        for record in (b"first", b"second"):
            w.write(record)
    with open(folder + "/t.csv", "wb") as f:
        f.write(b"head\n1,2\n3,4\n")
    with open(folder + "/f.bin", "wb") as f:
        f.write(b"HHabcdefF")
    fifo = tf.FIFOQueue(5, [tf.int32, tf.string], shapes=[[2], []], name="fifo")
    padding = tf.PaddingFIFOQueue(4, [tf.int64], shapes=[[None]], name="padding")
    shuffle = tf.RandomShuffleQueue(8, 0, [tf.float32], shapes=[[]], seed=3, name="shuffle")
    names = {kind: tf.FIFOQueue(4, [tf.string], shapes=[[]], name=f"{kind}_files") for kind in ("rec", "txt", "fix",
                                                                                                "whole")}
    files = {"rec": "r.tfrecord", "txt": "t.csv", "fix": "f.bin", "whole": "t.csv"}
    setup = [fifo.enqueue_many([[[1, 2], [3, 4], [5, 6]], ["a", "b", "c"]])]
    with tf.control_dependencies([padding.enqueue([[1, 2, 3]])]):
        setup.append(padding.enqueue([[4]]))
    with tf.control_dependencies([shuffle.enqueue_many([[1.0, 2.0, 3.0, 4.0]])]):
        setup.append(shuffle.close())
    for kind, q in names.items():
        with tf.control_dependencies([q.enqueue([folder + "/" + files[kind]])]):
            setup.append(q.close())
    tf.group(*setup, name="queue_setup")
    readers = {"rec": tf.TFRecordReader(), "txt": tf.TextLineReader(skip_header_lines=1),
               "fix": tf.FixedLengthRecordReader(3, header_bytes=2, footer_bytes=1), "whole": tf.WholeFileReader()}
    counter = tf.Variable(np.int64(0), name="counter")
    out = []

    def after(make):
        with tf.control_dependencies([t for t in _flat(out[-1:]) if t is not None]):
            result = make()
        out.append(result)

    out.append(fifo.dequeue())
    after(lambda: fifo.dequeue_many(2))
    after(fifo.size)
    after(fifo.close)
    after(fifo.is_closed)
    after(lambda: padding.dequeue_many(2))
    after(lambda: shuffle.dequeue_up_to(3))
    after(lambda: readers["rec"].read(names["rec"]))
    after(lambda: readers["txt"].read_up_to(names["txt"], 5))
    after(lambda: readers["fix"].read_up_to(names["fix"], 4))
    after(lambda: readers["whole"].read(names["whole"]))
    after(lambda: [readers["txt"].num_records_produced(), readers["txt"].num_work_units_completed()])
    after(readers["txt"].reset)
    after(readers["txt"].num_records_produced)
    after(lambda: counter.count_up_to(3))
    return out, {}


def _clustering():
    points = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    idx, dist = clustering_ops.nearest_neighbors(points, points[:3], 2)
    seeds = clustering_ops.kmeans_plus_plus_initialization(points, 3, 5, -1)
    chain = clustering_ops.kmc2_chain_initialization([0.5, 2.0, 1.0], 3)
    return [idx, dist, seeds, chain], {}


def _unicode_ngrams_and_fingerprints():
    """tests/core/test_unicode_ops.py and test_fingerprint_ops.py: strings in, strings and bytes out."""
    words = tf.placeholder(tf.string, [None, None], name="words")
    points = tf.placeholder(tf.int32, [None, None], name="points")
    out = [tf.strings.ngrams(words, [1, 2], pad_values="<>"), tf.strings.unicode_encode(points, "UTF-16-BE"),
           tf.strings.unicode_script(points), tf.strings.unicode_transcode(words, "UTF-8", "UTF-32-BE"),
           tf.strings.unsorted_segment_join(words, [1, 0], 3, separator="."), tf.fingerprint(words),
           tf.timestamp() > 0]
    queue = tf.PriorityQueue(3, [tf.string], shapes=[[]], name="priorities")
    with tf.control_dependencies([queue.enqueue_many([[2, 1], ["b", "a"]])]):
        out.append(queue.dequeue())
    sparse = tf.SparseTensor([[0, 1], [2, 0]], words[0], [3, 2])
    out += [tf.io.deserialize_many_sparse(tf.io.serialize_many_sparse(sparse), tf.string),
            tf.io.serialize_sparse(sparse),
            tf.io.decode_compressed(tf.io.decode_compressed([zlib.compress(b"x")]), "ZLIB"),
            tf.io.decode_json_example(['{"features": {}}'])]
    return out, {words: np.array([["a", "b"], ["\xe9", "\xff"]], dtype=object),
                 points: np.array([[65, 0x416], [-1, 0x1F600]], np.int32)}


def _image_codecs():
    """tests/core/test_image_ops.py: PNG, JPEG, GIF and BMP encoded and decoded."""
    images = FIXTURES / "iox" / "images"
    png_bytes = tf.io.encode_png(tf.constant(np.arange(24, dtype=np.uint8).reshape(2, 4, 3)))
    jpeg = tf.io.encode_jpeg(tf.constant(np.full((8, 8, 3), 100, np.uint8)), quality=90)
    gif, bmp = (images / "still.gif").read_bytes(), (images / "rgb24.bmp").read_bytes()
    return [tf.io.decode_png(png_bytes), tf.io.decode_image(png_bytes, dtype=tf.float32), tf.io.decode_jpeg(jpeg),
            tf.io.decode_and_crop_jpeg(jpeg, [0, 0, 4, 4]), tf.io.extract_jpeg_shape(jpeg), tf.io.decode_gif(gif),
            tf.io.decode_bmp(bmp), tf.io.is_jpeg(jpeg)], {}


def _protos():
    """tests/core/test_proto_ops.py: fields of serialized protos in and out."""
    encoded = tf.io.encode_proto([[1, 1]], [[[2.5]], [["loss"]]], ["simple_value", "tag"], "tensorflow.Summary.Value")
    sizes, values = tf.io.decode_proto(encoded, "tensorflow.Summary.Value", ["tag", "simple_value"],
                                       [tf.string, tf.float64])
    return [encoded, sizes, values], {}


def _sequence_examples():
    """tests/core/test_sequence_parsing_ops.py: a batch of SequenceExamples."""
    from tests.core.test_sequence_parsing_ops import CONTEXT, RECORDS  # noqa: PLC0415 - the recipe's data

    sequence = {"tok": tf.io.FixedLenSequenceFeature([], tf.int64), "var": tf.io.VarLenFeature(tf.float32)}
    parsed = tf.io.parse_sequence_example(RECORDS, CONTEXT, sequence)
    return [value for outputs in parsed for value in outputs.values()], {}


def _stateless_random():
    seed = tf.placeholder(tf.int64, [2])
    logits = np.log([[0.2, 0.8], [0.5, 0.5]])
    return [tf.random.stateless_uniform([3], seed), tf.random.stateless_normal([2, 2], seed, dtype=tf.float64),
            tf.random.stateless_truncated_normal([5], seed), tf.random.stateless_uniform([4], seed, 1, 9, tf.int64),
            tf.random.stateless_uniform([2], seed, None, None, tf.uint32),
            tf.random.stateless_categorical(logits, 4, seed), tf.random.stateless_binomial([3], seed, 5.0, 0.5),
            tf.random.stateless_gamma([3], seed, 2.0), tf.random.stateless_poisson([3], seed, 2.0),
            tf.random.stateless_parameterized_truncated_normal([3], seed)], {seed: np.array([3, 4])}


def _approx_top_k():
    x = tf.placeholder(tf.float32, [2, 5])
    values, indices = tf.math.approx_max_k(x, 2)
    return [values, indices, tf.gradients(tf.reduce_sum(values), x)[0], tf.math.approx_min_k(x, 1, 0)[0]], \
        {x: np.array([[1.0, 5, 3, 5, 2], [0, -1, 7, 7, 2]], np.float32)}


def _index_shuffle():
    index = tf.placeholder(tf.int64, [None])
    return [tf.random_index_shuffle(index, [1, 2, 3], np.int64(20))], {index: np.arange(21)}


def _fractional_pools():
    x = tf.placeholder(tf.float32, [1, 5, 6, 2])
    outs = [tf.nn.fractional_max_pool(x, [1.0, 1.4, 1.7, 1.0], deterministic=True, seed=1, seed2=2)[0],
            tf.nn.fractional_avg_pool(x, [1.0, 1.4, 1.7, 1.0], True, True, True, seed=3, seed2=4)[0]]
    grads = tf.gradients(tf.add_n([tf.reduce_sum(o) for o in outs]), x)
    return outs + grads, {x: np.arange(60, dtype=np.float32).reshape(1, 5, 6, 2) % 7}


def _generator():
    gen = tf.random.Generator.from_seed(5)
    tf.random.Generator.from_non_deterministic_state()  # NonDeterministicInts: built, its state never fetched
    return [gen.normal([3]), gen.uniform([2], 0, 7, tf.int64), gen.binomial([4], 5.0, 0.5)], {}


def _more_samplers():
    labels = np.array([[0, 3], [4, 2]], np.int64)
    return [tf.nn.all_candidate_sampler(labels, 2, 6, True, seed=1)[1],
            tf.nn.fixed_unigram_candidate_sampler(labels, 2, 3, False, 5, unigrams=[1.0, 2, 3, 4, 5], seed=2)[1],
            tf.nn.learned_unigram_candidate_sampler(labels, 2, 3, False, 10, seed=3)[1]], {}


RECIPES = [
    Recipe("variables, Adam, report_uninitialized_variables", _variables, setup=("init",)),
    Recipe("every optimizer, dense and sparse", _optimizers, setup=("init",)),
    Recipe("scatter and assign updates", _scatters, setup=("init",)),
    Recipe("seeded random ops", _random),
    Recipe("stateless random ops", _stateless_random),
    Recipe("tf.random.Generator", _generator, setup=("init",)),
    Recipe("ApproxTopK and its gradient", _approx_top_k),
    Recipe("RandomIndexShuffle", _index_shuffle),
    Recipe("fractional pools and their gradients", _fractional_pools),
    Recipe("candidate samplers", _samplers),
    Recipe("all, fixed and learned unigram samplers", _more_samplers),
    Recipe("summaries", _summaries),
    Recipe("save and restore, sharded", _save_restore, setup=("init",)),
    Recipe("cond, while_loop and its gradient, Assert", _control_flow, setup=("init",)),
    Recipe("TF's StatelessWhile", _stateless_while),
    Recipe("TensorArray ops in a while_loop and its gradient", _tensor_arrays),
    Recipe("CTC loss and decoders, edit distance", _ctc_and_edit_distance),
    Recipe("Print, print, strings.format and EnsureShape", _printing),
    Recipe("matrix decompositions and solvers", _matrices),
    Recipe("matrix functions, LU and tridiagonal solvers", _matrix_functions),
    Recipe("files, base64 and serialized tensors", _files_and_serialized_values),
    Recipe("segment max, min and prod", _segment_reductions),
    Recipe("gamma and Poisson samples", _gamma_and_poisson),
    Recipe("iterator handles", _iterator_handles, fails=("next:0",)),
    Recipe("optionals and iterator states", _optionals, fails=("next_has_value:0", "serialized:0")),
    Recipe("math leftovers", _math_leftovers),
    Recipe("sparse gradients", _sparse_gradients),
    Recipe("parsing", _parsing),
    Recipe("hashing, crosses and lookup tables", _hashing_and_tables, setup=("init",)),
    Recipe("resource variables, ParseExampleV2, If", _resource_variables_and_tf2_ops, setup=("rv_init",)),
    Recipe("queues, readers and CountUpTo", _queues_and_readers, setup=("init", "queue_setup")),
    Recipe("k-means clustering ops", _clustering),
    Recipe("unicode, n-grams, fingerprints, PriorityQueue, serialized values", _unicode_ngrams_and_fingerprints),
    Recipe("image codecs", _image_codecs),
    Recipe("decode_proto and encode_proto", _protos),
    Recipe("parse_sequence_example", _sequence_examples),
    Recipe("stitch, scatter_nd, sparse reductions and counts, conv v2", stitch_round_trip, setup=("init",)),
    Recipe("accumulators, session handles, IdentityReader", accumulator_round_trip, setup=("queue_setup",)),
    Recipe("special functions and their gradients", test_special_math_ops.round_trip),
    Recipe("complex numbers and their gradients", test_complex_ops.round_trip),
    Recipe("fast Fourier transforms", test_fft_ops.round_trip),
    Recipe("Bitcast and bfloat16 casts", test_cast_ops.round_trip),
    Recipe("the Sobol sequence", test_sobol_ops.round_trip),
]


def _all_recipes() -> list[Recipe]:
    return _table_recipes() + RECIPES


def _build(recipe: Recipe):
    g = tf.Graph()
    with g.as_default():
        fetches, feed = recipe.build()
        if recipe.setup:
            tf.global_variables_initializer()
    return g, _flat(fetches), feed


def _exported_types(graph_def) -> set:
    return {n.op for n in graph_def.node} | {n.op for f in graph_def.library.function for n in f.node_def}


def _same(a, b, label):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, f"{label}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
    np.testing.assert_array_equal(a, b, err_msg=label)


@pytest.mark.parametrize("recipe", _all_recipes(), ids=lambda r: r.label)
def test_round_trip(recipe):
    g, fetches, feed = _build(recipe)
    graph_def = g.as_graph_def()
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(graph_def, name="")
    names = [f.name for f in fetches]
    feed_by_name = {p.name: v for p, v in feed.items()}
    results, failures = [], []
    for graph in (g, g2):
        with tf.Session(graph=graph) as sess:
            for op in recipe.setup:
                sess.run(op)
            results.append(sess.run(names, feed_by_name))
            failures.append([_error_of(sess, name) for name in recipe.fails])
    for name, a, b in zip(names, *results, strict=True):
        if isinstance(a, Operation):
            continue
        _same(a, b, f"{recipe.label}: {name}")
    assert failures[0] == failures[1] and all(failures[0]), failures


def _error_of(sess, name):
    try:
        sess.run(name)
    except tf.errors.OpError as e:
        return type(e).__name__
    return None


# Op types no recipe can round-trip, and why.
_PYTHON_PIPELINE = ("holds a tf.data pipeline of Python objects, which no GraphDef can hold: exporting raises "
                    "UnexportableGraphError (tests/data/test_iterators.py)")
NOT_ROUND_TRIPPABLE = {
    "MakeIterator": _PYTHON_PIPELINE,
    "OneShotIterator": _PYTHON_PIPELINE,
    "ReduceDataset": _PYTHON_PIPELINE,
    "DatasetCardinality": _PYTHON_PIPELINE,
    "DatasetToSingleElement": _PYTHON_PIPELINE,
    "DatasetToTFRecord": _PYTHON_PIPELINE,
    "InitializeTableFromDataset": _PYTHON_PIPELINE,
}
_PYTHON_FUNCTION = ("runs a Python function of this process, which no GraphDef can hold: exporting raises "
                    "UnexportableGraphError (tests/core/test_script_ops.py)")
NOT_ROUND_TRIPPABLE.update({"PyFunc": _PYTHON_FUNCTION, "PyFuncStateless": _PYTHON_FUNCTION,
                            "EagerPyFunc": _PYTHON_FUNCTION})


def _defined_by_estflow(op_def) -> bool:
    parts = [op_def.infer, op_def.kernel, op_def.make_kernel, op_def.grad]
    return all(getattr(f, "__module__", "estflow.").startswith("estflow.") for f in parts if f is not None)


def test_every_registered_op_round_trips_or_says_why():
    covered = set()
    for recipe in _all_recipes():
        g, _, _ = _build(recipe)
        covered |= _exported_types(g.as_graph_def())
    # estflow's own ops (other tests register ops of their own, defined in tests/)
    registered = {name for name, op_def in registry.registered_ops().items() if _defined_by_estflow(op_def)}
    missing = sorted(registered - covered - set(NOT_ROUND_TRIPPABLE))
    assert missing == [], f"{len(missing)} op types have no round-trip recipe and no reason: {missing}"
    stale = sorted(set(NOT_ROUND_TRIPPABLE) & covered)
    assert stale == [], f"listed as not round-trippable but covered: {stale}"


TF_OP_DEFS = Path(__file__).resolve().parents[2].parent / "shared" / "golden" / "api" / "tf_op_defs.json"


@pytest.mark.skipif(not TF_OP_DEFS.exists(), reason="needs ../shared/golden (TF's op definitions)")
def test_exported_graphs_hold_only_tensorflow_op_types_and_attrs():
    """What estflow writes, TensorFlow 2.15 can read: op types and attr names from TF's own registry."""
    tf_ops = json.loads(TF_OP_DEFS.read_text())
    unknown_types, unknown_attrs = set(), set()
    for recipe in _all_recipes():
        g, _, _ = _build(recipe)
        graph_def = g.as_graph_def(add_shapes=True)
        for node in [*graph_def.node, *(n for f in graph_def.library.function for n in f.node_def)]:
            op = tf_ops.get(node.op)
            if op is None:
                unknown_types.add(node.op)
                continue
            names = {a["name"] for a in op.get("attrs", [])}
            unknown_attrs |= {(node.op, k) for k in node.attr if not k.startswith("_") and k not in names}
    assert unknown_types == set() and unknown_attrs == set()
