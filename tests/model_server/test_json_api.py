"""TF Serving's REST JSON encoding: request values to arrays, arrays back to JSON, examples."""

import base64

import numpy as np
import pytest

from estflow.core import dtypes
from estflow.model_server import errors, json_api

F32, I64, STR, BOOL, I32 = dtypes.float32, dtypes.int64, dtypes.string, dtypes.bool, dtypes.int32


def test_values_typed_as_the_signature_expects():
    a = json_api.to_array([[1, 2.5]], F32, "x")
    assert a.dtype == np.float32 and a.tolist() == [[1.0, 2.5]]
    assert json_api.to_array([1, 2], I64, "x").dtype == np.int64
    assert json_api.to_array([True, False], BOOL, "x").tolist() == [True, False]
    s = json_api.to_array(["a", {"b64": base64.b64encode(b"\x00\xff").decode()}], STR, "x")
    assert s.dtype == object and s.tolist() == [b"a", b"\x00\xff"]
    assert json_api.to_array("one", STR, "x").shape == ()
    assert json_api.to_array([], I64, "x").shape == (0,)


@pytest.mark.parametrize("value, dtype, fragment", [
    ([1.5], I64, "decimal numbers"),
    ([True], I64, "booleans"),
    ([True], F32, "booleans"),
    ([1], BOOL, "numbers"),
    (["a"], F32, "not of expected type: float32"),
    ([1], STR, "not of expected type: string"),
    ([[1], [1, 2]], F32, "different lengths"),
    ([["a"], ["b", "c"]], STR, "different lengths"),
    ([2 ** 40], I32, "out of range"),
    ([{"b64": "!!"}], STR, "base64"),
])
def test_values_that_do_not_fit_are_invalid_argument(value, dtype, fragment):
    with pytest.raises(errors.ServingError) as e:
        json_api.to_array(value, dtype, "x")
    assert e.value.code == errors.INVALID_ARGUMENT and fragment in e.value.message


def test_row_and_columnar_requests():
    types = {"a": F32, "b": STR}
    name, inputs, fmt = json_api.parse_predict(
        {"signature_name": "s", "instances": [{"a": [1, 2], "b": "x"}, {"a": [3, 4], "b": "y"}]}, lambda s: types)
    assert (name, fmt) == ("s", json_api.ROW)
    assert inputs["a"].shape == (2, 2) and inputs["b"].tolist() == [b"x", b"y"]
    _, inputs, fmt = json_api.parse_predict({"inputs": {"a": [[1, 2]], "b": ["z"]}}, lambda s: types)
    assert fmt == json_api.COLUMNAR and inputs["a"].tolist() == [[1.0, 2.0]]
    _, inputs, _ = json_api.parse_predict({"instances": [{"b64": "YQ=="}]}, lambda s: {"only": STR})
    assert inputs["only"].tolist() == [b"a"]  # a lone {"b64"} object is a value, not named inputs
    with pytest.raises(errors.ServingError, match="same inputs"):
        json_api.parse_predict({"instances": [{"a": [1, 2], "b": "x"}, {"a": [1, 2]}]}, lambda s: types)


def test_responses_in_the_request_format():
    outputs = {"y": np.array([1.5, 2.0], np.float32), "label_bytes": np.array([b"\x01", b"b"], dtype=object),
               "name": np.array([b"n1", b"n2"], dtype=object)}
    row = json_api.predict_response(outputs, json_api.ROW)
    assert row["predictions"][0] == {"y": 1.5, "label_bytes": {"b64": "AQ=="}, "name": "n1"}
    col = json_api.predict_response(outputs, json_api.COLUMNAR)
    assert col["outputs"]["y"] == [1.5, 2.0] and col["outputs"]["name"] == ["n1", "n2"]
    assert json_api.predict_response({"y": np.float32(0.1)}, json_api.COLUMNAR) == {"outputs": 0.1}
    with pytest.raises(errors.ServingError, match="inconsistent batch size"):
        json_api.predict_response({"a": np.zeros(2), "b": np.zeros(3)}, json_api.ROW)
    with pytest.raises(errors.ServingError, match="no shape"):
        json_api.predict_response({"a": np.float32(1)}, json_api.ROW)


def test_examples_features_typed_as_tf_serving():
    name, inp = json_api.parse_examples({"signature_name": "c", "context": {"k": 1},
                                         "examples": [{"i": [1, 2], "f": 1.5, "s": "x", "b": {"b64": "AQ=="}}]})
    assert name == "c"
    ex = inp.example_list_with_context.examples[0].features.feature
    assert list(ex["i"].int64_list.value) == [1, 2]
    assert list(ex["f"].float_list.value) == [1.5]
    assert list(ex["s"].bytes_list.value) == [b"x"]
    assert list(ex["b"].bytes_list.value) == [b"\x01"]
    assert list(inp.example_list_with_context.context.features.feature["k"].int64_list.value) == [1]
    _, inp = json_api.parse_examples({"examples": [{"m": [1, 2.5]}]})
    assert list(inp.example_list.examples[0].features.feature["m"].float_list.value) == [1.0, 2.5]
    for bad in ({"examples": [{"m": [1, "a"]}]}, {"examples": [{"m": []}]}, {"examples": [1]}, {}):
        with pytest.raises(errors.ServingError):
            json_api.parse_examples(bad)
