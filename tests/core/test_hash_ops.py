"""Hashing ops against the ids real TensorFlow 2.15 computed (tests/fixtures/hashing/manifest.json,
a copy of ../shared/golden/hashing/manifest.json), plus crosses' order, errors and GraphDef round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors, hashing, plan
from estflow.core.ops import hash_ops
from estflow.core.plan import Compiler
from tests import FIXTURES
from tests.core.test_hashing import _cat64  # FingerprintCat64 in Python integers

MANIFEST = json.loads((FIXTURES / "hashing" / "manifest.json").read_text())
STRINGS = [bytes.fromhex(s["hex"]) for s in MANIFEST["strings"]]
KEY = MANIFEST["strong_key"]


def _objects(items) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _rows(sp, batch):
    rows = [[] for _ in range(batch)]
    for (i, _), v in zip(sp.indices.tolist(), sp.values.tolist(), strict=True):
        rows[i].append(v)
    return rows


# ---- StringToHashBucket* -----------------------------------------------------------------------
@pytest.mark.usefixtures("g")
def test_hash_bucket_ops_give_tensorflows_ids_for_every_golden_string():
    x = tf.placeholder(tf.string, [None])
    fetches = {n: (tf.string_to_hash_bucket_fast(x, n), tf.strings.to_hash_bucket_strong(x, n, KEY),
                   tf.string_to_hash_bucket(x, n)) for n in MANIFEST["num_buckets"]}
    got = _run(fetches, {x: _objects(STRINGS)})
    for n, (fast, strong, legacy) in got.items():
        key = str(n)
        assert fast.tolist() == [s["to_hash_bucket_fast"][key] for s in MANIFEST["strings"]]
        assert strong.tolist() == [s["to_hash_bucket_strong"][key] for s in MANIFEST["strings"]]
        assert legacy.tolist() == [s["string_to_hash_bucket"][key] for s in MANIFEST["strings"]]
        assert fast.dtype == strong.dtype == legacy.dtype == np.int64


@pytest.mark.usefixtures("g")
def test_hash_buckets_keep_the_shape_and_hash_integers_as_their_decimal_text():
    rows = MANIFEST["int64_hash_bucket_column"]["rows"]
    ints = tf.placeholder(tf.int64, [None])
    ids = tf.strings.to_hash_bucket_fast(tf.as_string(ints), 1000)
    got = _run(ids, {ints: np.array([r["value"] for r in rows], dtype=np.int64)})
    assert got.tolist() == [r["expected_from_fingerprint"] for r in rows]
    grid = tf.constant([["a", "b"], ["", "a"]])
    assert tf.string_to_hash_bucket_fast(grid, 10).shape.as_list() == [2, 2]
    assert _run(tf.string_to_hash_bucket_fast(grid, 10)).tolist() == [[9, 2], [3, 9]]  # "a", "b", "", "a"
    assert _run(tf.string_to_hash_bucket_fast("a", 10)) == 9


@pytest.mark.usefixtures("g")
def test_hash_bucket_names_and_argument_errors():
    x = tf.constant(["a"])
    assert tf.string_to_hash_bucket_fast(x, 3).op.name == "StringToHashBucketFast"
    assert tf.strings.to_hash_bucket(x, 3).op.type == "StringToHashBucket"
    assert tf.string_to_hash_bucket(input=x, num_buckets=3).op.type == "StringToHashBucket"
    with pytest.raises(TypeError, match="as_string"):
        tf.string_to_hash_bucket_fast(tf.constant([1, 2]), 3)
    with pytest.raises(ValueError, match="num_buckets"):
        tf.string_to_hash_bucket_fast(x, 0)
    with pytest.raises(ValueError, match="both"):
        tf.string_to_hash_bucket(x, 3, input=x)
    with pytest.raises(errors.InvalidArgumentError, match="Key must have 2 elements"):
        _run(tf.strings.to_hash_bucket_strong(x, 3, key=[1, 2, 3]))
    big = tf.strings.to_hash_bucket_strong(x, 2**31 - 1, key=[2**64 - 1, 1])  # a key word >= 2**63
    assert _run(big).tolist() == [int(hashing.siphash24([b"a"], (2**64 - 1, 1))[0]) % (2**31 - 1)]


# ---- crosses ----------------------------------------------------------------------------------
def _encode(v):
    return v.encode() if isinstance(v, str) else v


def _cross_inputs(cross):
    """The golden cross's inputs, built from its per-example values in the op's input order."""
    examples = cross["per_example"]
    inputs = []
    for k, description in enumerate(cross["op_input_order"]):
        rows = [[_encode(v) for v in e["crossed_values_in_op_order"][k]] for e in examples]
        strings = any(isinstance(v, bytes) for row in rows for v in row)
        dtype = object if strings else np.int64
        if "sparse" in description:
            indices = np.array([[i, j] for i, row in enumerate(rows) for j in range(len(row))], np.int64)
            values = np.array([v for row in rows for v in row], dtype=dtype)
            inputs.append(tf.SparseTensor(indices.reshape(-1, 2), values, [len(rows), max(map(len, rows))]))
        else:
            inputs.append(tf.constant(np.array(rows, dtype=dtype)))
    return inputs


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("name", sorted(MANIFEST["crossed"]["crosses"]))
def test_sparse_cross_hashed_gives_tensorflows_crossed_column_ids(name):
    cross = MANIFEST["crossed"]["crosses"][name]
    out = tf.sparse.cross_hashed(_cross_inputs(cross), num_buckets=cross["hash_bucket_size"])
    assert out.values.op.type == "SparseCross"
    got = _run(out)
    examples = cross["per_example"]
    assert _rows(got, len(examples)) == [e["sparse_cross_hashed_ids"] for e in examples]
    assert got.dense_shape.tolist() == [len(examples), max(len(e["sparse_cross_hashed_ids"]) for e in examples)]


@pytest.mark.usefixtures("g")
def test_sparse_cross_with_no_buckets_keeps_the_hash_mod_int64_max():
    crossed = MANIFEST["crossed"]
    raw = crossed["raw_a_X_b_num_buckets_0"]
    a, b = (np.array([[bytes.fromhex(v["hex"]) for v in row] for row in crossed["inputs"][k]], dtype=object)
            for k in ("a", "b"))
    got = _run(tf.sparse.cross_hashed([tf.constant(a), tf.constant(b)]))
    assert got.indices.tolist() == raw["indices"] and got.values.tolist() == raw["values"]


@pytest.mark.usefixtures("g")
def test_crosses_put_sparse_inputs_first_and_vary_the_last_input_fastest():
    a = tf.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "b", "c"], [2, 2])
    d = tf.SparseTensor([[0, 0], [1, 0]], ["d", "e"], [2, 1])
    f = tf.constant([["f"], ["g"]])
    # TF's documented example, with the dense input given first: it still comes last.
    strings = _run(tf.sparse.cross([f, a, d]))
    assert _rows(strings, 2) == [[b"a_X_d_X_f"], [b"b_X_e_X_g", b"c_X_e_X_g"]]
    assert strings.indices.tolist() == [[0, 0], [1, 0], [1, 1]] and strings.dense_shape.tolist() == [2, 2]
    hashed = _run(tf.sparse.cross_hashed([f, a, d], num_buckets=1000, hash_key=7))
    fp = {s: int(hashing.fingerprint64([s])[0]) for s in b"a b c d e f g".split()}
    expected = []
    for parts in ([b"a", b"d", b"f"], [b"b", b"e", b"g"], [b"c", b"e", b"g"]):
        h = 7
        for p in parts:
            h = _cat64(h, fp[p])
        expected.append(h % 1000)
    assert hashed.values.tolist() == expected
    two_by_two = _run(tf.sparse.cross([tf.constant([["x", "y"]]), tf.constant([["1", "2"]])], separator="-"))
    assert two_by_two.values.tolist() == [b"x-1", b"x-2", b"y-1", b"y-2"]


@pytest.mark.usefixtures("g")
def test_crosses_use_integers_raw_when_hashed_and_as_text_when_joined():
    ints = tf.constant([[3, -1]], dtype=tf.int32)  # cast to int64, as TF's wrapper does
    words = tf.constant([["w"]])
    hashed = _run(tf.sparse.cross_hashed([ints, words], num_buckets=0))
    fp_w = int(hashing.fingerprint64([b"w"])[0])
    expected = [_cat64(_cat64(hash_ops.DEFAULT_HASH_KEY, v & (2**64 - 1)), fp_w) % (2**63 - 1) for v in (3, -1)]
    assert hashed.values.tolist() == expected
    assert _run(tf.sparse.cross([ints, words])).values.tolist() == [b"3_X_w", b"-1_X_w"]


@pytest.mark.usefixtures("g")
def test_a_row_missing_from_any_input_has_no_crosses():
    sp = tf.SparseTensor([[0, 0], [2, 0], [2, 1]], ["a", "b", "c"], [3, 2])
    dense = tf.constant([["x"], ["y"], ["z"]])
    got = _run(tf.sparse.cross([sp, dense]))
    assert _rows(got, 3) == [[b"a_X_x"], [], [b"b_X_z", b"c_X_z"]] and got.dense_shape.tolist() == [3, 2]
    empty = _run(tf.sparse.cross_hashed([tf.SparseTensor(np.zeros((0, 2), np.int64), np.array([], object),
                                                          [2, 1]), dense[:2]], 10))
    assert empty.values.shape == (0,) and empty.dense_shape.tolist() == [2, 0]


@pytest.mark.usefixtures("g")
def test_unsorted_sparse_rows_are_read_as_tensorflows_scan_reads_them():
    # Row 0's entries come after row 1's: TF's scan finds no entry for row 0 at the start and
    # then takes row 1's run, so only row 1 crosses; estflow reads them the same way.
    sp = tf.SparseTensor([[1, 0], [0, 0]], ["b", "a"], [2, 1])
    got = _run(tf.sparse.cross([sp, tf.constant([["x"], ["y"]])]))
    assert _rows(got, 2) == [[], [b"b_X_y"]]


@pytest.mark.usefixtures("g")
def test_sparse_cross_hashed_op_folds_from_the_first_input():
    words = tf.constant([["a"], ["b"]])
    ids = tf.constant([[5], [6]], dtype=tf.int64)
    fast = _run(hash_ops.sparse_cross_hashed_v2([words, ids], num_buckets=100))
    fp = hashing.fingerprint64([b"a", b"b"]).tolist()
    assert fast.values.tolist() == [_cat64(fp[0], 5) % 100, _cat64(fp[1], 6) % 100]
    strong = _run(hash_ops.sparse_cross_hashed_v2([words, ids], num_buckets=100, strong_hash=True, salt=[1, 2]))
    sip = hashing.siphash24([b"a", b"b", (5).to_bytes(8, "little")[:4], (6).to_bytes(8, "little")[:4]], (1, 2))
    assert strong.values.tolist() == [_cat64(int(sip[0]), int(sip[2])) % 100, _cat64(int(sip[1]), int(sip[3])) % 100]
    with pytest.raises(errors.InvalidArgumentError, match='"salt" must have length 2 but has length 3'):
        _run(hash_ops.sparse_cross_hashed_v2([words], salt=[1, 2, 3]))


@pytest.mark.usefixtures("g")
def test_cross_errors_name_the_bad_input():
    a = tf.constant([["a"], ["b"]])
    with pytest.raises(errors.InvalidArgumentError, match="Expected batch size 2 got 3 at dense tensor 1"):
        _run(tf.sparse.cross([a, tf.constant([["x"], ["y"], ["z"]])]))
    with pytest.raises(errors.InvalidArgumentError, match="Expected batch size 3 got 2 at dense tensor 0"):
        _run(tf.sparse.cross([a, tf.SparseTensor([[0, 0]], ["x"], [3, 1])]))
    flat = tf.placeholder(tf.string, None)
    with pytest.raises(errors.InvalidArgumentError, match=r"Dense inputs should be a matrix but received shape \[2\]"):
        _run(tf.sparse.cross([flat]), {flat: _objects([b"a", b"b"])})
    with pytest.raises(errors.InvalidArgumentError, match="Expected D2 of index to be 2 got 3 at position 0"):
        _run(tf.sparse.cross([tf.SparseTensor([[0, 0, 0]], ["x"], [1, 1, 1])]))
    with pytest.raises(TypeError, match="Inputs must be a list"):
        tf.sparse.cross(a)
    with pytest.raises(TypeError, match="Tensor or SparseTensor"):
        tf.sparse.cross([[["a"]]])


@pytest.mark.usefixtures("g")
def test_hash_and_cross_graphs_round_trip_through_a_graph_def():
    x = tf.placeholder(tf.string, [None], name="x")
    fast = tf.string_to_hash_bucket_fast(x, 1000, name="fast")
    strong = tf.string_to_hash_bucket_strong(x, 1000, KEY, name="strong")
    legacy = tf.string_to_hash_bucket(x, 1000, name="legacy")
    cross = tf.sparse.cross_hashed([tf.reshape(x, [-1, 1]), tf.reshape(fast, [-1, 1])], 50, name="cross")
    feed = _objects([b"a", b"", b"hello"])
    names = [fast.name, strong.name, legacy.name, cross.values.name, cross.indices.name]
    before = _run(names, {x: feed})
    graph_def = tf.get_default_graph().as_graph_def()
    nodes = {n.name: n for n in graph_def.node}
    assert nodes["fast"].attr["num_buckets"].i == 1000
    assert list(nodes["strong"].attr["key"].list.i) == KEY
    assert nodes["cross"].op == "SparseCross"
    assert {"N", "sparse_types", "dense_types", "hashed_output", "num_buckets", "hash_key", "out_type",
            "internal_type"} <= set(nodes["cross"].attr)
    assert nodes["cross"].attr["hash_key"].i == 0xDECAFCAFFE and nodes["cross"].attr["N"].i == 0
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        after = _run(names, {"x:0": feed})
    for b, a in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.usefixtures("g")
def test_a_hash_key_above_int64_is_kept_as_its_uint64_bits():
    words = tf.constant([["w"]])
    got = _run(tf.sparse.cross_hashed([words], num_buckets=0, hash_key=2**64 - 3))
    fp = int(hashing.fingerprint64([b"w"])[0])
    assert got.values.tolist() == [_cat64(2**64 - 3, fp) % (2**63 - 1)]
    node = tf.get_default_graph().as_graph_def().node[-1]
    assert node.op == "SparseCross" and node.attr["hash_key"].i == -3


@pytest.mark.usefixtures("g")
def test_one_value_per_row_crosses_give_the_same_ids_from_the_memo_and_from_the_folding(monkeypatch):
    ints = tf.placeholder(tf.int64, [None, 1])
    words = tf.placeholder(tf.string, [None, 1])
    cross = tf.sparse.cross_hashed([ints, words], num_buckets=97, hash_key=11)
    rng = np.random.default_rng(3)
    ns = rng.integers(-3, 4, size=300)
    ws = np.array([str(v).encode() for v in rng.integers(0, 5, size=300)], dtype=object)
    fp = {w: int(hashing.fingerprint64([w])[0]) for w in set(ws.tolist())}
    expected = [_cat64(_cat64(11, int(n) & (2**64 - 1)), fp[w]) % 97 for n, w in zip(ns, ws, strict=True)]
    hash_ops._cross_memos.clear()
    with tf.Session() as sess:
        for rows in (40, 40, 300, 7):  # a batch seen, the same batch from the memo, a large batch, a new one
            got = sess.run(cross, {ints: ns[:rows, None], words: ws[:rows, None]})
            assert got.values.tolist() == expected[:rows]
            assert got.indices.tolist() == [[i, 0] for i in range(rows)] and got.dense_shape.tolist() == [rows, 1]
        assert len(hash_ops._cross_memos[(11, 97)]) <= 40 + 7
        # an int and its decimal text are different values: b"3" crossed is not 3 crossed
        text = sess.run(tf.sparse.cross_hashed([tf.constant([[b"3"]]), words], num_buckets=97, hash_key=11),
                        {words: ws[:1, None]})
        fp_3 = int(hashing.fingerprint64([b"3"])[0])
        assert text.values.tolist() == [_cat64(_cat64(11, fp_3), fp[ws[0]]) % 97]
        monkeypatch.setattr(hash_ops, "_CROSS_MEMO_LIMIT", 0)  # a full memo: the folding answers alone
        hash_ops._cross_memos.clear()
        assert sess.run(cross, {ints: ns[:9, None], words: ws[:9, None]}).values.tolist() == expected[:9]
        assert hash_ops._cross_memos[(11, 97)] == {}


def test_fingerprints_from_the_memo_equal_fresh_ones(monkeypatch):
    words = [b"", b"a", b"occupation", b"text", bytes(range(200))]
    fresh = hashing.fingerprint64(words)
    assert hashing.fingerprint64(words).tolist() == fresh.tolist()  # now from the memo
    assert hashing.fingerprint64(words[::-1]).tolist() == fresh.tolist()[::-1]
    assert hashing.fingerprint64([]).tolist() == []
    monkeypatch.setattr(hashing, "_memo", {})
    monkeypatch.setattr(hashing, "_MEMO_LIMIT", 2)  # room for two: the rest is hashed every time
    assert hashing.fingerprint64(words).tolist() == fresh.tolist()
    assert len(hashing._memo) == 2
    assert hashing.fingerprint64(words).tolist() == fresh.tolist()


@pytest.mark.usefixtures("g")
def test_crosses_of_expanded_features_run_without_the_expand_steps():
    a = tf.placeholder(tf.string, [None])
    b = tf.placeholder(tf.string, [None])
    shared_a = tf.expand_dims(a, -1)
    pair = tf.sparse.cross_hashed([shared_a, tf.expand_dims(b, 1)], num_buckets=50)
    single = tf.sparse.cross_hashed([shared_a], num_buckets=50)
    fusion = pair.values.op._op_def.fuse(pair.values.op)
    assert fusion is not None and fusion.inputs == (a, b)
    av, bv = np.array([b"x", b"y"], dtype=object), np.array([b"u", b"v"], dtype=object)
    fp = {s: int(hashing.fingerprint64([s])[0]) for s in (b"x", b"y", b"u", b"v")}
    key = hash_ops.DEFAULT_HASH_KEY
    with tf.Session() as sess:
        got_pair, got_single = sess.run([pair, single], {a: av, b: bv})
        assert got_pair.values.tolist() == [_cat64(_cat64(key, fp[x]), fp[y]) % 50 for x, y in [(b"x", b"u"),
                                                                                                  (b"y", b"v")]]
        assert got_single.values.tolist() == [_cat64(key, fp[x]) % 50 for x in (b"x", b"y")]
        assert got_pair.indices.tolist() == [[0, 0], [1, 0]]
        plan = Compiler(sess).compile([pair.values, single.values], [a, b])
        assert sorted(step[5].type for step in plan.steps) == ["SparseCross", "SparseCross"]
        fed = sess.run(single, {a: av, shared_a: [[b"y"], [b"y"]]})  # a fed expand: the ops as written
        assert fed.values.tolist() == [_cat64(key, fp[b"y"]) % 50] * 2
    tf.identity(shared_a)  # another reader: the expand stays a step, the other input is still taken
    assert pair.values.op._op_def.fuse(pair.values.op).inputs == (shared_a, b)


@pytest.mark.usefixtures("g")
def test_fetched_cross_indices_are_the_callers_to_change():
    words = tf.placeholder(tf.string, [None, 1])
    cross = tf.sparse.cross_hashed([words, words], num_buckets=10)
    with tf.Session() as sess:
        first = sess.run(cross, {words: [[b"a"], [b"b"]]})
        first.indices[0, 0] = 7  # a fetched array is the caller's: writing it changes no later run
        assert sess.run(cross, {words: [[b"a"], [b"b"]]}).indices.tolist() == [[0, 0], [1, 0]]


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("rows", [7, 40, 200])
def test_crosses_the_memo_lacks_are_folded_as_the_whole_batch_is(rows):
    # a batch whose crosses are partly in the memo: a few new ones (folded in Python ints, from a
    # remembered fold of all values but the last when there is one) and many (folded with numpy)
    ints = tf.placeholder(tf.int64, [None, 1])
    words = tf.placeholder(tf.string, [None, 1])
    last = tf.placeholder(tf.string, [None, 1])
    cross = tf.sparse.cross_hashed([ints, words, last], num_buckets=0, hash_key=5)
    rng = np.random.default_rng(rows)
    ns = rng.integers(-2**62, 2**62, size=rows) * rng.choice([-1, 1], size=rows)
    ws = np.array([str(v).encode() for v in rng.integers(0, 6, size=rows)], dtype=object)
    ls = ws[::-1].copy()

    def expected(n, w, x):
        fp = hashing.fingerprint64([w, x]).tolist()
        return _cat64(_cat64(_cat64(5, int(n) & (2**64 - 1)), fp[0]), fp[1]) % (2**63 - 1)

    hash_ops._cross_memos.clear()
    hash_ops._prefix_folds.clear()
    with tf.Session() as sess:
        for new in (1, 3, rows // 2, rows):  # the first `new` rows replaced by crosses not seen yet
            for column in ("ints", "last"):  # a new first value, or only a new last one
                first = sess.run(cross, {ints: ns[:, None], words: ws[:, None], last: ls[:, None]})
                assert first.values.tolist() == [expected(*v) for v in zip(ns, ws, ls, strict=True)]
                if column == "ints":
                    ns = ns.copy()
                    ns[:new] += 1
                else:
                    ls = ls.copy()
                    ls[:new] = [x + b"+" for x in ls[:new]]
                got = sess.run(cross, {ints: ns[:, None], words: ws[:, None], last: ls[:, None]})
                assert got.values.tolist() == [expected(*v) for v in zip(ns, ws, ls, strict=True)]
                assert got.indices.tolist() == [[i, 0] for i in range(rows)]
                assert got.dense_shape.tolist() == [rows, 1]
                memo = hash_ops._cross_memos[(5, 0)]
                assert all(memo[v] == expected(*v) for v in zip(ns.tolist(), ws.tolist(), ls.tolist(), strict=True))


def test_hash_buckets_from_the_memo_equal_fresh_ones(monkeypatch):
    words = _objects([b"", b"a", b"occupation", b"text", bytes(range(200))]).reshape(5, 1)
    fresh = (hashing.fingerprint64(words.ravel().tolist()) % np.uint64(7)).astype(np.int64).reshape(5, 1)
    monkeypatch.setattr(hash_ops, "_bucket_memos", {})
    for _ in range(2):  # hashed, then from the memo
        got = hash_ops._fast_kernel(np, words, 7)
        assert got.dtype == np.int64 and got.shape == (5, 1) and got.tolist() == fresh.tolist()
    assert hash_ops._bucket_memos[7] == dict(zip(words.ravel().tolist(), fresh.ravel().tolist(), strict=True))
    assert hash_ops._fast_kernel(np, words[::-1, 0], 7).tolist() == fresh[::-1, 0].tolist()
    assert hash_ops._fast_kernel(np, words[2, 0:1].reshape(()), 7).tolist() == fresh[2, 0]  # a scalar
    assert hash_ops._fast_kernel(np, words[:0], 7).shape == (0, 1)
    assert hash_ops._fast_kernel(np, words, 1000).tolist() == (fresh * 0 + (hashing.fingerprint64(
        words.ravel().tolist()) % np.uint64(1000)).astype(np.int64).reshape(5, 1)).tolist()  # its own memo
    monkeypatch.setattr(hash_ops, "_BUCKET_MEMO_LIMIT", 0)  # no room: hashed every time
    monkeypatch.setattr(hash_ops, "_bucket_memos", {})
    assert hash_ops._fast_kernel(np, words, 7).tolist() == fresh.tolist()
    assert hash_ops._bucket_memos[7] == {}


def _expanded_crosses(feed_rows):
    """Crosses over expanded inputs, run with the plan's fusions on or off: values, or the error."""
    out = {}
    for fusion in (True, False):
        with tf.Graph().as_default():
            words = tf.placeholder(tf.string, None)
            more = tf.placeholder(tf.string, None)
            ints = tf.placeholder(tf.int64, None)
            crosses = {
                "columns": tf.sparse.cross_hashed([tf.expand_dims(words, -1), tf.expand_dims(more, 1)], 97),
                "with a column": tf.sparse.cross_hashed([ints, tf.expand_dims(words, 1)], 97, hash_key=3),
                "rows": tf.sparse.cross_hashed([tf.expand_dims(words, 0), tf.expand_dims(more, 0)], 97),
            }
            plan.FUSION = fusion
            try:
                with tf.Session() as sess:
                    for name, cross in crosses.items():
                        feed = {words: feed_rows["words"], more: feed_rows["more"], ints: feed_rows["ints"]}
                        try:
                            got = sess.run(cross, feed)
                            out[fusion, name] = (got.indices.tolist(), got.values.tolist(), got.dense_shape.tolist())
                        except errors.InvalidArgumentError as e:
                            out[fusion, name] = str(e.message).split("[[")[0]  # the node named differs
            finally:
                plan.FUSION = True
    return out


@pytest.mark.parametrize("feed", [
    {"words": _objects([b"a", b"b", b"c"]), "more": _objects([b"x", b"y", b"z"]), "ints": np.array([[1], [-2], [3]])},
    {"words": _objects([b"a"]), "more": _objects([b"x"]), "ints": np.array([[5]])},  # one row: [1, 1] rows too
    {"words": _objects([b"a", b"b"]), "more": _objects([b"x"]), "ints": np.array([[1], [2]])},  # batch sizes differ
    {"words": _objects([b"a", b"b"]).reshape(2, 1), "more": _objects([b"x", b"y"]),
     "ints": np.array([1, 2])},  # a matrix expanded to rank 3, a vector where a column belongs
    {"words": np.array(b"a", dtype=object), "more": _objects([b"x"]), "ints": np.array([[1]])},  # a scalar
    {"words": _objects([]), "more": _objects([]), "ints": np.zeros((0, 1), np.int64)},
])
def test_fused_expanded_crosses_equal_the_unfused_ops(feed):
    out = _expanded_crosses(feed)
    for name in ("columns", "with a column", "rows"):
        assert out[True, name] == out[False, name], name
