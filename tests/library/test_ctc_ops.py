"""tf.nn.ctc_loss / ctc_loss_v2 (and gradients), the greedy and beam-search decoders, collapse_repeated,
ctc_unique_labels and tf.edit_distance, against numbers from TensorFlow 2.15.1.

`_PROGRAM` builds every case with `tf` (estflow here; real TensorFlow in the interop test, which
also regenerates tests/fixtures/ctc/tf2151_reference.json when ESTFLOW_WRITE_CTC_REFERENCE is set).
"""

import json
import os

import numpy as np
import pytest

import estflow as tf
from tests import FIXTURES
from tests.core.gradient_check import check_gradient

REFERENCE = FIXTURES / "ctc" / "tf2151_reference.json"

_PROGRAM = """
import numpy as np
rng = np.random.RandomState(0)
T, B, C = 6, 3, 5
x = rng.randn(T, B, C).astype(np.float32) * 2
idx = np.array([[0,0],[0,1],[0,2],[1,0],[1,1],[1,2],[1,3],[2,0]], np.int64)
vals = np.array([1,1,2, 0,3,3,1, 2], np.int32)
res = {}
with tf.Graph().as_default():
    xt = tf.constant(x)
    labels = tf.SparseTensor(idx, vals, np.array([3, 4], np.int64))
    w = tf.constant(rng.rand(B).astype(np.float32))
    outs = {}
    for name, kw in [("plain", {}), ("collapse", {"preprocess_collapse_repeated": True}),
                     ("nomerge", {"ctc_merge_repeated": False}),
                     ("both", {"preprocess_collapse_repeated": True, "ctc_merge_repeated": False})]:
        loss = tf.nn.ctc_loss(labels, xt, [6, 5, 4], **kw)
        outs[name] = loss
        outs[name + "_grad"] = tf.gradients(tf.reduce_sum(loss * w), xt)[0]
    outs["batch_major"] = tf.nn.ctc_loss(labels, tf.transpose(xt, [1, 0, 2]), [6, 5, 4], time_major=False)
    dense = tf.constant([[1,1,2,4],[4,3,3,1],[2,0,0,0]], tf.int32)
    outs["v2_dense"] = tf.nn.ctc_loss_v2(dense, xt, [3,4,1], [6,5,4])
    outs["v2_dense_grad"] = tf.gradients(tf.reduce_sum(outs["v2_dense"]), xt)[0]
    outs["v2_dense_blank_last"] = tf.nn.ctc_loss_v2(dense - 1, xt, [3,4,1], [6,5,4], blank_index=-1)
    shifted = tf.SparseTensor(idx, vals + 1, np.array([3, 4], np.int64))
    outs["v2_sparse"] = tf.nn.ctc_loss_v2(shifted, xt, None, [6,5,4], blank_index=0)
    outs["v2_too_long"] = tf.nn.ctc_loss_v2(dense, xt, [3,4,1], [6,2,4])
    (d,), lp = tf.nn.ctc_greedy_decoder(xt, [6, 5, 4])
    outs["greedy"] = [d.indices, d.values, d.dense_shape, lp]
    (d,), lp = tf.nn.ctc_greedy_decoder(xt, [6, 5, 4], merge_repeated=False, blank_index=1)
    outs["greedy_b1"] = [d.indices, d.values, d.dense_shape, lp]
    for bw, tp, mr in [(1, 1, True), (3, 2, True), (10, 3, False), (100, 1, True), (4, 4, True)]:
        ds, lp = tf.nn.ctc_beam_search_decoder(xt, [6, 5, 4], beam_width=bw, top_paths=tp, merge_repeated=mr)
        outs[f"beam_{bw}_{tp}_{mr}"] = [[(e.indices, e.values, e.dense_shape) for e in ds], lp]
    # Longer and wider: full beams push prefixes out and meet them again as children.
    wide = tf.constant(np.random.RandomState(1).randn(30, 2, 12).astype(np.float32))
    for bw in (8, 20):
        ds, lp = tf.nn.ctc_beam_search_decoder(wide, [30, 24], beam_width=bw, top_paths=3)
        outs[f"beam_wide_{bw}"] = [[(e.indices, e.values, e.dense_shape) for e in ds], lp]
    ds, lp = tf.nn.ctc_beam_search_decoder_v2(xt, [6, 5, 4], beam_width=5, top_paths=2)
    outs["beam_v2"] = [[(e.indices, e.values, e.dense_shape) for e in ds], lp]
    labs = tf.constant([[1,1,2,2,0],[3,3,3,1,1],[2,2,0,0,0]])
    outs["collapse_repeated"] = list(tf.nn.collapse_repeated(labs, [5, 4, 2]))
    outs["unique"] = list(tf.nn.ctc_unique_labels(labs))
    with tf.Session() as s:
        got = s.run(outs)
def conv(v):
    if isinstance(v, (list, tuple)): return [conv(a) for a in v]
    if isinstance(v, dict): return {k: conv(a) for k, a in v.items()}
    if hasattr(v, "indices"): return [conv(v.indices), conv(v.values), conv(v.dense_shape)]
    a = np.asarray(v)
    return [a.dtype.name, a.tolist()]
result = conv(got)
"""


def _estflow_results():
    namespace = {"tf": tf}
    exec(_PROGRAM, namespace)  # noqa: S102 - the shared program, run on estflow
    return namespace["result"]


def _compare(theirs, ours, path=""):
    if isinstance(theirs, list) and len(theirs) == 2 and isinstance(theirs[0], str):
        assert ours[0] == theirs[0], f"{path}: dtype {ours[0]} != TF's {theirs[0]}"
        np.testing.assert_allclose(np.array(ours[1], float), np.array(theirs[1], float), atol=1e-4, rtol=1e-4,
                                   err_msg=path)
    elif isinstance(theirs, dict):
        for key, value in theirs.items():
            _compare(value, ours[key], f"{path}/{key}")
    else:
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(theirs, ours, strict=True)):
            _compare(a, b, f"{path}[{i}]")


# TF's dense-label computation gives a large finite loss where the labels cannot fit; estflow gives inf.
_DIFFERENT = {"v2_too_long"}


def test_matches_tensorflows_numbers():
    theirs = json.loads(REFERENCE.read_text())
    ours = _estflow_results()
    for key in sorted(set(theirs) - _DIFFERENT):
        _compare(theirs[key], ours[key], key)
    loss = ours["v2_too_long"][1]
    assert loss[1] == float("inf") and loss[0] == pytest.approx(theirs["v2_too_long"][1][0], rel=1e-5)


@pytest.mark.interop
def test_the_reference_is_tensorflows(tf_python):
    from tests.interop import run_tensorflow  # as the other interop tests: only where real TF runs

    theirs = run_tensorflow(tf_python, "import json\nimport tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n"
                            + _PROGRAM + "\nprint(json.dumps(result))")
    if os.environ.get("ESTFLOW_WRITE_CTC_REFERENCE"):
        REFERENCE.write_text(json.dumps(theirs))
    assert theirs == json.loads(REFERENCE.read_text())


def _labels(indices, values, shape):
    return tf.SparseTensor(np.array(indices, np.int64), np.array(values, np.int32), np.array(shape, np.int64))


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_ctc_loss_gradient_matches_central_differences():
    labels = ([[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]], [1, 2, 0, 1, 0], [2, 3])
    check_gradient(lambda x: tf.nn.ctc_loss(_labels(*labels), x, [4, 3]),
                   [np.random.default_rng(0).standard_normal((4, 2, 4))], rtol=1e-4)
    check_gradient(lambda x: tf.nn.ctc_loss(_labels(*labels), x, [4, 3], ctc_merge_repeated=False),
                   [np.random.default_rng(1).standard_normal((4, 2, 4))], rtol=1e-4)


def test_ctc_loss_ops_and_shapes(g):
    x = tf.placeholder(tf.float32, [None, 2, 4])
    loss = tf.nn.ctc_loss(_labels([[0, 0]], [1], [2, 1]), x, [3, 3])
    assert loss.op.type == "CTCLoss" and loss.shape.as_list() == [2]
    (dx,) = tf.gradients(tf.reduce_sum(loss), [x])
    assert {"PreventGradient"} <= {op.type for op in g.get_operations()}
    assert dx.shape.as_list() == [None, 2, 4]
    (decoded,), log_prob = tf.nn.ctc_greedy_decoder(x, [3, 3])
    assert decoded.indices.shape.as_list() == [None, 2] and log_prob.shape.as_list() == [2, 1]
    assert decoded.values.dtype == tf.int64
    paths, log_probs = tf.nn.ctc_beam_search_decoder(x, [3, 3], beam_width=4, top_paths=3)
    assert len(paths) == 3 and log_probs.shape.as_list() == [2, 3]


def test_ctc_loss_errors(g):
    x = np.zeros((3, 2, 4), np.float32)
    too_long = _labels([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0]], [1, 2, 1, 2, 0], [2, 4])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Not enough time for target transition sequence "
                                                             r"\(required: 4, available: 3\)"):
        _run(tf.nn.ctc_loss(too_long, x, [3, 3]))
    loss = _run(tf.nn.ctc_loss(too_long, x, [3, 3], ignore_longer_outputs_than_inputs=True))
    assert loss[0] == 0.0 and loss[1] > 0
    with pytest.raises(tf.errors.InvalidArgumentError, match="the last of the 4 classes is the blank"):
        _run(tf.nn.ctc_loss(_labels([[0, 0]], [3], [2, 1]), x, [3, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"sequence_length\(1\) <= 3"):
        _run(tf.nn.ctc_loss(_labels([[0, 0]], [1], [2, 1]), x, [3, 4]))
    with pytest.raises(TypeError, match="Expected argument `labels` to be a SparseTensor"):
        tf.nn.ctc_loss(np.zeros((2, 1), np.int32), x, [3, 3])
    with pytest.raises(ValueError, match="`blank_index` must be provided"):
        tf.nn.ctc_loss_v2(_labels([[0, 0]], [1], [2, 1]), x, None, [3, 3])
    with pytest.raises(tf.errors.FailedPreconditionError, match=r"sequence_length\(1\) <= 3"):
        _run(tf.nn.ctc_greedy_decoder(x, [3, 5])[1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="requested more paths than the beam width"):
        _run(tf.nn.ctc_beam_search_decoder(x, [3, 2], beam_width=1, top_paths=2)[1])


def test_a_repeated_label_needs_a_blank_between_its_frames(g):
    # [1, 1] needs three frames (1, blank, 1): with two, its probability is zero and its loss inf, as in TF.
    loss = _run(tf.nn.ctc_loss(_labels([[0, 0], [0, 1]], [1, 1], [1, 2]), np.zeros((2, 1, 3), np.float32), [2]))
    assert loss[0] == np.inf


def test_edit_distance(g):
    hypothesis = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], ["a", "b", "c"], [2, 2])
    truth = tf.SparseTensor([[0, 0], [2, 0]], ["a", "d"], [3, 1])
    normalized = tf.edit_distance(hypothesis, truth)
    assert normalized.op.type == "EditDistance" and normalized.op.name == "edit_distance"
    assert normalized.shape.as_list() == [3] and normalized.dtype == tf.float32
    # TF 2.15.1: a hypothesis against an empty truth is inf normalized; an empty hypothesis is 1.
    np.testing.assert_array_equal(_run(normalized), [1.0, np.inf, 1.0])
    np.testing.assert_array_equal(_run(tf.edit_distance(hypothesis, truth, normalize=False)), [1.0, 1.0, 1.0])
    # A batch of [2, 2] sequences of ints: kitten -> sitting is 3 edits.
    kitten = [ord(c) for c in "kitten"]
    sitting = [ord(c) for c in "sitting"]
    hyp = tf.SparseTensor([[1, 1, i] for i in range(6)], kitten, [2, 2, 6])
    ref = tf.SparseTensor([[1, 1, i] for i in range(7)], sitting, [2, 2, 7])
    out = _run(tf.edit_distance(hyp, ref, normalize=False))
    np.testing.assert_array_equal(out, [[0, 0], [0, 3]])
    with pytest.raises(ValueError, match="Dimensions 3 and 2 are not compatible"):
        tf.edit_distance(tf.SparseTensor([[0, 0, 0]], [1], [1, 1, 1]), tf.SparseTensor([[0, 0]], [1], [1, 1]))
    with pytest.raises(TypeError, match="Hypothesis must be a SparseTensor"):
        tf.edit_distance(np.zeros((2, 2)), truth)
