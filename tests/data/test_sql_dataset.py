"""SqlDataset over SQLite: TF's conversions and errors."""

import sqlite3

import pytest

import estflow as tf
from tests.data._outcomes import outcomes

X = tf.data.experimental


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "db.sqlite")
    connection = sqlite3.connect(path)
    connection.execute("create table t (name text, age integer, h real, ok integer)")
    connection.executemany("insert into t values (?, ?, ?, ?)", [("ann", 30, 1.5, 1), ("bob", None, 2.0, 0)])
    connection.commit()
    connection.close()
    with tf.Graph().as_default():
        yield path


def test_rows_become_typed_elements_as_in_tensorflow(database):
    ds = X.SqlDataset("sqlite", database, "select name, age, h, ok from t", (tf.string, tf.int32, tf.float64, tf.bool))
    assert ds.element_spec == (tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.int32),
                               tf.TensorSpec([], tf.float64), tf.TensorSpec([], tf.bool))
    assert outcomes(ds) == [[b"ann", 30, 1.5, True], [b"bob", 0, 2.0, False]]  # NULL reads as 0, as TF's
    assert outcomes(X.SqlDataset("sqlite", database, "select age from t", tf.int64)) == [30, 0]
    assert outcomes(X.SqlDataset("sqlite", database, "select name from t", (tf.string,))) == [[b"ann"], [b"bob"]]


def test_fed_query(database):
    query = tf.placeholder(tf.string, [])
    it = tf.data.make_initializable_iterator(X.SqlDataset("sqlite", database, query, tf.int64))
    with tf.Session() as sess:
        sess.run(it.initializer, {query: "select age from t where name = 'ann'"})
        assert sess.run(it.get_next()) == 30


def _first_error(dataset):
    with tf.Session() as sess:
        try:
            sess.run(tf.data.make_one_shot_iterator(dataset).get_next())
        except tf.errors.OpError as e:
            return type(e), e.message.split("\n\t [[")[0]
    raise AssertionError("no error")


def test_errors(database):
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="The database type, mysql, is not supported by SqlDataset"):
        sess.run(tf.data.make_one_shot_iterator(X.SqlDataset("mysql", database, "select age from t",
                                                             tf.int64)).get_next())
    assert _first_error(X.SqlDataset("sqlite", database, "select age, h from t", (tf.int64,))) == (
        tf.errors.InvalidArgumentError,
        "The number of columns in query (2) must match the number of elements in output_types (1).")
    error = _first_error(X.SqlDataset("sqlite", database, "select nope from t", tf.int64))
    assert error[0] is tf.errors.UnknownError and "no such column: nope: select nope from t" in error[1]
