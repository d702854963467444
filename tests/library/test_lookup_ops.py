"""tf.lookup / tf.contrib.lookup: vocabulary tables with TF's ids (out-of-vocabulary buckets against
the golden Fingerprint64 ids), TF1's node names and collections, and tables inside Dataset.map."""

from __future__ import annotations

import json

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from tests import FIXTURES

MANIFEST = json.loads((FIXTURES / "hashing" / "manifest.json").read_text())
lookup = tf.contrib.lookup

pytestmark = pytest.mark.usefixtures("g")


def _objects(items):
    out = np.empty(len(items), dtype=object)
    out[:] = [x.encode() if isinstance(x, str) else x for x in items]
    return out


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        return sess.run(fetches, feed)


@pytest.mark.parametrize("num_oov_buckets", [10, 1000])
def test_out_of_vocabulary_ids_are_the_vocabulary_size_plus_tensorflows_fast_hash_bucket(num_oov_buckets):
    strings = MANIFEST["strings"]
    vocabulary = [bytes.fromhex(s["hex"]) for s in strings[:5]]
    table = lookup.index_table_from_tensor(_objects(vocabulary), num_oov_buckets=num_oov_buckets)
    keys = tf.placeholder(tf.string, [None])
    ids = _run(table.lookup(keys), {keys: _objects([bytes.fromhex(s["hex"]) for s in strings])})
    expected = [i if i < 5 else 5 + s["to_hash_bucket_fast"][str(num_oov_buckets)] for i, s in enumerate(strings)]
    assert ids.tolist() == expected


def test_a_vocabulary_list_column_gets_tensorflows_ids():
    crossed = MANIFEST["crossed"]
    values = [bytes.fromhex(v["hex"]) for row in crossed["inputs"]["b"] for v in row]
    present = [v for v in values if v]  # the column drops missing ("") values before the lookup
    table = lookup.index_table_from_tensor(["x", "y", "z"], num_oov_buckets=1)
    assert _run(table.lookup(tf.constant(_objects(present)))).tolist() == crossed["b_vocab_ids_of_present_values"]


def test_integer_keys_hash_their_decimal_text_when_out_of_vocabulary():
    rows = MANIFEST["int64_hash_bucket_column"]["rows"]
    table = lookup.index_table_from_tensor(tf.constant([0, 1], tf.int64), num_oov_buckets=1000, dtype=tf.int64)
    ids = _run(table.lookup(tf.constant([r["value"] for r in rows], tf.int64)))
    assert ids.tolist() == [r["value"] if r["value"] in (0, 1) else 2 + r["expected_from_fingerprint"] for r in rows]
    # As in TF: the table's keys are int64; a bucketed table casts int32 keys, a plain one refuses them.
    bucketed = lookup.index_table_from_tensor(tf.constant([3, 4], tf.int32), num_oov_buckets=1, dtype=tf.int32)
    assert _run(bucketed.lookup(tf.constant([4, 5], tf.int32))).tolist() == [1, 2]
    plain = lookup.index_table_from_tensor(tf.constant([3, 4], tf.int32), dtype=tf.int32)
    with pytest.raises(TypeError, match="must be tf.int64"):
        plain.lookup(tf.constant([4], tf.int32))


def test_index_tables_have_tensorflows_node_names_and_collections(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("emerson\nlake\npalmer\n")
    table = lookup.index_table_from_tensor(["a", "b"], num_oov_buckets=2)
    ids = table.lookup(tf.constant(["a"]))
    file_table = lookup.index_table_from_file(str(vocab), vocab_size=3)
    g = tf.get_default_graph()
    handle = g.get_operation_by_name("string_to_index/hash_table/hash_table")
    assert handle.type == "HashTableV2" and handle.get_attr("shared_name").startswith("hash_table_")
    assert g.get_operation_by_name("string_to_index/hash_table/table_init/LookupTableImportV2")
    assert ids.op.type == "SelectV2" and ids.op.name == "hash_table_Lookup/SelectV2"
    assert g.get_operation_by_name("hash_table_Lookup/hash_bucket").type == "StringToHashBucketFast"
    file_op = g.get_operation_by_name("string_to_index_1/hash_table/hash_table")
    assert file_op.get_attr("shared_name") == f"hash_table_{vocab}_3_-2_-1"
    initializers = tf.get_collection(tf.GraphKeys.TABLE_INITIALIZERS)
    assert [op.type for op in initializers] == ["LookupTableImportV2", "InitializeTableFromTextFileV2"]
    assert file_table.initializer is initializers[1] and table.initializer is initializers[0]
    assets = tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS)
    assert [a.op.name for a in assets] == ["string_to_index_1/hash_table/table_init/asset_filepath"]
    with tf.Session() as sess:
        assert sess.run(assets[0]) == str(vocab).encode()
    assert tf.tables_initializer().type == "NoOp"
    with tf.Graph().as_default():
        empty = tf.initialize_all_tables()
        assert empty.type == "NoOp" and empty.name == "init_all_tables"


def test_vocabulary_files_map_lines_to_ids_and_back(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("emerson\nlake\npalmer\n")
    to_id = lookup.index_table_from_file(str(vocab), num_oov_buckets=1)
    no_oov = lookup.index_table_from_file(str(vocab), default_value=-7)
    to_word = lookup.index_to_string_table_from_file(str(vocab), default_value="UNKNOWN")
    from_list = lookup.index_to_string_table_from_tensor(["x", "y"])
    words = tf.constant(["emerson", "lake", "and", "palmer"])
    got = _run([to_id.lookup(words), no_oov.lookup(words), to_word.lookup(tf.constant([1, 5], tf.int64)),
                from_list.lookup(tf.constant([1, 2], tf.int64)), to_id.size()])
    assert got[0].tolist() == [0, 1, 3, 2]  # "and" takes the only bucket, after the 3 lines
    assert got[1].tolist() == [0, 1, -7, 2]
    assert got[2].tolist() == [b"lake", b"UNKNOWN"] and got[3].tolist() == [b"y", b"UNK"]
    assert got[4] == 4


def test_static_tables_and_their_sparse_lookups():
    init = tf.lookup.KeyValueTensorInitializer(["a", "b", "c"], [7, 8, 9])
    table = tf.lookup.StaticHashTable(init, default_value=-1)
    sparse = tf.SparseTensor([[0, 0], [1, 2]], ["c", "q"], [2, 3])
    looked = table.lookup(sparse)
    vocab = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(["emerson", "lake", "palmer"], tf.constant([0, 1, 2], tf.int64)), 5)
    only_buckets = lookup.IdTableWithHashBuckets(None, num_oov_buckets=10)
    keys, values = table.export()
    got = _run([table[tf.constant(["a", "f"])], looked, vocab.lookup(tf.constant(["lake", "king"])),
                only_buckets.lookup(tf.constant(["a"])), table.size(), vocab.size(), keys, values])
    assert got[0].tolist() == [7, -1] and got[0].dtype == np.int32
    assert got[1].indices.tolist() == [[0, 0], [1, 2]] and got[1].values.tolist() == [9, -1]
    fast = int(tf.Session().run(tf.string_to_hash_bucket_fast("king", 5)))
    assert got[2].tolist() == [1, 3 + fast]
    assert got[3].tolist() == [MANIFEST["strings"][2]["to_hash_bucket_fast"]["10"]]  # "a"
    assert got[4] == 3 and got[5] == 8
    assert dict(zip(got[6].tolist(), got[7].tolist(), strict=True)) == {b"a": 7, b"b": 8, b"c": 9}
    assert table.name == "hash_table" and table.key_dtype == tf.string and table.value_dtype == tf.int32


def test_strong_and_legacy_hashers_pick_their_bucket_op():
    strong = lookup.index_table_from_tensor(["a"], num_oov_buckets=10, hasher_spec=lookup.StrongHashSpec(
        MANIFEST["strong_key"]))
    legacy = lookup.index_table_from_tensor(["a"], num_oov_buckets=10, hasher_spec=lookup.HasherSpec("legacy", None))
    ab = MANIFEST["strings"][4]  # "ab"
    got = _run([strong.lookup(tf.constant(["ab"])), legacy.lookup(tf.constant(["ab"]))])
    assert got[0].tolist() == [1 + ab["to_hash_bucket_strong"]["10"]]
    assert got[1].tolist() == [1 + ab["string_to_hash_bucket"]["10"]]
    with pytest.raises(ValueError, match="size 2"):
        lookup.StrongHashSpec([1])


def test_contrib_hash_table_and_errors(tmp_path):
    table = lookup.HashTable(lookup.KeyValueTensorInitializer(["a"], [1]), -1)
    assert table.init is table.initializer
    shared = lookup.HashTable(lookup.KeyValueTensorInitializer(["a"], [1]), -1, shared_name="vocab", name="named")
    assert shared.resource_handle.op.get_attr("shared_name") == "vocab" and shared.name == "named"
    with pytest.raises(TypeError, match="Dtype of argument `keys` must be"):
        table.lookup(tf.constant([1]))
    with pytest.raises(ValueError, match="experimental_is_anonymous"):
        tf.lookup.StaticHashTable(lookup.KeyValueTensorInitializer(["a"], [1]), -1, experimental_is_anonymous=True)
    with pytest.raises(ValueError, match="`vocabulary_list` must be specified"):
        lookup.index_table_from_tensor(None)
    with pytest.raises(ValueError, match="num_oov_buckets"):
        lookup.index_table_from_tensor(["a"], num_oov_buckets=-1)
    with pytest.raises(ValueError, match="Invalid `dtype`"):
        lookup.index_table_from_tensor([1, 2], dtype=tf.string)
    with pytest.raises(ValueError, match="`vocabulary_file` must be specified"):
        lookup.index_table_from_file("")
    with pytest.raises(ValueError, match="`vocab_size` must be greater than 0"):
        lookup.index_table_from_file("v.txt", vocab_size=0)
    with pytest.raises(ValueError, match="`key_dtype` must be int64"):
        tf.lookup.TextFileInitializer("v.txt", tf.string, tf.lookup.TextFileIndex.LINE_NUMBER, tf.int64, -2)
    with pytest.raises(TypeError, match="Invalid value dtype for table"):
        lookup.KeyValueTensorInitializer(["a"], [1.0]).initialize(table)
    duplicate = lookup.index_table_from_tensor(["a", "b", "a"])
    with tf.Session() as sess, pytest.raises(errors.FailedPreconditionError, match="different value for same key"):
        sess.run(duplicate.initializer)


def test_tables_work_inside_a_dataset_map():
    outside = lookup.index_table_from_tensor(["a", "b", "c"], num_oov_buckets=2)

    def inside(x):
        table = lookup.index_table_from_tensor(["c", "b", "a"])
        return outside.lookup(x), table.lookup(x)

    words = _objects(["a", "c", "zz", "b"])
    dataset = tf.data.Dataset.from_tensor_slices(words).map(inside).batch(4)
    iterator = dataset.make_initializable_iterator()
    element = iterator.get_next()
    expected_oov = 3 + int(tf.Session().run(tf.string_to_hash_bucket_fast("zz", 2)))
    with tf.Session() as sess:  # the iterator's initializer fills both tables: no tables_initializer needed
        sess.run(iterator.initializer)
        first, second = sess.run(element)
    assert first.tolist() == [0, 2, expected_oov, 1] and second.tolist() == [2, 0, -1, 1]
    assert not any(op.graph is not tf.get_default_graph() for op in tf.get_collection(tf.GraphKeys.TABLE_INITIALIZERS))


def test_a_table_in_a_cond_branch_is_built_outside_the_branch():
    pred = tf.placeholder(tf.bool, [])

    def true_fn():
        return lookup.index_table_from_tensor(["a", "b"]).lookup(tf.constant(["b"]))

    out = tf.cond(pred, true_fn, lambda: tf.constant([-5], tf.int64))
    assert _run(out, {pred: True}).tolist() == [1] and _run(out, {pred: False}).tolist() == [-5]


def test_lookups_and_hashes_in_a_gpu_graph_keep_strings_and_tables_on_the_host(gpu):
    g = tf.get_default_graph()
    words = tf.placeholder(tf.string, [None])
    with g.device("/gpu:0"):
        table = lookup.index_table_from_tensor(["a", "b"], num_oov_buckets=3)
        ids = table.lookup(words)
        crossed = tf.sparse.cross_hashed([tf.reshape(words, [-1, 1]), tf.reshape(ids, [-1, 1])], 7)
        embeddings = tf.constant(np.arange(10, dtype=np.float32).reshape(5, 2))
        rows = tf.gather(embeddings, ids) * 2.0  # float math on the device, fed by host-side ids
    feed = {words: _objects(["b", "zz", "a"])}
    got_ids, got_rows, got_cross = _run([ids, rows, crossed.values], feed)
    oov = 2 + int(tf.Session().run(tf.string_to_hash_bucket_fast("zz", 3)))
    assert got_ids.tolist() == [1, oov, 0]
    np.testing.assert_array_equal(got_rows, np.arange(10, dtype=np.float32).reshape(5, 2)[[1, oov, 0]] * 2)
    assert got_cross.shape == (3,) and ((got_cross >= 0) & (got_cross < 7)).all()


def test_tables_round_trip_through_a_meta_graph_with_their_collections(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("emerson\nlake\npalmer\n")
    file_table = lookup.index_table_from_file(str(vocab), num_oov_buckets=1)
    list_table = lookup.index_table_from_tensor(["x", "y"])
    tf.identity(file_table.lookup(tf.constant(["lake", "zz"])), name="file_ids")
    tf.identity(list_table.lookup(tf.constant(["y", "q"])), name="list_ids")
    meta_graph = tf.train.export_meta_graph()
    assert meta_graph.collection_def[tf.GraphKeys.TABLE_INITIALIZERS].node_list.value
    with tf.Graph().as_default():
        tf.train.import_meta_graph(meta_graph)
        assets = tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS)
        assert [a.name for a in assets] == ["string_to_index/hash_table/table_init/asset_filepath:0"]
        file_ids, list_ids = _run(["file_ids:0", "list_ids:0"])
    oov = 3 + int(tf.Session().run(tf.string_to_hash_bucket_fast("zz", 1)))
    assert file_ids.tolist() == [1, oov] and list_ids.tolist() == [1, -1]


def test_a_map_of_lookups_and_hashes_runs_once_per_batch():
    table = lookup.index_table_from_tensor(["a", "ab"], num_oov_buckets=1)
    dataset = tf.data.Dataset.from_tensor_slices(_objects(["a", "ab", "abc"])).map(
        lambda x: (table.lookup(x), tf.string_to_hash_bucket_fast(x, 5)))
    assert dataset._fn.row_safe  # the fused map-and-batch path: one kernel call per batch, not per row
    first, second = tf.data.make_one_shot_iterator(dataset.batch(3)).get_next()
    got = _run([first, second])
    assert got[0].tolist() == [0, 1, 2]
    by_text = {bytes.fromhex(s["hex"]): s["fingerprint64"] for s in MANIFEST["strings"]}
    assert got[1].tolist() == [by_text[w] % 5 for w in (b"a", b"ab", b"abc")]


def test_a_fed_vocabulary_filename_is_no_asset(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\nb\n")
    filename = tf.placeholder(tf.string, [], name="vocab_path")
    table = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
        filename, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), -1)
    ids = table.lookup(tf.constant(["b", "c"]))
    assert tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS) == []
    with tf.Session() as sess:
        sess.run(tf.tables_initializer(), {filename: str(vocab)})
        assert sess.run(ids).tolist() == [1, -1]
