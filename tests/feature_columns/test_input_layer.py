"""input_layer and make_parse_example_spec: golden outputs, order, variables, errors, tf.data and GPU plans."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core.sparse_tensor import SparseTensorValue
from tests.feature_columns import golden

fc = tf.feature_column


@pytest.mark.parametrize("case", list(golden.manifest()["single_column_outputs"]))
def test_each_column_matches_tensorflow(case):
    got = golden.input_layer_output([golden.column(case)])
    want = golden.expected(case)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def _as_sparse(value: np.ndarray) -> SparseTensorValue:
    missing = b"" if value.dtype == object else (0.0 if value.dtype.kind == "f" else -1)
    indices = np.argwhere(value != missing)
    return SparseTensorValue(indices, value[tuple(indices.T)], np.array(value.shape))


@pytest.mark.parametrize("case", [c for c in golden.manifest()["single_column_outputs"]
                                  if not c.startswith(("numeric", "bucketized"))])
def test_each_column_matches_tensorflow_from_sparse_inputs(case):
    """The same golden values through the sparse path (SparseTensor features, TF1's sparse ops)."""
    features = {k: _as_sparse(v) if k not in ("age", "income", "vec") else v for k, v in golden.features().items()}
    np.testing.assert_array_equal(golden.input_layer_output([golden.column(case)], features), golden.expected(case))


def test_full_input_layer_matches_tensorflow_in_name_order():
    full = golden.manifest()["full_input_layer"]
    columns = golden.full_layer_columns()
    assert [c.name for c in columns] == full["columns_in_given_order"]
    got = golden.input_layer_output(columns)
    np.testing.assert_array_equal(got, np.array(full["output"], dtype=np.float32))
    cols_to_outputs = {}
    with tf.Graph().as_default():
        fc.input_layer(golden.features(), columns, cols_to_output_tensors=cols_to_outputs)
        widths = {c.name: int(t.shape.as_tuple()[1]) for c, t in cols_to_outputs.items()}
    assert widths == {item["name"]: item["width"] for item in full["layout"]}


def test_full_input_layer_from_rank1_features():
    """Features of one value per example fed as [batch] (as tf.data and decode_csv give them): same output."""
    features = {k: v[:, 0] if v.shape[1] == 1 else v for k, v in golden.features().items()}
    got = golden.input_layer_output(golden.full_layer_columns(), features)
    np.testing.assert_array_equal(got, np.array(golden.manifest()["full_input_layer"]["output"], dtype=np.float32))


@pytest.mark.parametrize("combiner", ["mean", "sum", "sqrtn"])
def test_weighted_embedding_of_one_id_per_example(combiner):
    cat = fc.weighted_categorical_column(fc.categorical_column_with_identity("cat_id", 5), "w")
    col = fc.embedding_column(cat, 4, combiner=combiner, initializer=tf.constant_initializer(golden.embedding_matrix()))
    ids, w = np.array([4, 0, -1, 3]), np.array([0.5, 2.0, 1.0, 0.0], np.float32)
    table = golden.embedding_matrix()
    for features in ({"cat_id": ids, "w": w}, {"cat_id": ids[:, None], "w": w[:, None]}):
        got = golden.input_layer_output([col], features)
        weight = (0.5, 2.0) if combiner == "sum" else (1.0, 1.0)  # one id: mean and sqrtn give the row itself
        want = [table[4] * weight[0], table[0] * weight[1], np.zeros(4), np.zeros(4)]  # -1 and weight 0: none
        np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.usefixtures("g")
def test_embedding_variable_names_and_cols_to_vars():
    cat = fc.categorical_column_with_identity("cat_id", 5)
    emb = fc.embedding_column(cat, 3)
    age = fc.numeric_column("age")
    cols_to_vars = {}
    fc.input_layer({"cat_id": [[1], [4]], "age": [[1.0], [2.0]]}, [emb, age], cols_to_vars=cols_to_vars)
    assert [v.name for v in tf.global_variables()] == ["input_layer/cat_id_embedding/embedding_weights:0"]
    assert [v.name for v in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)] == [
        "input_layer/cat_id_embedding/embedding_weights:0"]
    assert cols_to_vars[age] == [] and [v.name for v in cols_to_vars[emb]] == [
        "input_layer/cat_id_embedding/embedding_weights:0"]
    fc.input_layer({"cat_id": [[1], [4]]}, [emb], weight_collections=["mine"], trainable=False)
    assert [v.name for v in tf.get_collection("mine")] == ["input_layer_1/cat_id_embedding/embedding_weights:0"]
    assert len(tf.trainable_variables()) == 1


def test_rank1_dense_and_sparse_inputs():
    age = fc.numeric_column("age")
    cat = fc.indicator_column(fc.categorical_column_with_identity("cat_id", 3))
    features = {"age": np.array([1.0, 2.0], np.float32),
                "cat_id": SparseTensorValue(np.array([[0], [1]]), np.array([2, 0], np.int64), np.array([2]))}
    np.testing.assert_array_equal(golden.input_layer_output([age, cat], features),
                                  [[1.0, 0.0, 0.0, 1.0], [2.0, 1.0, 0.0, 0.0]])


def test_sparse_input_fed_at_run_time():
    cat = fc.indicator_column(fc.categorical_column_with_identity("cat_id", 4))
    with tf.Graph().as_default():
        sp = tf.sparse_placeholder(tf.int64, name="cat")
        out = fc.input_layer({"cat_id": sp}, [cat])
        with tf.Session() as sess:
            value = SparseTensorValue(np.array([[0, 0], [0, 1], [2, 0]]), np.array([1, 3, 3]), np.array([3, 2]))
            np.testing.assert_array_equal(sess.run(out, {sp: value}), [[0, 1, 0, 1], [0, 0, 0, 0], [0, 0, 0, 1]])


def test_only_dense_columns():
    with pytest.raises(ValueError, match="must be a _DenseColumn.*indicator_column"):
        golden.input_layer_output([fc.categorical_column_with_identity("cat_id", 5)])


def test_missing_feature_says_which_and_how_to_fix():
    with pytest.raises(ValueError, match=r"Feature height is not in features dictionary.*'age'.*add 'height'"):
        golden.input_layer_output([fc.numeric_column("height")], {"age": [[1.0]]})


@pytest.mark.parametrize(("columns", "message"), [
    ([], "feature_columns must not be empty"),
    ({"a": 1}, "found dict"),
    (["age"], "must be a _FeatureColumn"),
    ([fc.numeric_column("age"), fc.numeric_column("age", shape=2)], "Duplicate feature column name"),
])
def test_feature_columns_argument_checked(columns, message):
    with pytest.raises(ValueError, match=message):
        golden.input_layer_output(columns, {"age": [[1.0, 2.0]]})


def test_numeric_shape_disagreeing_with_data():
    with pytest.raises(ValueError, match=r"'vec' expects 3 value\(s\) per example \(shape=\(3,\)\).*shape=\(2,\)"):
        golden.input_layer_output([fc.numeric_column("vec", shape=3)])


def test_batch_sizes_must_agree():
    with pytest.raises(ValueError, match="Batch size .* must be same"):
        golden.input_layer_output([fc.numeric_column("a"), fc.numeric_column("b")],
                                  {"a": np.zeros((2, 1), np.float32), "b": np.zeros((3, 1), np.float32)})


def test_rank0_feature_refused():
    with pytest.raises(ValueError, match="cannot have rank 0"):
        golden.input_layer_output([fc.numeric_column("a")], {"a": 1.0})


def test_make_parse_example_spec():
    age = fc.numeric_column("age", shape=2, default_value=0.5)
    cat = fc.categorical_column_with_identity("cat_id", 5)
    weighted = fc.weighted_categorical_column(cat, "w")
    spec = fc.make_parse_example_spec([fc.bucketized_column(age, [0.0]), fc.embedding_column(weighted, 2), age])
    assert spec == {"age": tf.FixedLenFeature((2,), tf.float32, (0.5, 0.5)),
                    "cat_id": tf.VarLenFeature(tf.int64), "w": tf.VarLenFeature(tf.float32)}
    with pytest.raises(ValueError, match="different parse_spec for key age"):
        fc.make_parse_example_spec([age, fc.numeric_column("age")])
    with pytest.raises(ValueError, match="must be _FeatureColumn instances"):
        fc.make_parse_example_spec(["age"])


def test_parse_example_then_input_layer():
    age = fc.numeric_column("age", default_value=-1.0)
    cat = fc.indicator_column(fc.categorical_column_with_identity("cat_id", 3))
    examples = [tf.train.Example(features=tf.train.Features(feature={
        "age": tf.train.Feature(float_list=tf.train.FloatList(value=[30.0])),
        "cat_id": tf.train.Feature(int64_list=tf.train.Int64List(value=[0, 2]))})).SerializeToString(),
        tf.train.Example().SerializeToString()]
    with tf.Graph().as_default():
        parsed = tf.parse_example(examples, fc.make_parse_example_spec([age, cat]))
        out = fc.input_layer(parsed, [age, cat])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(out), [[30.0, 1.0, 0.0, 1.0], [-1.0, 0.0, 0.0, 0.0]])


def test_columns_inside_a_traced_dataset_map():
    age = fc.numeric_column("age")
    buckets = fc.bucketized_column(age, [10.0, 20.0])
    cat = fc.indicator_column(fc.categorical_column_with_identity("cat_id", 3))
    data = {"age": np.array([[5.0], [15.0], [25.0], [10.0]], np.float32), "cat_id": np.array([[0], [2], [1], [-1]])}
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices(data).batch(2).map(lambda f: fc.input_layer(f, [age, buckets, cat]))
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        with tf.Session() as sess:
            first, second = sess.run(nxt), sess.run(nxt)
    np.testing.assert_array_equal(np.concatenate([first, second]), [
        [5.0, 1, 0, 0, 1, 0, 0], [15.0, 0, 1, 0, 0, 0, 1], [25.0, 0, 0, 1, 0, 1, 0], [10.0, 0, 1, 0, 0, 0, 0]])


def test_string_columns_inside_a_traced_dataset_map():
    """Vocabulary tables, hashing and crosses traced into a map function equal the same columns in the graph."""
    columns = [golden.column("indicator_vocab_color_oov"), golden.column("indicator_hash_city"),
               fc.indicator_column(fc.crossed_column(["color", "city"], 13))]
    features = {k: v for k, v in golden.features().items() if k in ("color", "city")}
    want = golden.input_layer_output(columns, features)
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices(features).batch(7).map(lambda f: fc.input_layer(f, columns))
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            np.testing.assert_array_equal(sess.run(nxt), want)


def test_input_layer_on_the_gpu_keeps_string_ops_on_the_cpu(gpu, capsys):
    """The golden layer placed on '/gpu:0' (the strict cupy stand-in, or cupy): same values, strings on the CPU."""
    full = golden.manifest()["full_input_layer"]
    with tf.Graph().as_default() as g:
        with tf.device("/gpu:0"):
            out = fc.input_layer(golden.features(), golden.full_layer_columns())
        init = [tf.global_variables_initializer(), tf.tables_initializer()]
        config = tf.ConfigProto(allow_soft_placement=True, log_device_placement=True)
        with tf.Session(graph=g, config=config) as sess:
            sess.run(init)
            got = sess.run(out)
    np.testing.assert_array_equal(got, np.array(full["output"], dtype=np.float32))
    placed = dict(line.split(": ", 1) for line in capsys.readouterr().err.splitlines() if ": (" in line)
    ops = {op.name: op for op in g.get_operations()}
    string_ops = [name for name, op in ops.items() if name in placed and any(
        t.dtype == tf.string for t in list(op.inputs) + list(op.outputs))]
    assert string_ops and all(placed[name].endswith("device:CPU:0") for name in string_ops)
    assert placed[out.op.name].endswith("device:GPU:0")


# ---- interop: real TensorFlow runs the feature transforms estflow wrote -------------------------
_TF_RUNS_COLUMNS = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
prefix = sys.argv[1]
with tf.Session() as sess:
    tf.train.import_meta_graph(prefix + ".meta").restore(sess, prefix)
    sess.run(tf.tables_initializer())
    feed = {"age:0": [[25.0], [47.0], [70.0]], "education:0": [["Masters"], ["HS-grad"], ["Unknown"]],
            "occupation:0": [["Sales"], ["Tech-support"], [""]]}
    deep, wide = sess.run(["deep:0", "wide:0"], feed)
print(json.dumps({"deep": deep.tolist(), "wide": wide.tolist()}))
"""


@pytest.mark.interop
def test_tensorflow_runs_the_feature_columns_estflow_wrote(tmp_path, tf_python):
    """Vocabulary tables, FarmHash buckets, a cross, buckets and an embedding, written by estflow as a
    meta graph and checkpoint: TensorFlow imports them and computes the same inputs and logits."""
    from tests.interop import run_tensorflow

    fc = tf.feature_column
    g = tf.Graph()
    with g.as_default():
        features = {"age": tf.placeholder(tf.float32, [None, 1], name="age"),
                    "education": tf.placeholder(tf.string, [None, 1], name="education"),
                    "occupation": tf.placeholder(tf.string, [None, 1], name="occupation")}
        age = fc.numeric_column("age")
        education = fc.categorical_column_with_vocabulary_list("education", ["Bachelors", "HS-grad", "Masters"],
                                                               num_oov_buckets=1)
        occupation = fc.categorical_column_with_hash_bucket("occupation", 100)
        deep = fc.input_layer(features, [age, fc.indicator_column(education), fc.embedding_column(occupation, 4)])
        wide = fc.linear_model(features, [fc.bucketized_column(age, [30, 50]), education,
                                          fc.crossed_column(["education", "occupation"], 50)])
        tf.identity(deep, name="deep")
        tf.identity(wide, name="wide")
        saver = tf.train.Saver()
        feed = {features["age"]: [[25.0], [47.0], [70.0]],
                features["education"]: [["Masters"], ["HS-grad"], ["Unknown"]],
                features["occupation"]: [["Sales"], ["Tech-support"], [""]]}
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            for v in tf.trainable_variables():  # weights that make every column count in the logits
                sess.run(v.assign(tf.random_uniform(v.shape, seed=len(v.name))))
            ours = sess.run({"deep": deep, "wide": wide}, feed)
            prefix = saver.save(sess, str(tmp_path / "columns.ckpt"))
    theirs = run_tensorflow(tf_python, _TF_RUNS_COLUMNS, prefix)
    np.testing.assert_allclose(theirs["deep"], ours["deep"], rtol=1e-6)
    np.testing.assert_allclose(theirs["wide"], ours["wide"], rtol=1e-6)
