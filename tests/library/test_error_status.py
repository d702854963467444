"""tf.errors.raise_exception_on_not_ok_status."""

import pytest

import estflow as tf


def test_a_status_left_ok_raises_nothing():
    with tf.errors.raise_exception_on_not_ok_status() as status:
        assert status.code == tf.errors.OK


@pytest.mark.parametrize("code, cls", [(tf.errors.NOT_FOUND, tf.errors.NotFoundError),
                                       (tf.errors.INVALID_ARGUMENT, tf.errors.InvalidArgumentError),
                                       (999, tf.errors.UnknownError)])
def test_a_failed_status_raises_tfs_class(code, cls):
    with pytest.raises(cls, match="went wrong"), tf.errors.raise_exception_on_not_ok_status() as status:
        status.set(code, "went wrong")


def test_an_exception_of_the_block_passes_through():
    with pytest.raises(KeyError), tf.errors.raise_exception_on_not_ok_status():
        raise KeyError("x")
