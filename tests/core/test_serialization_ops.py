"""Serialized sparse tensors, compressed strings and JSON Examples against real TensorFlow's bytes
(tests/fixtures/iox/serialization_tf.json, written by scripts/tf_fixtures/make_serialization_tf.py)."""

from __future__ import annotations

import base64
import json
import re
import zlib

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import serialization_ops
from estflow.core.protos import example_pb2, tensor_pb2
from tests import FIXTURES

REFERENCE = json.loads((FIXTURES / "iox" / "serialization_tf.json").read_text())


def _bytes(items):
    return [base64.b64decode(x) for x in items]


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def test_serialize_sparse_writes_tensorflows_bytes(g):
    sp = tf.SparseTensor([[0, 1], [2, 0], [2, 3]], [1.5, -2.0, 3.25], [3, 4])
    out = tf.io.serialize_sparse(sp)
    assert tf.serialize_sparse is tf.io.serialize_sparse
    assert out.op.type == "SerializeSparse" and out.dtype == tf.string and out.shape.as_list() == [3]
    assert _run(out).tolist() == _bytes(REFERENCE["serialize_sparse_float"])


def test_serialize_many_sparse_writes_tensorflows_bytes(g):
    strings = tf.SparseTensor([[0, 0, 1], [1, 0, 0], [1, 2, 2]], ["a", "bc", ""], [3, 3, 3])
    floats = tf.SparseTensor([[0, 1], [2, 0], [2, 3]], [1.5, -2.0, 3.25], [3, 4])
    many = tf.io.serialize_many_sparse(strings)
    assert many.op.type == "SerializeManySparse" and many.shape.as_list() == [3, 3]
    assert _run(many).tolist() == [_bytes(row) for row in REFERENCE["serialize_many_string"]]
    assert _run(tf.serialize_many_sparse(floats)).tolist() == [_bytes(r) for r in REFERENCE["serialize_many_float"]]


def test_deserialize_many_sparse_matches_tensorflow_and_round_trips(g):
    a = tf.io.serialize_sparse(tf.SparseTensor([[0, 0], [1, 2]], [1, 2], [2, 3]))
    b = tf.io.serialize_sparse(tf.SparseTensor([[3, 1]], [7], [4, 2]))
    joined = tf.io.deserialize_many_sparse(tf.stack([a, b]), tf.int32)
    assert tf.deserialize_many_sparse is tf.io.deserialize_many_sparse
    value = _run(joined)
    want = REFERENCE["deserialize_many"]
    assert value.indices.tolist() == want["indices"] and value.values.tolist() == want["values"]
    assert value.dense_shape.tolist() == want["dense_shape"] and value.values.dtype == np.int32
    sp = tf.SparseTensor([[0, 0, 1], [1, 0, 0], [1, 2, 2]], ["a", "bc", ""], [3, 3, 3])
    back = tf.io.deserialize_many_sparse(tf.io.serialize_many_sparse(sp), tf.string, rank=3)
    assert back.indices.shape.as_list()[1] == 3 and back.dense_shape.shape.as_list() == [3]
    value = _run(back)
    assert value.indices.tolist() == [[0, 0, 1], [1, 0, 0], [1, 2, 2]]
    assert value.values.tolist() == [b"a", b"bc", b""] and value.dense_shape.tolist() == [3, 3, 3]


def test_deserialize_many_sparse_refuses_bad_input(g):
    good = tf.io.serialize_sparse(tf.SparseTensor([[0]], [1.0], [2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Requested SparseTensor of type int32"):
        _run(tf.io.deserialize_many_sparse(tf.stack([good]), tf.int32))
    feed = tf.placeholder(tf.string, [None, 3])
    out = tf.io.deserialize_many_sparse(feed, tf.float32)
    good_row = _run(good).tolist()
    huge = tensor_pb2.TensorProto(dtype=tf.float32.as_datatype_enum)
    huge.tensor_shape.dim.add().size = 1 << 40  # a hostile shape: refused before any allocation
    rank3 = serialization_ops.tensor_proto_bytes(np.array([2, 2, 2], np.int64), tf.int64)
    for row, message in [([b"junk", good_row[1], good_row[2]], "TensorProto"),
                         ([good_row[0], huge.SerializeToString(), good_row[2]], "claims shape"),
                         ([good_row[0], good_row[1], rank3], "not consistent")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _run(out, {feed: np.array([row], dtype=object)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Inconsistent rank"):
        two = [good_row, _run(tf.io.serialize_sparse(tf.SparseTensor([[0, 0]], [1.0], [2, 2]))).tolist()]
        _run(out, {feed: np.array(two, dtype=object)})
    with pytest.raises(ValueError, match="out_type=tf.string"):
        tf.io.serialize_sparse(tf.SparseTensor([[0]], [1.0], [2]), out_type=tf.variant)


def test_string_tensor_content_round_trips_through_tensorflows_encoding():
    strings = np.array([[b"", b"x" * 200], [b"\x00\xff", b"abc"]], dtype=object)
    raw = serialization_ops.tensor_proto_bytes(strings, tf.string)
    dtype, back = serialization_ops.tensor_from_proto_bytes(raw, "t")
    assert dtype == tf.string and back.tolist() == strings.tolist()
    proto = tensor_pb2.TensorProto.FromString(raw)
    proto.tensor_content = proto.tensor_content[:-1]  # one byte short
    with pytest.raises(tf.errors.InvalidArgumentError, match="matching content"):
        serialization_ops.tensor_from_proto_bytes(proto.SerializeToString(), "t")


def test_decode_compressed_zlib_and_gzip(g):
    case = REFERENCE["compressed"]
    raw = base64.b64decode(case["raw"])
    data = tf.placeholder(tf.string, [None])
    for kind, key in (("ZLIB", "zlib"), ("GZIP", "gzip")):
        out = tf.io.decode_compressed(data, kind)
        assert out.op.type == "DecodeCompressed"
        assert _run(out, {data: np.array(_bytes([case[key]] * 2), dtype=object)}).tolist() == [raw, raw]
    assert base64.b64decode(case["zlib_decoded_by_tf"]) == raw
    assert _run(tf.decode_compressed(["as is"])).tolist() == [b"as is"]
    kind, message = case["bad_error"]
    with pytest.raises(getattr(tf.errors, kind), match=re.escape(message)):
        _run(tf.io.decode_compressed([b"not zlib"], "ZLIB"))
    assert _run(tf.io.decode_compressed([zlib.compress(b"")], "ZLIB")).tolist() == [b""]
    with pytest.raises(ValueError, match="compression_type"):
        tf.io.decode_compressed(["x"], "BZIP2")


def test_decode_json_example_writes_tensorflows_bytes(g):
    case = REFERENCE["json"]
    out = tf.io.decode_json_example(tf.constant(case["inputs"]))
    assert tf.decode_json_example is tf.io.decode_json_example and out.op.type == "DecodeJSONExample"
    binary = _run(out).tolist()
    assert binary == _bytes(case["binary"])
    example = example_pb2.Example.FromString(binary[0])
    assert list(example.features.feature["age"].int64_list.value) == [3, 4]
    assert list(example.features.feature["name"].bytes_list.value) == [b"abc"]
    kind, message = case["bad_error"]
    assert message.startswith("Error while parsing JSON")
    with pytest.raises(getattr(tf.errors, kind), match="Error while parsing JSON"):
        _run(tf.io.decode_json_example(['{"features": 3}']))
