"""tf.errors: the OpError classes, their codes, and the errors Session.run raises."""

import pytest

import estflow as tf

ERROR_CLASSES = [
    ("CancelledError", 1), ("UnknownError", 2), ("InvalidArgumentError", 3), ("DeadlineExceededError", 4),
    ("NotFoundError", 5), ("AlreadyExistsError", 6), ("PermissionDeniedError", 7), ("ResourceExhaustedError", 8),
    ("FailedPreconditionError", 9), ("AbortedError", 10), ("OutOfRangeError", 11), ("UnimplementedError", 12),
    ("InternalError", 13), ("UnavailableError", 14), ("DataLossError", 15), ("UnauthenticatedError", 16),
]


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("cls_name,code", ERROR_CLASSES)
def test_error_classes(cls_name, code):
    cls = getattr(tf.errors, cls_name)
    assert issubclass(cls, tf.errors.OpError) and issubclass(tf.errors.OpError, Exception)
    nd = tf.NodeDef(name="n", op="Foo")
    e = cls(nd, None, "boom")
    assert e.node_def is nd and e.op is None and e.message == "boom" and e.error_code == code
    assert tf.errors.exception_type_from_error_code(code) is cls
    assert tf.errors.error_code_from_exception_type(cls) == code


@pytest.mark.usefixtures("g")
def test_error_from_run_carries_op_and_node_def():
    x = tf.placeholder(tf.float32, name="feed_me")
    with tf.Session() as sess, pytest.raises(tf.errors.OpError) as e:
        sess.run(x + 1)
    assert isinstance(e.value, tf.errors.InvalidArgumentError)
    assert e.value.op.name == "feed_me" and e.value.node_def.name == "feed_me"
    assert e.value.node_def.op == "Placeholder"
