"""arg_scope / add_arg_scope, as TF1's tf.contrib.framework."""

import pytest

from estflow.library.arg_scope import (
    add_arg_scope,
    arg_scope,
    arg_scoped_arguments,
    current_arg_scope,
    has_arg_scope,
)


@add_arg_scope
def layer(inputs, size=1, padding="SAME", activation=None):
    return {"inputs": inputs, "size": size, "padding": padding, "activation": activation}


@add_arg_scope
def other(inputs, padding="SAME"):
    return padding


def plain(x, padding=None):
    return padding


def test_scope_supplies_defaults_and_explicit_arguments_win():
    assert layer(1)["padding"] == "SAME"
    with arg_scope([layer], padding="VALID", size=3):
        assert layer(1) == {"inputs": 1, "size": 3, "padding": "VALID", "activation": None}
        assert layer(1, padding="SAME")["padding"] == "SAME"
        assert other(1) == "SAME"  # only the listed functions
    assert layer(1)["padding"] == "SAME"


def test_nested_scopes_merge_and_saved_scopes_reenter():
    with arg_scope([layer, other], padding="VALID"):
        with arg_scope([layer], activation="relu") as inner:
            assert layer(0)["padding"] == "VALID" and layer(0)["activation"] == "relu"
            assert other(0) == "VALID"
        with arg_scope([layer], padding="FULL"):
            assert layer(0)["padding"] == "FULL" and other(0) == "VALID"
    assert current_arg_scope() == {}
    with arg_scope(inner):
        assert layer(0)["activation"] == "relu" and other(0) == "VALID"
    assert layer(0)["activation"] is None


def test_errors_and_introspection():
    with pytest.raises(ValueError, match="not decorated with @add_arg_scope"):
        with arg_scope([plain], padding="VALID"):
            pass
    with pytest.raises(TypeError, match="list/tuple"):
        with arg_scope(layer, padding="VALID"):
            pass
    with pytest.raises(ValueError, match="kwargs must be empty"):
        with arg_scope({}, padding="VALID"):
            pass
    assert has_arg_scope(layer) and not has_arg_scope(plain)
    assert arg_scoped_arguments(layer) == ["inputs", "size", "padding", "activation"]
    assert layer.__name__ == "layer"
    assert current_arg_scope() == {}  # a failed scope leaves the stack as it was
