"""tf.data.Dataset: sources, transformations and their TF1 semantics (run through one-shot iterators)."""

import os

import numpy as np
import pytest

import estflow as tf
from estflow.core.sparse_tensor import SparseTensorValue
from estflow.data import runtime
from estflow.data.dataset_ops import Dataset

D = Dataset


def collect(ds, limit=10_000):
    """Every element of `ds`, in a fresh graph and session."""
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    out = []
    with tf.Session() as sess:
        for _ in range(limit):
            try:
                out.append(sess.run(nxt))
            except tf.errors.OutOfRangeError:
                return out
    raise AssertionError("dataset did not end")


def ints(values):
    return [int(v) for v in values]


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def no_fusion(ds):
    options = tf.data.Options()
    options.experimental_optimization.map_and_batch_fusion = False
    return ds.with_options(options)


# ---- sources ---------------------------------------------------------------------------------------
def test_from_tensor_slices_tuple_dict_and_specs():
    ds = D.from_tensor_slices(({"a": np.arange(3), "b": np.array([1.5, 2.5, 3.5], np.float32)}, [b"x", b"y", b"z"]))
    assert ds.output_types == ({"a": tf.int64, "b": tf.float32}, tf.string)
    assert ds.output_shapes == ({"a": tf.TensorShape([]), "b": tf.TensorShape([])}, tf.TensorShape([]))
    got = collect(ds)
    assert [int(e[0]["a"]) for e in got] == [0, 1, 2]
    assert [e[1] for e in got] == [b"x", b"y", b"z"]


def test_lists_are_tensors_not_structures():
    ds = D.from_tensor_slices([[1, 2], [3, 4]])
    assert ds.output_shapes == tf.TensorShape([2]) and ds.output_types == tf.int32
    assert [list(x) for x in collect(ds)] == [[1, 2], [3, 4]]
    assert D.from_tensor_slices([1.0, 2.0]).output_types == tf.float32  # TF1's Python float -> float32


def test_from_tensor_slices_rejects_scalars_and_mismatched_lengths():
    with pytest.raises(ValueError):
        D.from_tensor_slices(np.float32(1.0))
    with pytest.raises(ValueError):
        D.from_tensor_slices((np.arange(3), np.arange(4)))


def test_from_tensor_slices_of_graph_tensor_and_pandas():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"age": [30, 40], "city": ["ny", "sf"]})
    ds = D.from_tensor_slices(dict(frame))
    assert ds.output_types == {"age": tf.int64, "city": tf.string}
    assert [(int(e["age"]), e["city"]) for e in collect(ds)] == [(30, b"ny"), (40, b"sf")]
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert [list(x) for x in collect(D.from_tensor_slices(t).map(lambda r: r * 2.0))] == [[2, 4], [6, 8]]


def test_from_tensors_single_element():
    ds = D.from_tensors((np.arange(3), "s"))
    assert ds.output_shapes == (tf.TensorShape([3]), tf.TensorShape([]))
    [(a, s)] = collect(ds)
    assert list(a) == [0, 1, 2] and s == b"s"


def test_range_forms():
    assert ints(collect(D.range(4))) == [0, 1, 2, 3]
    assert ints(collect(D.range(2, 5))) == [2, 3, 4]
    assert ints(collect(D.range(1, 10, 3))) == [1, 4, 7]
    assert ints(collect(D.range(5, 1, -2))) == [5, 3]
    assert D.range(3).output_types == tf.int64


def test_from_generator_types_shapes_args_and_errors():
    def gen(n):
        for i in range(int(n)):
            yield i, [1] * i

    ds = D.from_generator(gen, (tf.int64, tf.int32), (tf.TensorShape([]), tf.TensorShape([None])), args=(3,))
    got = collect(ds)
    assert [int(a) for a, _ in got] == [0, 1, 2] and [list(b) for _, b in got] == [[], [1], [1, 1]]
    assert got[1][1].dtype == np.int32

    bad_shape = D.from_generator(lambda: iter([[1, 2, 3]]), tf.int64, tf.TensorShape([2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="where an element of shape"):
        collect(bad_shape)
    bad_structure = D.from_generator(lambda: iter([3]), (tf.int64, tf.int64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="did not match the expected structure"):
        collect(bad_structure)
    with pytest.raises(TypeError):
        D.from_generator(3, tf.int64)


def test_from_generator_restarts_for_each_repeat():
    calls = []

    def gen():
        calls.append(1)
        yield from range(2)

    assert ints(collect(D.from_generator(gen, tf.int64).repeat(3))) == [0, 1] * 3
    assert len(calls) == 3


def test_zip_and_concatenate():
    z = D.zip((D.range(3), D.range(10, 20)))
    assert [(int(a), int(b)) for a, b in collect(z)] == [(0, 10), (1, 11), (2, 12)]
    zd = D.zip({"x": D.range(2), "y": D.from_tensor_slices(np.array([5.0, 6.0]))})
    assert [(int(e["x"]), float(e["y"])) for e in collect(zd)] == [(0, 5.0), (1, 6.0)]
    c = D.from_tensor_slices(np.zeros((2, 3))).concatenate(D.from_tensor_slices(np.ones((1, 4))))
    assert c.output_shapes == tf.TensorShape([None])
    assert [len(x) for x in collect(c)] == [3, 3, 4]
    with pytest.raises(TypeError, match="different types"):
        D.range(3).concatenate(D.from_tensor_slices(np.zeros(3, np.float32)))


def test_list_files(tmp_path):
    for name in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / name).write_text("x")
    pattern = str(tmp_path / "*.txt")
    assert collect(D.list_files(pattern, shuffle=False)) == [os.path.join(str(tmp_path), n).encode() for n in
                                                            ("a.txt", "b.txt")]
    assert sorted(collect(D.list_files(pattern, seed=1))) == sorted(collect(D.list_files(pattern, shuffle=False)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched pattern"):
        collect(D.list_files(str(tmp_path / "*.nothing")))


# ---- map / filter / flat_map / interleave --------------------------------------------------------------
def test_map_tuple_unpacked_dict_as_one_argument():
    ds = D.from_tensor_slices((np.arange(3), np.arange(3) * 10))
    assert [(int(a), int(b)) for a, b in collect(ds.map(lambda a, b: (b, a)))] == [(0, 0), (10, 1), (20, 2)]
    dd = D.from_tensor_slices({"x": np.arange(3.0), "y": np.ones(3)})
    out = dd.map(lambda e: {"s": e["x"] + e["y"], "x": e["x"]})
    assert out.output_types == {"s": tf.float64, "x": tf.float64}
    assert [float(e["s"]) for e in collect(out)] == [1.0, 2.0, 3.0]


def test_map_returning_list_gives_tuple_and_constants_broadcast():
    ds = D.range(3).map(lambda x: [x, tf.constant(7)])
    assert isinstance(ds.element_spec, tuple)
    got = collect(ds.batch(2))
    assert list(got[0][1]) == [7, 7] and list(got[1][0]) == [2]


def test_map_captures_outer_tensors_evaluated_at_initialization():
    scale = tf.constant(3, tf.int64)
    v = tf.Variable(np.int64(5))
    it = tf.data.make_initializable_iterator(D.range(3).map(lambda x: x * scale + v))
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(it.initializer)
        assert [int(sess.run(nxt)) for _ in range(2)] == [5, 8]
        sess.run(v.assign(100))
        sess.run(it.initializer)
        assert int(sess.run(nxt)) == 100


def test_map_with_cond_runs_per_element():
    ds = D.range(4).map(lambda x: tf.cond(tf.equal(x % 2, 0), lambda: x * 10, lambda: -x))
    assert not ds._fn.row_safe
    assert ints(collect(ds)) == [0, -1, 20, -3]
    assert [ints(b) for b in collect(ds.batch(3))] == [[0, -1, 20], [-3]]


def test_filter_scalar_predicate():
    assert ints(collect(D.range(10).filter(lambda x: tf.equal(x % 3, 0)))) == [0, 3, 6, 9]
    with pytest.raises(ValueError, match="scalar boolean"):
        D.range(3).filter(lambda x: x)


def test_flat_map_and_interleave_doc_example():
    assert ints(collect(D.range(4).flat_map(lambda x: D.range(x)))) == [0, 0, 1, 0, 1, 2]
    a = D.range(1, 6)
    got = a.interleave(lambda x: D.from_tensors(x).repeat(6), cycle_length=2, block_length=4)
    # TF's documented order (tf.data.Dataset.interleave, TF 1.15).
    assert ints(collect(got)) == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 4, 4, 5, 5, 5, 5,
                                  5, 5]


def test_interleave_uneven_inner_lengths_and_nested_capture():
    offset = tf.constant(100, tf.int64)
    got = D.range(1, 4).interleave(lambda x: D.range(x).map(lambda y: y + offset * x), cycle_length=2)
    assert ints(collect(got)) == [100, 200, 201, 300, 301, 302]


# ---- batch / padded_batch / unbatch --------------------------------------------------------------------
def test_batch_shapes_and_remainder():
    ds = D.from_tensor_slices(np.arange(20, dtype=np.float32).reshape(10, 2))
    b = ds.batch(4)
    assert b.output_shapes == tf.TensorShape([None, 2])
    assert [x.shape for x in collect(b)] == [(4, 2), (4, 2), (2, 2)]
    bd = ds.batch(4, drop_remainder=True)
    assert bd.output_shapes == tf.TensorShape([4, 2])
    assert [x.shape for x in collect(bd)] == [(4, 2), (4, 2)]


def test_batch_across_repeat_epochs_and_strings():
    got = collect(D.from_tensor_slices(np.array(["a", "b", "c"])).repeat(2).batch(4))
    assert [list(x) for x in got] == [[b"a", b"b", b"c", b"a"], [b"b", b"c"]]
    assert got[0].dtype == object


def test_batch_of_different_shapes_fails_as_tf():
    ds = D.from_generator(lambda: iter([[1, 2], [1, 2, 3]]), tf.int64, tf.TensorShape([None])).batch(2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot batch tensors with different shapes in "
                                                             "component 0"):
        collect(ds)


def test_padded_batch():
    ds = D.range(1, 5).map(lambda x: tf.fill([tf.cast(x, tf.int32)], x))
    got = collect(ds.padded_batch(2, padded_shapes=[None]))
    assert [x.tolist() for x in got] == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    fixed = ds.padded_batch(4, padded_shapes=[5], padding_values=np.int64(-1), drop_remainder=True)
    assert fixed.output_shapes == tf.TensorShape([4, 5])
    assert collect(fixed)[0][0].tolist() == [1, -1, -1, -1, -1]
    too_small = ds.padded_batch(4, padded_shapes=[3])
    with pytest.raises(tf.errors.DataLossError, match="smaller size"):
        collect(too_small)


def test_padded_batch_nested_and_strings():
    def gen():
        yield ["a"], 1
        yield ["b", "c"], 2

    ds = D.from_generator(gen, (tf.string, tf.int32), ([None], []))
    [(words, nums)] = collect(ds.padded_batch(2, padded_shapes=([None], [])))
    assert words.tolist() == [[b"a", b""], [b"b", b"c"]] and nums.tolist() == [1, 2]


def test_unbatch():
    ds = D.range(7).batch(3).unbatch()
    assert ds.output_shapes == tf.TensorShape([])
    assert ints(collect(ds)) == list(range(7))
    with pytest.raises(ValueError, match="scalar"):
        D.range(3).unbatch()


def test_sparse_elements_slice_batch_and_map():
    st = tf.SparseTensor(indices=[[0, 0], [1, 2], [2, 1]], values=[1.0, 2.0, 3.0], dense_shape=[3, 4])
    ds = D.from_tensor_slices(st)
    assert ds.output_classes == tf.SparseTensor and ds.output_shapes == tf.TensorShape([4])
    rows = collect(ds)
    assert isinstance(rows[0], SparseTensorValue) and rows[1].indices.tolist() == [[2]]
    batches = collect(ds.batch(2))
    assert batches[0].indices.tolist() == [[0, 0], [1, 2]] and batches[0].dense_shape.tolist() == [2, 4]
    doubled = collect(ds.map(lambda s: s.with_values(s.values * 2.0)))
    assert doubled[2].values.tolist() == [6.0]


# ---- shuffle ---------------------------------------------------------------------------------------------
def test_shuffle_is_a_permutation_and_seeded_reproducible():
    a = ints(collect(D.range(50).shuffle(10, seed=7)))
    b = ints(collect(D.range(50).shuffle(10, seed=7)))
    assert sorted(a) == list(range(50)) and a == b and a != list(range(50))
    assert ints(collect(D.range(50).shuffle(10, seed=8))) != a


def test_shuffle_reshuffles_each_iteration_unless_told_not_to():
    epochs = ints(collect(D.range(20).shuffle(20, seed=1).repeat(2)))
    assert epochs[:20] != epochs[20:] and sorted(epochs[:20]) == sorted(epochs[20:])
    same = ints(collect(D.range(20).shuffle(20, seed=1, reshuffle_each_iteration=False).repeat(2)))
    assert same[:20] == same[20:]


def test_shuffle_buffer_semantics_small_buffer():
    # buffer_size=1 keeps the order; with a buffer of b, element i can't come out before position i-b+1.
    assert ints(collect(D.range(10).shuffle(1, seed=3))) == list(range(10))
    got = ints(collect(D.range(100).shuffle(5, seed=3)))
    assert all(pos >= value - 4 for pos, value in enumerate(got))


def test_graph_seed_makes_shuffle_reproducible():
    tf.set_random_seed(42)
    a = ints(collect(D.range(30).shuffle(30)))
    with tf.Graph().as_default():
        tf.set_random_seed(42)
        b = ints(collect(D.range(30).shuffle(30)))
    assert a == b


def test_vectorized_and_per_element_shuffle_agree():
    ds = D.range(300).map(lambda x: (x, tf.cast(x, tf.float32))).shuffle(37, seed=5)
    fast = collect(ds.batch(16))
    assert ds._vectorized
    ds._vectorized = False
    slow = collect(ds.batch(16))
    assert len(fast) == len(slow)
    for (a, b), (c, d) in zip(fast, slow, strict=True):
        assert a.tolist() == c.tolist() and b.tolist() == d.tolist()


# ---- repeat / take / skip / shard / cache / prefetch ---------------------------------------------------
def test_repeat_take_skip():
    assert ints(collect(D.range(3).repeat(2))) == [0, 1, 2, 0, 1, 2]
    assert ints(collect(D.range(3).repeat().take(7))) == [0, 1, 2, 0, 1, 2, 0]
    assert ints(collect(D.range(10).skip(3).take(4))) == [3, 4, 5, 6]
    assert ints(collect(D.range(5).take(-1))) == [0, 1, 2, 3, 4]
    assert ints(collect(D.range(5).skip(-1))) == []
    assert collect(D.range(0).repeat()) == []  # an empty dataset repeated forever ends


def test_shard():
    assert ints(collect(D.range(10).shard(3, 1))) == [1, 4, 7]
    assert [ints(b) for b in collect(D.range(10).shard(3, 0).batch(2))] == [[0, 3], [6, 9]]
    with pytest.raises(ValueError):
        D.range(10).shard(2, 2)


def test_cache_in_memory_replays():
    calls = []

    def gen():
        calls.append(1)
        yield from range(3)

    assert ints(collect(D.from_generator(gen, tf.int64).cache().repeat(3))) == [0, 1, 2] * 3
    assert len(calls) == 1


def test_cache_to_file_is_reused(tmp_path):
    path = str(tmp_path / "cache" / "data")
    source = D.from_tensor_slices({"x": np.arange(5), "s": np.array(["a", "b", "c", "d", "e"])})
    first = collect(source.cache(path))
    assert os.path.exists(path + ".index")
    calls = []

    def gen():
        calls.append(1)
        yield {"x": 0, "s": "zzz"}

    other = D.from_generator(gen, {"x": tf.int64, "s": tf.string}, {"x": [], "s": []}).cache(path)
    second = collect(other)
    assert calls == [] and [(int(e["x"]), e["s"]) for e in second] == [(int(e["x"]), e["s"]) for e in first]


def test_prefetch_preserves_order_and_errors():
    assert ints(collect(D.range(100).map(lambda x: x + 1).prefetch(3))) == list(range(1, 101))
    assert [ints(b) for b in collect(D.range(10).batch(4).prefetch(tf.data.experimental.AUTOTUNE))] == \
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    bad = D.from_generator(lambda: iter([[1], [1, 2]]), tf.int64, tf.TensorShape([None])).batch(2).prefetch(1)
    with pytest.raises(tf.errors.InvalidArgumentError):
        collect(bad)


def test_apply_reduce_enumerate_with_options():
    assert ints(collect(D.range(4).apply(lambda d: d.map(lambda x: x * x)))) == [0, 1, 4, 9]
    with pytest.raises(TypeError):
        D.range(4).apply(lambda d: 3)
    total = D.range(5).reduce(np.int64(0), lambda s, x: s + x)
    pair = D.from_tensor_slices(np.arange(4.0)).reduce((np.float64(0), np.int64(0)), lambda s, x: (s[0] + x, s[1] + 1))
    with tf.Session() as sess:
        assert int(sess.run(total)) == 10
        assert sess.run(pair) == (6.0, 4)
    assert [(int(i), int(x)) for i, x in collect(D.range(10, 12).enumerate(3))] == [(3, 10), (4, 11)]
    assert ints(collect(no_fusion(D.range(3)))) == [0, 1, 2]


def test_iterating_in_python_is_an_error():
    with pytest.raises(RuntimeError, match="eager"):
        iter(D.range(3))


# ---- fused map+batch -------------------------------------------------------------------------------------
def _tabular_map(e):
    return {
        "age": tf.cast(e["age"], tf.float32) / 100.0,
        "income": tf.log1p(tf.maximum(e["income"], 0.0)),
        "flag": tf.cast(tf.greater(e["age"], 40), tf.int32),
        "city": tf.strings.join([e["city"], "-x"]),
        "both": tf.where(tf.less(e["income"], 50.0), e["income"], -e["income"]),
    }


def _tabular():
    rng = np.random.default_rng(0)
    n = 1000
    return {"age": rng.integers(18, 90, n), "income": rng.normal(50, 30, n).astype(np.float32),
            "city": rng.choice(np.array(["ny", "sf", "la"]), n)}


def test_fused_and_unfused_map_batch_agree():
    data = _tabular()
    ds = D.from_tensor_slices(data).map(_tabular_map)
    assert ds._fn.row_safe
    fused = collect(ds.batch(256))
    plain = collect(no_fusion(ds.batch(256)))
    assert len(fused) == len(plain) == 4
    for a, b in zip(fused, plain, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
            np.testing.assert_array_equal(a[k], b[k])


def test_fused_map_over_generator_and_filter_agree():
    def gen():
        for i in range(50):
            yield i, float(i) / 2

    base = D.from_generator(gen, (tf.int64, tf.float32), ([], []))
    pipeline = (base.map(lambda a, b: (a * 2, b + 1.0)).filter(lambda a, b: tf.greater(b, 5.0))
                .map(lambda a, b: tf.stack([tf.cast(a, tf.float32), b], axis=-1)).batch(8))
    fused = collect(pipeline)
    plain = collect(no_fusion(pipeline))
    assert [x.tolist() for x in fused] == [x.tolist() for x in plain]
    assert fused[0].shape == (8, 2)


def test_row_safety_analysis():
    ds = D.from_tensor_slices(np.zeros((4, 3), np.float32))
    assert ds.map(lambda x: x * 2.0 + 1.0)._fn.row_safe
    assert ds.map(lambda x: tf.reduce_sum(x, axis=-1))._fn.row_safe
    assert not ds.map(lambda x: tf.reduce_sum(x))._fn.row_safe
    assert not ds.map(lambda x: tf.reshape(x, [3, 1]))._fn.row_safe
    assert not ds.map(lambda x: x + tf.random_uniform([3]))._fn.row_safe
    assert not ds.map(lambda x: x + tf.zeros([2, 3]))._fn.row_safe  # would broadcast into the batch dim


def test_chunk_helpers():
    chunks = iter([[np.arange(3)], [np.arange(3, 8)]])
    stream = runtime.Rechunker(chunks)
    assert stream.take(4)[0].tolist() == [0, 1, 2, 3]
    assert stream.take(10)[0].tolist() == [4, 5, 6, 7]
    assert stream.take(1) is None
    strings = runtime.stack([np.array(b"a", dtype=object), np.array(b"bc", dtype=object)])
    assert strings.dtype == object and strings.tolist() == [b"a", b"bc"]


def test_decode_csv_map_is_fused_and_matches_per_element():
    parsing = pytest.importorskip("estflow.core.ops.parsing_ops")
    lines = np.array([f"{i},{i * 0.5},name{i}" for i in range(20)] + ["7,,x"])

    def parse(line):
        a, b, c = parsing.decode_csv(line, record_defaults=[[0], [-1.0], [""]])
        return {"a": a, "b": b, "c": c}

    ds = D.from_tensor_slices(lines).map(parse)
    assert ds._fn.row_safe
    fused = collect(ds.batch(8))
    plain = collect(no_fusion(ds.batch(8)))
    for x, y in zip(fused, plain, strict=True):
        for k in ("a", "b", "c"):
            assert x[k].dtype == y[k].dtype
            np.testing.assert_array_equal(x[k], y[k])
    assert fused[-1]["b"].tolist()[-1] == -1.0 and fused[0]["c"][1] == b"name1"


def test_experimental_transformations():
    exp = tf.data.experimental
    assert ints(collect(D.range(6).batch(4).apply(exp.unbatch()))) == list(range(6))
    assert [ints(b) for b in collect(D.range(5).apply(exp.map_and_batch(lambda x: x * 2, 2)))] == [[0, 2], [4, 6],
                                                                                                  [8]]
    got = ints(collect(D.range(5).apply(exp.shuffle_and_repeat(5, count=2, seed=1))))
    assert sorted(got) == sorted(list(range(5)) * 2)
    assert [(int(i), int(x)) for i, x in collect(D.range(7, 9).apply(exp.enumerate_dataset()))] == [(0, 7), (1, 8)]


def test_source_dataset_hook_for_new_readers():
    from estflow.data.sources import SourceDataset
    from estflow.data.structure import TensorSpec

    def lines(prefix):
        for i in range(5):
            yield [np.array(prefix.item() + str(i).encode(), dtype=object)]

    def line_chunks(prefix, hint):
        values = np.array([prefix.item() + str(i).encode() for i in range(5)], dtype=object)
        for start in range(0, 5, hint):
            yield [values[start:start + hint]]

    prefix = tf.constant("line")
    per_element = SourceDataset(TensorSpec([], tf.string), lines, inputs=[prefix])
    chunked = SourceDataset(TensorSpec([], tf.string), lines, inputs=[prefix], make_chunks=line_chunks)
    expected = [b"line0", b"line1", b"line2", b"line3", b"line4"]
    assert collect(per_element) == collect(chunked) == expected
    assert [b.tolist() for b in collect(chunked.batch(2))] == [expected[:2], expected[2:4], expected[4:]]
    up = per_element.map(lambda s: tf.strings.upper(s) if hasattr(tf.strings, "upper") else s).batch(5)
    assert len(collect(up)[0]) == 5


def test_options_merge():
    options = tf.data.Options()
    options.experimental_optimization.map_and_batch_fusion = False
    ds = D.range(3).with_options(options).map(lambda x: x + 1)
    assert ds.options().experimental_optimization.map_and_batch_fusion is False
    assert D.range(3).options().experimental_optimization.map_and_batch_fusion is None
    with pytest.raises(TypeError):
        D.range(3).with_options({"fusion": False})


def test_generator_exceptions_map_as_tf_py_func_does():
    import estflow as tf

    def raising(kind):
        def gen():
            yield 1
            raise kind("boom")

        return gen

    for kind, expected in ((KeyError, tf.errors.UnknownError), (ValueError, tf.errors.InvalidArgumentError),
                           (NotImplementedError, tf.errors.UnimplementedError)):
        g = tf.Graph()
        with g.as_default():
            nxt = tf.compat.v1.data.make_one_shot_iterator(
                tf.data.Dataset.from_generator(raising(kind), tf.int64)).get_next()
            with tf.Session() as sess:
                assert sess.run(nxt) == 1
                with pytest.raises(expected, match="boom"):
                    sess.run(nxt)


def test_map_and_batch_parallelism_arguments_as_tf1():
    exp = tf.data.experimental
    with pytest.raises(ValueError, match="mutually exclusive"):
        exp.map_and_batch(lambda x: x, 2, num_parallel_batches=2, num_parallel_calls=4)
    batches = collect(D.range(5).apply(exp.map_and_batch(lambda x: x + 1, 2, num_parallel_batches=3)))
    assert [ints(b) for b in batches] == [[1, 2], [3, 4], [5]]
