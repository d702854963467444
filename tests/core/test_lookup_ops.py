"""Lookup table ops (HashTableV2, LookupTable*V2, InitializeTable*V2): TF's semantics, per-session
state, text-file parsing and errors, driven through the raw ops."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.registry import apply_op

pytestmark = pytest.mark.usefixtures("g")


def _objects(*items):
    out = np.empty(len(items), dtype=object)
    out[:] = [x.encode() if isinstance(x, str) else x for x in items]
    return out


def _table(key_dtype=tf.string, value_dtype=tf.int64, name="table", **attrs):
    return apply_op("HashTableV2", name=name, key_dtype=key_dtype, value_dtype=value_dtype, **attrs)


def _import(handle, keys, values):
    return apply_op("LookupTableImportV2", handle, tf.constant(keys), tf.constant(values))


def _find(handle, keys, default):
    return apply_op("LookupTableFindV2", handle, tf.convert_to_tensor(keys), tf.convert_to_tensor(default))


def _size(handle):
    return apply_op("LookupTableSizeV2", handle)


def _export(handle, key_dtype=tf.string, value_dtype=tf.int64):
    return apply_op("LookupTableExportV2", handle, Tkeys=key_dtype, Tvalues=value_dtype)


def test_a_table_is_filled_once_then_looked_up_sized_and_exported():
    handle = _table()
    assert handle.dtype == tf.resource and handle.shape.as_list() == []
    init = _import(handle, ["a", "b", "c"], np.array([7, 8, 9], np.int64))
    found = _find(handle, [["a", "x"], ["c", "b"]], np.int64(-1))
    keys, values = _export(handle)
    assert found.shape.as_list() == [2, 2] and found.dtype == tf.int64
    with tf.Session() as sess:
        assert sess.run(_size(handle)) == 0
        with pytest.raises(errors.FailedPreconditionError, match="Table not initialized."):
            sess.run(found)
        with pytest.raises(errors.AbortedError, match="HashTable is not initialized."):
            sess.run(keys)
        sess.run(init)
        assert sess.run(found).tolist() == [[7, -1], [9, 8]]
        assert sess.run(_size(handle)) == 3
        k, v = sess.run([keys, values])
        assert dict(zip(k.tolist(), v.tolist(), strict=True)) == {b"a": 7, b"b": 8, b"c": 9}
        sess.run(init)  # again, with as many entries: a no-op, as in TF


def test_numeric_keys_string_values_and_per_key_defaults():
    handle = _table(tf.int64, tf.string)
    init = _import(handle, np.array([30, -5, 12], np.int64), _objects("thirty", "minus five", "twelve"))
    found = _find(handle, np.array([12, 0, -5, 31], np.int64), np.array(b"?", dtype=object))
    per_key = _find(handle, np.array([12, 0], np.int64), _objects("d0", "d1"))
    floats = _table(tf.int32, tf.float32, name="floats")
    f_init = _import(floats, np.array([1, 2], np.int32), np.array([0.5, 1.5], np.float32))
    f_found = _find(floats, np.array([[2], [3]], np.int32), np.float32(0))
    with tf.Session() as sess:
        sess.run([init, f_init])
        assert sess.run(found).tolist() == [b"twelve", b"?", b"minus five", b"?"]
        assert sess.run(per_key).tolist() == [b"twelve", b"d1"]
        got = sess.run(f_found)
        assert got.dtype == np.float32 and got.tolist() == [[1.5], [0.0]]


def test_each_session_has_its_own_tables():
    handle = _table()
    init = _import(handle, ["a"], np.array([1], np.int64))
    found = _find(handle, ["a"], np.int64(-1))
    with tf.Session() as first, tf.Session() as second:
        first.run(init)
        assert first.run(found).tolist() == [1]
        with pytest.raises(errors.FailedPreconditionError, match="Table not initialized"):
            second.run(found)


def test_a_shared_name_is_one_table_and_a_node_without_one_is_private():
    one = _table(name="one", shared_name="vocab")
    two = _table(name="two", shared_name="vocab")
    private = _table(name="private")
    init = _import(one, ["a"], np.array([1], np.int64))
    clash = _table(tf.int64, tf.int64, name="clash", shared_name="vocab")
    with tf.Session() as sess:
        sess.run(init)
        assert sess.run(_find(two, ["a"], np.int64(0))).tolist() == [1]
        assert sess.run(_size(private)) == 0
        with pytest.raises(errors.InvalidArgumentError, match="Conflicting key/value dtypes int64->int64 with "
                                                              "string-int64 for table /vocab"):
            sess.run(clash)


def test_initializer_errors_are_tensorflows():
    handle = _table()
    with tf.Session() as sess:
        with pytest.raises(errors.FailedPreconditionError,
                           match="HashTable has different value for same key. Key a has 1 and trying to add value 2"):
            sess.run(_import(handle, ["a", "b", "a"], np.array([1, 5, 2], np.int64)))
        sess.run(_import(handle, ["a", "b", "a"], np.array([1, 5, 1], np.int64)))  # the same value twice is fine
        assert sess.run(_size(handle)) == 2
        with pytest.raises(errors.FailedPreconditionError, match="Table was already initialized with different data."):
            sess.run(_import(handle, ["x"], np.array([1], np.int64)))
    other = _table(name="other")
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match="keys and values cannot be empty tensors."):
            sess.run(_import(other, np.array([], object), np.array([], np.int64)))
        with pytest.raises(errors.InvalidArgumentError, match=r"same dimension.\[2\] vs \[1\]"):
            sess.run(_import(other, ["a", "b"], np.array([1], np.int64)))
        with pytest.raises(errors.InvalidArgumentError, match="Value must be type int64 but got int32"):
            sess.run(_import(other, ["a"], np.array([1], np.int32)))
        with pytest.raises(errors.InvalidArgumentError, match=r"Keys must be a vector, but received shape\[1,1\]"):
            sess.run(apply_op("InitializeTableV2", other, tf.constant([["a"]]), tf.constant([[1]], tf.int64)))
        with pytest.raises(errors.InvalidArgumentError, match="Keys and values must have the same size 2 vs 1"):
            sess.run(apply_op("InitializeTableV2", other, tf.constant(["a", "b"]), tf.constant([4], tf.int64)))
        sess.run(apply_op("InitializeTableV2", other, tf.constant(["a"]), tf.constant([4], tf.int64)))
        assert sess.run(_find(other, ["a"], np.int64(0))).tolist() == [4]
        with pytest.raises(errors.InvalidArgumentError, match="Key must be type string but got int64"):
            sess.run(_find(other, np.array([1], np.int64), np.int64(0)))
        with pytest.raises(errors.InvalidArgumentError,
                           match=r"Expected shape \[\] or \[2\] for default value, got \[3\]"):
            sess.run(_find(other, ["a", "b"], np.array([1, 2, 3], np.int64)))
    with pytest.raises(TypeError, match="resource"):
        _find(tf.constant("not a handle"), ["a"], np.int64(0))


def _text_table(path, key_index=-2, value_index=-1, key_dtype=tf.string, value_dtype=tf.int64, **attrs):
    handle = _table(key_dtype, value_dtype, name=f"t{abs(hash((str(path), key_index, value_index))) % 10**8}")
    init = apply_op("InitializeTableFromTextFileV2", handle, tf.constant(str(path)), key_index=key_index,
                    value_index=value_index, **attrs)
    return handle, init


def _contents(sess, handle, key_dtype=tf.string, value_dtype=tf.int64):
    keys, values = sess.run(_export(handle, key_dtype, value_dtype))
    return dict(zip(keys.tolist(), values.tolist(), strict=True))


def test_text_file_tables_read_lines_as_tensorflow_does(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_bytes(b"emerson\r\nlake\npalmer")  # \r\n ends a line too; the last line has no newline
    columns = tmp_path / "columns.tsv"
    columns.write_bytes(b"a\t10\t x\nb\t-20\ty\nc\t+30\tz\n")
    whole, whole_init = _text_table(vocab)
    by_column, column_init = _text_table(columns, key_index=0, value_index=1)
    reversed_, reversed_init = _text_table(columns, key_index=-1, value_index=2, key_dtype=tf.int64,
                                           value_dtype=tf.string)
    truncated, truncated_init = _text_table(vocab, vocab_size=2)
    shifted, shifted_init = _text_table(vocab, offset=100)
    numbers, numbers_init = _text_table(columns, key_index=0, value_index=1, value_dtype=tf.int32, offset=1)
    with tf.Session() as sess:
        sess.run([whole_init, column_init, reversed_init, truncated_init, shifted_init, numbers_init])
        assert _contents(sess, whole) == {b"emerson": 0, b"lake": 1, b"palmer": 2}
        assert _contents(sess, by_column) == {b"a": 10, b"b": -20, b"c": 30}
        assert _contents(sess, reversed_, tf.int64, tf.string) == {0: b" x", 1: b"y", 2: b"z"}
        assert _contents(sess, truncated) == {b"emerson": 0, b"lake": 1}
        assert _contents(sess, shifted) == {b"emerson": 100, b"lake": 101, b"palmer": 102}
        assert _contents(sess, numbers, tf.string, tf.int32) == {b"a": 11, b"b": -19, b"c": 31}  # TF adds offset
        vocab.write_bytes(b"other\n")
        sess.run(whole_init)  # a file's table already initialized: a no-op whatever the file holds now
        assert _contents(sess, whole) == {b"emerson": 0, b"lake": 1, b"palmer": 2}


@pytest.mark.parametrize("content, attrs, error, message", [
    (b"a\n\nb\n", {}, errors.InvalidArgumentError, r"Invalid content in .*: empty line found at position 3\."),
    (b"a\nb\n", {"vocab_size": 3}, errors.InvalidArgumentError, r"Invalid vocab_size in .*: expected 3 but got 2"),
    (b"a\t1\nb\n", {"key_index": 0, "value_index": 1}, errors.InvalidArgumentError,
     r"Invalid number of columns in .* line 1 \(b\) : expected at least 2 got 1"),
    (b"a\tone\n", {"key_index": 0, "value_index": 1}, errors.InvalidArgumentError,
     "Field one in line 0 is not a valid int64."),
    (b"a\n", {"key_index": -1}, errors.InvalidArgumentError,
     "Key index for line number requires table key dtype of int64, got string"),
    (b"a\n", {"delimiter": "::"}, errors.InvalidArgumentError, "delimiter should be only 1 char"),
    (b"a\na\n", {}, errors.FailedPreconditionError, "HashTable has different value for same key. Key a has 0"),
    (b"", {}, errors.OutOfRangeError, "no line"),
    (b"", {"vocab_size": 2}, errors.InvalidArgumentError, "expected 2 but got 0"),
])
def test_text_file_errors(tmp_path, content, attrs, error, message):
    path = tmp_path / "vocab.txt"
    path.write_bytes(content)
    attrs = {"key_index": -2, "value_index": -1, **attrs}
    _, init = _text_table(path, **attrs)
    with tf.Session() as sess, pytest.raises(error, match=message):
        sess.run(init)


def test_a_missing_or_empty_vocabulary_filename(tmp_path):
    _, init = _text_table(tmp_path / "missing.txt")
    with tf.Session() as sess, pytest.raises(errors.NotFoundError, match="missing.txt; No such file"):
        sess.run(init)
    _, empty = _text_table("")
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError, match="filename cannot be empty."):
        sess.run(empty)


def test_table_graphs_round_trip_through_a_graph_def(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\nb\n")
    handle = _table(name="table", shared_name="shared")
    init = _import(handle, ["a", "b"], np.array([1, 2], np.int64))
    found = _find(handle, ["b", "z"], np.int64(-1))
    file_handle, file_init = _text_table(vocab)
    file_found = _find(file_handle, ["b"], np.int64(-1))
    graph_def = tf.get_default_graph().as_graph_def()
    nodes = {n.name: n for n in graph_def.node}
    assert nodes["table"].op == "HashTableV2" and nodes["table"].attr["shared_name"].s == b"shared"
    assert nodes["table"].attr["key_dtype"].type == tf.string.as_datatype_enum
    assert nodes[found.op.name].attr["Tin"].type == tf.string.as_datatype_enum
    assert nodes[found.op.name].attr["Tout"].type == tf.int64.as_datatype_enum
    assert nodes[file_init.name].attr["key_index"].i == -2 and nodes[file_init.name].attr["delimiter"].s == b"\t"
    with tf.Graph().as_default() as imported:
        tf.import_graph_def(graph_def, name="")
        assert imported.get_tensor_by_name("table:0").dtype == tf.resource
        with tf.Session() as sess:
            sess.run([init.name, file_init.name])
            assert sess.run(found.name).tolist() == [2, -1]
            assert sess.run(file_found.name).tolist() == [1]


def test_string_keys_to_numbers_with_one_default_equal_the_per_key_path():
    handle = _table(value_dtype=tf.float32, name="floats")
    init = _import(handle, ["a", "b", ""], np.array([0.5, -2.0, 3.25], np.float32))
    keys = tf.placeholder(tf.string)
    one_default = _find(handle, keys, np.float32(-1.0))
    per_key = apply_op("LookupTableFindV2", handle, keys, tf.fill(tf.shape(keys), np.float32(-1.0)))
    wrong_default = _find(handle, keys, np.float64(-1.0))
    with tf.Session() as sess:
        with pytest.raises(errors.FailedPreconditionError, match="Table not initialized."):
            sess.run(one_default, {keys: _objects("a")})
        sess.run(init)
        for feed in (_objects("a", "zz", "", "b", "a"), np.array(b"b", dtype=object),
                     _objects("b", "a", "x", "").reshape(2, 1, 2), _objects()):
            got, expected = sess.run([one_default, per_key], {keys: feed})
            assert got.dtype == np.float32 and got.shape == feed.shape
            np.testing.assert_array_equal(got, expected)
        assert sess.run(one_default, {keys: _objects("b", "q")}).tolist() == [-2.0, -1.0]
        with pytest.raises(errors.InvalidArgumentError, match="Value must be type float but got double"):
            sess.run(wrong_default, {keys: _objects("a")})
        with pytest.raises(errors.InvalidArgumentError, match="Key must be type string but got int64"):
            sess.run(_find(handle, tf.constant([1], tf.int64), np.float32(0.0)))
