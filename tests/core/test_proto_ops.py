"""tf.io.decode_proto / encode_proto over estflow's descriptor pool. The expected values and bytes are what
TensorFlow 2.15.1 gives for the same calls (run once with TF's own tensorflow.* protos)."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core.protos import feature_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2

Dim = tensor_shape_pb2.TensorShapeProto.Dim


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def test_decode_repeated_messages_and_missing_fields(g):
    shapes = [tensor_shape_pb2.TensorShapeProto(dim=[Dim(size=3, name="a"), Dim(size=-1)]).SerializeToString(),
              tensor_shape_pb2.TensorShapeProto(unknown_rank=True).SerializeToString()]
    data = tf.placeholder(tf.string, [None])
    sizes, (dims, unknown) = tf.io.decode_proto(data, "tensorflow.TensorShapeProto", ["dim", "unknown_rank"],
                                                [tf.string, tf.bool])
    assert sizes.op.type == "DecodeProtoV2" and sizes.shape.as_list() == [None, 2]
    assert dims.shape.as_list() == [None, None] and unknown.dtype == tf.bool
    sizes, dims, unknown = _run([sizes, dims, unknown], {data: np.array(shapes, dtype=object)})
    assert sizes.tolist() == [[2, 0], [0, 1]]
    assert dims.tolist() == [[b"\x08\x03\x12\x01a", b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"], [b"", b""]]
    assert unknown.tolist() == [[False], [True]]


def test_decode_scalars_keeps_the_batch_shape_and_pads_with_defaults(g):
    value = summary_pb2.Summary.Value(tag="t", simple_value=1.5).SerializeToString()
    sizes, (simple, tag) = tf.io.decode_proto([[value], [b""]], "tensorflow.Summary.Value", ["simple_value", "tag"],
                                              [tf.float32, tf.string])
    sizes, simple, tag = _run([sizes, simple, tag])
    assert sizes.tolist() == [[[1, 1]], [[0, 0]]]
    assert simple.dtype == np.float32 and simple.tolist() == [[[1.5]], [[0.0]]]
    assert tag.tolist() == [[[b"t"]], [[b""]]]
    _, (wide,) = tf.io.decode_proto([value], "tensorflow.Summary.Value", ["simple_value"], [tf.float64])
    assert _run(wide).dtype == np.float64  # a float field may be read as double
    proto = tensor_pb2.TensorProto(dtype=1, float_val=[1.0, 2.0]).SerializeToString()
    sizes, (dtype, floats) = tf.io.decode_proto([proto], "tensorflow.TensorProto", ["dtype", "float_val"],
                                                [tf.int32, tf.float32])
    assert _run(sizes).tolist() == [[1, 2]] and _run(dtype).tolist() == [[1]] and _run(floats).tolist() == [[1, 2]]


def test_decode_text_protos(g):
    sizes, (size, name) = tf.io.decode_proto(['size: 5 name: "q"'], "tensorflow.TensorShapeProto.Dim",
                                             ["size", "name"], [tf.int64, tf.string], message_format="text")
    assert _run(sizes).tolist() == [[1, 1]] and _run(size).tolist() == [[5]] and _run(name).tolist() == [[b"q"]]


def test_decode_errors_are_tensorflows(g):
    value = summary_pb2.Summary.Value(tag="t").SerializeToString()
    cases = [
        (("tensorflow.TensorShapeProto.Dim", ["size"], [tf.int32]), "Unexpected output type for "
                                                                    "tensorflow.TensorShapeProto.Dim.size"),
        (("tensorflow.Summary.Value", ["nope"], [tf.float32]), "Unknown field: nope in message type "
                                                               "tensorflow.Summary.Value"),
        (("tensorflow.NoSuch", ["x"], [tf.float32]), "No descriptor found for message type tensorflow.NoSuch"),
    ]
    for args, message in cases:
        _, values = tf.io.decode_proto([value], *args)
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _run(values)
    _, (tag,) = tf.io.decode_proto([b"\xff\xff"], "tensorflow.Summary.Value", ["tag"], [tf.string])
    with pytest.raises(tf.errors.DataLossError, match="Unable to parse tensorflow.Summary.Value"):
        _run(tag)
    with pytest.raises(ValueError, match="message_format"):
        tf.io.decode_proto([value], "tensorflow.Summary.Value", ["tag"], [tf.string], message_format="json")


def test_encode_writes_tensorflows_bytes(g):
    out = tf.io.encode_proto(sizes=[[1, 1]], values=[tf.constant([[2.5]]), tf.constant([["hi"]])],
                             field_names=["simple_value", "tag"], message_type="tensorflow.Summary.Value")
    assert out.op.type == "EncodeProto" and out.shape.as_list() == [1]
    assert _run(out).tolist() == [b"\n\x02hi\x15\x00\x00 @"]  # fields in number order
    dims = tf.io.encode_proto([[2, 0]], [tf.constant([[3, 4]], tf.int64), tf.constant([[""]])], ["size", "name"],
                              "tensorflow.TensorShapeProto.Dim")
    assert _run(dims).tolist() == [b"\x08\x03\x08\x04"]  # a singular field given twice: two entries, as TF
    batch = tf.io.encode_proto([[1], [0]], [tf.constant([[3], [4]], tf.int64)], ["size"],
                               "tensorflow.TensorShapeProto.Dim")
    assert _run(batch).tolist() == [b"\x08\x03", b""]
    packed = tf.io.encode_proto([[3]], [tf.constant([[1, -2, 3]], tf.int64)], ["value"], "tensorflow.Int64List")
    assert _run(packed).tolist() == [feature_pb2.Int64List(value=[1, -2, 3]).SerializeToString()]
    with pytest.raises(tf.errors.InvalidArgumentError, match="smaller than the size 2"):
        _run(tf.io.encode_proto([[2]], [tf.constant([[1]], tf.int64)], ["size"], "tensorflow.TensorShapeProto.Dim"))


def test_encode_then_decode_round_trips_through_a_file_descriptor_set(g, tmp_path):
    files = tf_descriptor_set()
    path = tmp_path / "tensor.desc"
    path.write_bytes(files)
    for source in (str(path), "bytes://" + files.decode("latin-1")):
        encoded = tf.io.encode_proto([[1, 2]], [tf.constant([[1]]), tf.constant([[0.25, 0.5]])],
                                     ["dtype", "float_val"], "tensorflow.TensorProto", descriptor_source=source)
        assert tensor_pb2.TensorProto.FromString(_run(encoded)[0]).float_val == [0.25, 0.5]
        sizes, (dtype, floats) = tf.io.decode_proto(encoded, "tensorflow.TensorProto", ["dtype", "float_val"],
                                                    [tf.int64, tf.float64], descriptor_source=source)
        assert _run(sizes).tolist() == [[1, 2]] and _run(dtype).tolist() == [[1]]
        assert _run(floats).tolist() == [[0.25, 0.5]]
    _, (missing,) = tf.io.decode_proto([b""], "tensorflow.TensorProto", ["dtype"], [tf.int32],
                                       descriptor_source=str(tmp_path / "missing.desc"))
    with pytest.raises(tf.errors.InvalidArgumentError, match="descriptor source"):
        _run(missing)


def tf_descriptor_set() -> bytes:
    """A FileDescriptorSet holding tensor.proto and what it imports."""
    from google.protobuf import descriptor_pb2  # noqa: PLC0415 - only this helper builds descriptor sets

    files, seen = descriptor_pb2.FileDescriptorSet(), set()

    def add(file_descriptor):
        if file_descriptor.name in seen:
            return
        seen.add(file_descriptor.name)
        for dependency in file_descriptor.dependencies:
            add(dependency)
        file_descriptor.CopyToProto(files.file.add())

    add(tensor_pb2.DESCRIPTOR)
    return files.SerializeToString()
