"""numpy_input_fn and pandas_input_fn: TF1's contract (errors, epochs, shuffling, remainders)."""

import numpy as np
import pytest

import estflow as tf
from estflow.data import numpy_io, pandas_io, structure
from estflow.data.numpy_io import numpy_input_fn
from estflow.data.pandas_io import pandas_input_fn


def run_all(tensors, limit=1000):
    out = []
    with tf.Session() as sess:
        for _ in range(limit):
            try:
                out.append(sess.run(tensors))
            except tf.errors.OutOfRangeError:
                return out
    raise AssertionError("input did not end")


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def test_shuffle_must_be_a_bool():
    with pytest.raises(ValueError, match="shuffle must be provided and explicitly set as boolean"):
        numpy_input_fn({"a": np.arange(3)})
    with pytest.raises(ValueError, match="shuffle must be provided"):
        numpy_input_fn({"a": np.arange(3)}, shuffle=1)


def test_numpy_batches_epochs_and_remainder():
    x = {"age": np.arange(10, dtype=np.float32), "height": np.arange(10, 20)}
    y = np.arange(-10, 0)
    features, labels = numpy_input_fn(x, y, batch_size=4, num_epochs=2, shuffle=False)()
    assert set(features) == {"age", "height"}
    assert features["age"].shape.as_list() == [None] and labels.dtype == tf.int64
    batches = run_all((features, labels))
    ages = np.concatenate([f["age"] for f, _ in batches])
    assert [len(lab) for _, lab in batches] == [4, 4, 4, 4, 4]  # batches run across the epoch boundary
    assert ages.tolist() == list(range(10)) * 2
    assert np.concatenate([lab for _, lab in batches]).tolist() == list(range(-10, 0)) * 2
    assert all((f["height"] - f["age"] == 10).all() for f, _ in batches)


def test_numpy_last_batch_is_partial_and_forever_has_static_batch():
    features = numpy_input_fn({"a": np.arange(5)}, batch_size=2, num_epochs=1, shuffle=False)()
    assert [b["a"].tolist() for b in run_all(features)] == [[0, 1], [2, 3], [4]]
    forever = numpy_input_fn({"a": np.arange(5)}, batch_size=4, num_epochs=None, shuffle=True)()
    assert forever["a"].shape.as_list() == [4]
    with tf.Session() as sess:
        seen = np.concatenate([sess.run(forever["a"]) for _ in range(5)])
    assert sorted(seen.tolist()) == sorted(list(range(5)) * 4)  # whole epochs, each a permutation


def test_numpy_shuffle_is_a_permutation_per_epoch_rows_aligned():
    x = {"a": np.arange(100), "b": np.arange(100) * 2}
    features, labels = numpy_input_fn(x, np.arange(100) * 3, batch_size=32, num_epochs=1, shuffle=True)()
    batches = run_all((features, labels))
    a = np.concatenate([f["a"] for f, _ in batches])
    assert sorted(a.tolist()) == list(range(100)) and a.tolist() != list(range(100))
    for f, lab in batches:
        assert (f["b"] == f["a"] * 2).all() and (lab == f["a"] * 3).all()


def test_numpy_array_x_dict_y_and_no_y():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    features, labels = numpy_input_fn(x, {"p": np.arange(6), "q": np.ones(6)}, batch_size=6, shuffle=False)()
    assert isinstance(features, tf.Tensor) and features.shape.as_list() == [None, 2]
    assert set(labels) == {"p", "q"}
    [(f, lab)] = run_all((features, labels))
    assert f.shape == (6, 2) and lab["p"].tolist() == list(range(6))
    only = numpy_input_fn({"s": np.array(["a", "b"])}, batch_size=5, shuffle=False)()
    assert isinstance(only, dict) and only["s"].dtype == tf.string
    assert run_all(only)[0]["s"].tolist() == [b"a", b"b"]


def test_numpy_input_fn_errors():
    with pytest.raises(ValueError, match="Length of tensors in x and y is mismatched"):
        numpy_input_fn({"a": np.arange(3)}, np.arange(4), shuffle=False)()
    with pytest.raises(ValueError, match="duplicate keys"):
        numpy_input_fn({"a": np.arange(3)}, {"a": np.arange(3)}, shuffle=False)()
    with pytest.raises(ValueError, match="y cannot be empty dict"):
        numpy_input_fn({"a": np.arange(3)}, {}, shuffle=False)()
    with pytest.raises(ValueError, match="x cannot be an empty dict"):
        numpy_input_fn({}, shuffle=False)()
    with pytest.raises(TypeError, match="x must be a dict or array"):
        numpy_input_fn([1, 2, 3], shuffle=False)()


def test_numpy_target_key_does_not_clash():
    x = {"__target_key__": np.arange(3)}
    features, labels = numpy_input_fn(x, np.arange(3) + 10, batch_size=3, shuffle=False)()
    [(f, lab)] = run_all((features, labels))
    assert f["__target_key__"].tolist() == [0, 1, 2] and lab.tolist() == [10, 11, 12]


@pytest.mark.parametrize("gather_bytes", [1, 300, 1 << 22])
def test_numpy_shuffled_batches_are_each_epochs_permutation_cut_in_order(monkeypatch, gather_bytes):
    # rows gathered a block at a time (blocks smaller than, across and larger than batches and epochs) give the
    # rows of each epoch's permutation, batches running on across epoch ends, the last one partial
    monkeypatch.setattr(numpy_io, "_GATHER_BYTES", gather_bytes)
    tf.set_random_seed(5)
    arrays = (np.arange(50, dtype=np.int32), np.arange(100.0).reshape(50, 2), np.array([b"r%d" % i for i in range(50)],
                                                                                     dtype=object))
    dataset = numpy_io.ArrayBatchDataset(arrays, 7, 3, True)
    batches = run_all(numpy_io.make_one_shot_iterator(dataset).get_next())
    rng = dataset._rng(None)  # a fresh generator on the dataset's seeds: the same permutations
    orders = np.concatenate([rng.permutation(50) for _ in range(3)])
    assert [len(b[0]) for b in batches] == [7] * 21 + [3]
    for i, got in enumerate(zip(*batches)):
        want = arrays[i][orders]
        assert np.concatenate(got).dtype == want.dtype and np.concatenate(got).tolist() == want.tolist()


def test_numpy_graph_seed_reproducible():
    def first_batch():
        with tf.Graph().as_default():
            tf.set_random_seed(3)
            f = numpy_input_fn({"a": np.arange(50)}, batch_size=50, shuffle=True)()
            return run_all(f)[0]["a"].tolist()

    assert first_batch() == first_batch()


# ---- pandas ------------------------------------------------------------------------------------------
pd = pytest.importorskip("pandas")


def frame(n=10):
    return pd.DataFrame({"a": np.arange(n), "b": np.arange(n) * 1.5, "c": [f"s{i}" for i in range(n)]},
                        index=np.arange(100, 100 + n))


def test_pandas_input_fn_features_and_target():
    x = frame()
    y = pd.Series(np.arange(10) * -1, index=x.index)
    features, target = pandas_input_fn(x, y, batch_size=4, num_epochs=1, shuffle=False)()
    assert sorted(features) == ["a", "b", "c"]
    assert features["c"].dtype == tf.string and features["b"].dtype == tf.float64
    batches = run_all((features, target))
    assert [len(t) for _, t in batches] == [4, 4, 2]
    assert np.concatenate([t for _, t in batches]).tolist() == list(range(0, -10, -1))
    assert batches[0][0]["c"].tolist() == [b"s0", b"s1", b"s2", b"s3"]


def test_pandas_input_fn_without_y_and_dataframe_y():
    x = frame(4)
    only = pandas_input_fn(x, batch_size=10, shuffle=False)()
    assert set(only) == {"a", "b", "c"}
    ys = pd.DataFrame({"t1": np.arange(4), "t2": np.arange(4) * 2}, index=x.index)
    features, targets = pandas_input_fn(x, ys, batch_size=10, shuffle=False)()
    [(f, t)] = run_all((features, targets))
    assert set(t) == {"t1", "t2"} and t["t2"].tolist() == [0, 2, 4, 6]


def test_pandas_input_fn_errors():
    x = frame(3)
    with pytest.raises(ValueError, match="shuffle must be provided"):
        pandas_input_fn(x)
    with pytest.raises(ValueError, match="Cannot use name a for target column"):
        pandas_input_fn(x, pd.Series([1, 2, 3], index=x.index), shuffle=False, target_column="a")
    with pytest.raises(ValueError, match="Index for x and y are mismatched"):
        pandas_input_fn(x, pd.Series([1, 2, 3]), shuffle=False)
    with pytest.raises(TypeError, match="target_column must be a string"):
        pandas_input_fn(x, shuffle=False, target_column=3)


def test_pandas_shuffle_keeps_rows_together():
    x = frame(50)
    y = pd.Series(np.arange(50) * 7, index=x.index)
    features, target = pandas_input_fn(x, y, batch_size=16, num_epochs=2, shuffle=True)()
    batches = run_all((features, target))
    a = np.concatenate([f["a"] for f, _ in batches])
    assert sorted(a.tolist()) == sorted(list(range(50)) * 2)
    for f, t in batches:
        assert (t == f["a"] * 7).all()


def test_pandas_string_columns_keep_their_values_with_one_object_per_distinct_value():
    cities = ["Paris", "Oslo", "Paris", "Rome", "Oslo", "Paris"] * 5
    x = pd.DataFrame({"city": cities, "n": np.arange(30)})
    features = pandas_input_fn(x, batch_size=30, shuffle=False)()
    [got] = run_all(features)
    assert got["city"].dtype == object and got["city"].tolist() == [c.encode() for c in cities]
    assert all(type(v) is bytes for v in got["city"]) and len({id(v) for v in got["city"]}) == 3
    assert got["n"].tolist() == list(range(30))


def test_shared_strings_only_merges_equal_bytes():
    column = np.array([b"a", 1, b"a", "a", 1.0, None, b"b", b"a"], dtype=object)
    out = numpy_io.shared_strings(column)
    assert out is not column and out.tolist() == column.tolist()
    assert [type(v) for v in out] == [type(v) for v in column]
    assert out[0] is out[2] is out[7] and out[1] is column[1] and out[4] is column[4]
    grid = numpy_io.shared_strings(np.array([[b"x", b"y"], [b"y", b"x"]], dtype=object))
    assert grid.shape == (2, 2) and grid[0, 0] is grid[1, 1] and grid.tolist() == [[b"x", b"y"], [b"y", b"x"]]
    ints = np.arange(3)
    assert numpy_io.shared_strings(ints) is ints


def test_pandas_string_columns_convert_as_to_array_does():
    # the private converter against the general one
    odd = ["é", "", "a", "é", "\u4e2d", ""]
    for values in (odd, [b"x", b"y", b"x"], ["a", b"b", "a"], [np.str_("n"), "n"]):
        column = np.array(values, dtype=object)
        got, want = pandas_io._string_column(column), structure.to_array(column)
        assert got.dtype == want.dtype == object and got.tolist() == want.tolist()
        assert [type(v) for v in got] == [type(v) for v in want]
    got = pandas_io._string_column(np.array(odd, dtype=object))
    assert got[0] is got[3] and got[1] is got[5]
