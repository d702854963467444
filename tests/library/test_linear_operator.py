"""The LinearOperator contract (estflow/library/linear_operator.py), over every operator of the
table in tests/library/linear_operator_cases.py: each method against numpy on the dense matrix,
TF's hint checks and errors, the defaults a minimal subclass inherits, and (interop) every
value, shape, hint, name and result type against TensorFlow 2.15."""

import json

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient
from tests.interop import run_tensorflow
from tests.library import linear_operator_cases as cases


def _evaluate(label):
    scope = cases.namespace(tf)
    with tf.Graph().as_default():
        op = scope["CASES"][label]()
        tensors, facts = scope["evaluate"](op)
        with tf.Session() as sess:
            return sess.run(tensors), facts, scope


def _argument(scope, shape, dtype):
    return scope["_argument"](shape, np.dtype(dtype))


@pytest.mark.parametrize("label", cases.LABELS)
def test_methods_agree_with_the_dense_matrix(label):
    values, facts, scope = _evaluate(label)
    dense = values["dense"]
    rows, columns = dense.shape[-2:]
    assert list(dense.shape) == facts["shape"] and values["shape_tensor"].tolist() == facts["shape"]
    x, y = _argument(scope, (columns, 2), dense.dtype), _argument(scope, (rows, 2), dense.dtype)
    adjoint = np.conj(np.swapaxes(dense, -1, -2))
    close = dict(rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(values["matmul"], dense @ x, **close)
    np.testing.assert_allclose(values["operator_matmul"], dense @ x, **close)
    np.testing.assert_allclose(values["matmul_adjoint"], adjoint @ y, **close)
    np.testing.assert_allclose(values["matmul_adjoint_arg"], dense @ x, **close)
    np.testing.assert_allclose(values["matvec"], dense @ x[:, 0], **close)
    np.testing.assert_allclose(values["matvec_adjoint"], adjoint @ y[:, 0], **close)
    np.testing.assert_allclose(values["adjoint_dense"], adjoint, **close)
    np.testing.assert_allclose(values["add_to_tensor"], dense + 1, **close)
    if "trace" in values:
        np.testing.assert_allclose(values["trace"], np.trace(dense, axis1=-2, axis2=-1), **close)
        np.testing.assert_allclose(values["diag_part"], np.diagonal(dense, axis1=-2, axis2=-1), **close)
        np.testing.assert_allclose(values["determinant"], np.linalg.det(dense), rtol=1e-9, atol=1e-12)
        with np.errstate(divide="ignore"):  # the zero operator: log 0 = -inf, as the operator gives
            np.testing.assert_allclose(values["log_abs_determinant"], np.log(np.abs(np.linalg.det(dense))), **close)
    if "solve" in values:
        solve = np.linalg.solve
        np.testing.assert_allclose(values["solve"], solve(dense, np.broadcast_to(x, dense.shape[:-2] + x.shape)),
                                   **close)
        np.testing.assert_allclose(values["solve_adjoint"], solve(adjoint, np.broadcast_to(y, adjoint.shape[:-2] +
                                                                                           y.shape)), **close)
        np.testing.assert_allclose(values["solve_adjoint_arg"], solve(dense, np.broadcast_to(y, dense.shape[:-2] +
                                                                                              y.shape)), **close)
        np.testing.assert_allclose(values["solvevec"], values["solve"][..., 0], **close)
        np.testing.assert_allclose(values["inverse_dense"], np.linalg.inv(dense), **close)
    if "eigvals" in values:
        np.testing.assert_allclose(np.sort(np.real(values["eigvals"]), axis=-1), np.linalg.eigvalsh(dense), **close)
        singular = np.linalg.svd(dense, compute_uv=False)
        with np.errstate(divide="ignore", invalid="ignore"):  # the zero operator's 0 / 0
            np.testing.assert_allclose(values["cond"], singular.max(-1) / singular.min(-1), **close)
    if "cholesky_dense" in values:
        np.testing.assert_allclose(values["cholesky_dense"], np.linalg.cholesky(dense), **close)


_TF_CODE = """
import json, sys
import numpy as np
import tensorflow as tf
sys.path.insert(0, sys.argv[1])
from tests.library import linear_operator_cases as cases
scope = cases.namespace(tf)
out = {}
for label in cases.LABELS:
    tensors, facts = scope["evaluate"](scope["CASES"][label]())
    out[label] = {"facts": facts, "values": {k: [np.real(np.asarray(v)).tolist(), np.imag(np.asarray(v)).tolist()]
                                             for k, v in tensors.items()}}
print(json.dumps(out))
"""


@pytest.mark.interop
def test_every_operator_matches_tensorflow(tf_python):
    import pathlib  # only this test runs TensorFlow on the repository's files

    theirs = run_tensorflow(tf_python, _TF_CODE, pathlib.Path(__file__).resolve().parents[2])
    for label in cases.LABELS:
        values, facts, _ = _evaluate(label)
        assert json.loads(json.dumps(facts)) == theirs[label]["facts"], label
        assert sorted(values) == sorted(theirs[label]["values"]), label
        for key, (real, imag) in theirs[label]["values"].items():
            expected = np.asarray(real) + 1j * np.asarray(imag)
            got = values[key]
            if key == "eigvals":
                got, expected = np.sort_complex(np.ravel(got)), np.sort_complex(np.ravel(expected))
            np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9, err_msg=f"{label}: {key}")


@pytest.mark.parametrize("kwargs, message", [
    (dict(is_positive_definite=True, is_non_singular=False), "A positive definite matrix is always non-singular."),
    (dict(is_non_singular=True, is_square=False), "A non-singular matrix is always square."),
    (dict(is_self_adjoint=True, is_square=False), "A self-adjoint matrix is always square."),
])
def test_contradicting_hints_raise_tfs_errors(kwargs, message):
    with tf.Graph().as_default(), pytest.raises(ValueError, match=message):
        tf.linalg.LinearOperatorFullMatrix(np.eye(2), **kwargs)


@pytest.mark.usefixtures("g")
def test_hints_imply_others_and_guard_the_methods():
    op = tf.linalg.LinearOperatorFullMatrix(np.eye(2), is_positive_definite=True)
    assert (op.is_non_singular, op.is_square, op.is_self_adjoint) == (True, True, None)
    with pytest.raises(ValueError, match="User set is_square hint to False, but the operator was square."):
        _ = tf.linalg.LinearOperatorFullMatrix(np.eye(2), is_square=False).is_square
    wide = tf.linalg.LinearOperatorFullMatrix(np.ones((2, 3)))
    assert wide.is_square is False
    with pytest.raises(NotImplementedError, match="Determinant not implemented for an operator that is expected to "
                                                  "not be square."):
        wide.determinant()
    with pytest.raises(NotImplementedError, match="Exact solve not implemented for an operator that is expected to "
                                                  "not be square."):
        wide.solve(np.eye(2))
    singular = tf.linalg.LinearOperatorFullMatrix(np.eye(2), is_non_singular=False)
    with pytest.raises(NotImplementedError, match="expected to be singular"):
        singular.solvevec(np.ones(2))
    with pytest.raises(ValueError, match="Cannot take the Inverse: This operator represents a singular matrix."):
        singular.inverse()
    with pytest.raises(ValueError, match="Cannot take the Inverse: This operator represents a non square matrix."):
        wide.inverse()
    with pytest.raises(ValueError, match="Cannot take the Cholesky decomposition: Not a positive definite self "
                                         "adjoint matrix."):
        tf.linalg.LinearOperatorFullMatrix(np.eye(2)).cholesky()
    with pytest.raises(NotImplementedError, match="Only self-adjoint matrices are supported."):
        tf.linalg.LinearOperatorFullMatrix(np.eye(2)).eigvals()
    with pytest.raises(TypeError, match="Expected argument to have dtype float64. Found: float32"):
        tf.linalg.LinearOperatorFullMatrix(np.eye(2)).matmul(tf.ones([2, 1]))
    with pytest.raises(ValueError, match="Operators are incompatible. Expected `x` to have dimension 3 but got 2."):
        wide.matmul(tf.linalg.LinearOperatorDiag(np.ones(2)))


@pytest.mark.usefixtures("g")
def test_static_and_dynamic_shapes():
    matrix = tf.placeholder(tf.float64, [None, 3, 3])
    op = tf.linalg.LinearOperatorFullMatrix(matrix)
    assert op.shape.as_list() == [None, 3, 3] and op.batch_shape.as_list() == [None] and op.tensor_rank == 3
    assert isinstance(op.domain_dimension, tf.Dimension) and op.domain_dimension.value == 3
    feed = {matrix: np.ones((4, 3, 3))}
    with tf.Session() as sess:
        shape, batch, rank, domain = sess.run([op.shape_tensor(), op.batch_shape_tensor(), op.tensor_rank_tensor(),
                                               op.domain_dimension_tensor()], feed)
    assert shape.tolist() == [4, 3, 3] and batch.tolist() == [4] and rank == 3 and domain == 3


@pytest.mark.usefixtures("g")
def test_a_subclass_gets_every_other_method_from_its_matmul():
    class Doubling(tf.linalg.LinearOperator):
        """2 I on R^3, defined only by its shape and its matmul."""

        def __init__(self):
            super().__init__(dtype=tf.float64, is_self_adjoint=True, is_positive_definite=True, name="Doubling")

        def _shape(self):
            return tf.TensorShape([3, 3])

        def _shape_tensor(self):
            return tf.constant([3, 3])

        def _matmul(self, x, adjoint=False, adjoint_arg=False):
            return 2.0 * (tf.linalg.adjoint(x) if adjoint_arg else x)

    op = Doubling()
    with tf.Session() as sess:
        dense, det, log_det, solved, trace, chol, eig = sess.run([
            op.to_dense(), op.determinant(), op.log_abs_determinant(), op.solve(np.ones((3, 1))), op.trace(),
            op.cholesky().to_dense(), op.eigvals()])
        inverse, adjoint_type = sess.run(op.inverse().to_dense()), type(op.adjoint()).__name__
    np.testing.assert_allclose(dense, 2 * np.eye(3))
    np.testing.assert_allclose([det, log_det, trace], [8.0, np.log(8.0), 6.0])
    np.testing.assert_allclose(solved, np.full((3, 1), 0.5))
    np.testing.assert_allclose(chol, np.sqrt(2) * np.eye(3))
    np.testing.assert_allclose(eig, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(inverse, 0.5 * np.eye(3))
    assert adjoint_type == "Doubling"  # self-adjoint: its own adjoint
    assert op.parameters == {} and op.graph_parents == [] and op.name == "Doubling"
    with tf.Session() as sess:
        sess.run([op.assert_positive_definite(), op.assert_non_singular(), op.assert_self_adjoint()])


@pytest.mark.usefixtures("g")
def test_the_run_time_assertions_fail_as_tfs():
    indefinite = tf.linalg.LinearOperatorFullMatrix(np.array([[1.0, 2.0], [3.0, -1.0]]))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Matrix was not equal to its adjoint"):
            sess.run(indefinite.assert_self_adjoint())
        with pytest.raises(tf.errors.InvalidArgumentError, match="Singular matrix up to precision epsilon"):
            sess.run(tf.linalg.LinearOperatorFullMatrix(np.ones((2, 2))).assert_non_singular())


def test_gradients_flow_to_the_tensors_that_define_an_operator():
    check_gradient(lambda m, x: tf.linalg.LinearOperatorFullMatrix(m + 3 * tf.eye(3, dtype=tf.float64)).solve(x),
                   [np.random.default_rng(1).standard_normal((3, 3)), np.ones((3, 2))])
    check_gradient(lambda m: tf.linalg.LinearOperatorFullMatrix(m + 3 * tf.eye(3, dtype=tf.float64))
                   .log_abs_determinant(), [np.random.default_rng(2).standard_normal((3, 3))])
