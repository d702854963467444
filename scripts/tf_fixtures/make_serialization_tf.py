"""Writes tests/fixtures/iox/serialization_tf.json with real TensorFlow 2.15.1:
/tmp/tfvenv/bin/python scripts/tf_fixtures/make_serialization_tf.py"""
import base64
import gzip
import json
import zlib

import tensorflow.compat.v1 as tf

tf.disable_eager_execution()
OUT = __file__.replace("scripts/tf_fixtures/make_serialization_tf.py", "tests/fixtures/iox/serialization_tf.json")


def b64(x):
    return base64.b64encode(x).decode()


out = {}
sp = tf.SparseTensor([[0, 1], [2, 0], [2, 3]], [1.5, -2.0, 3.25], [3, 4])
sps = tf.SparseTensor([[0, 0, 1], [1, 0, 0], [1, 2, 2]], ["a", "bc", ""], [3, 3, 3])
with tf.Session() as s:
    one = s.run(tf.io.serialize_sparse(sp))
    many = s.run(tf.io.serialize_many_sparse(sps))
    many_f = s.run(tf.io.serialize_many_sparse(sp))
    out["serialize_sparse_float"] = [b64(v) for v in one.tolist()]
    out["serialize_many_string"] = [[b64(v) for v in row] for row in many.tolist()]
    out["serialize_many_float"] = [[b64(v) for v in row] for row in many_f.tolist()]
    # deserialize a batch made of two separately serialized rank-2 tensors of different shapes
    a = tf.io.serialize_sparse(tf.SparseTensor([[0, 0], [1, 2]], [1, 2], [2, 3]))
    b = tf.io.serialize_sparse(tf.SparseTensor([[3, 1]], [7], [4, 2]))
    d = tf.io.deserialize_many_sparse(tf.stack([a, b]), tf.int32)
    v = s.run(d)
    out["deserialize_many"] = {"indices": v.indices.tolist(), "values": v.values.tolist(),
                               "dense_shape": v.dense_shape.tolist()}
    raw = b"hello hello hello, compressed world"
    out["compressed"] = {"raw": b64(raw), "zlib": b64(zlib.compress(raw)), "gzip": b64(gzip.compress(raw))}
    dec = s.run(tf.io.decode_compressed([zlib.compress(raw)], "ZLIB"))
    out["compressed"]["zlib_decoded_by_tf"] = b64(dec[0])
    try:
        s.run(tf.io.decode_compressed([b"not zlib"], "ZLIB"))
    except tf.errors.OpError as e:
        out["compressed"]["bad_error"] = [type(e).__name__, [l for l in e.message.splitlines() if l.strip() and not l.startswith(("Graph execution", "Detected at", "  ", "Node:", "\t"))][0]]
    js = ['{"features": {"feature": {"age": {"int64List": {"value": ["3", 4]}}, '
          '"name": {"bytesList": {"value": ["YWJj"]}}, "w": {"floatList": {"value": [0.5, 1]}}}}}',
          '{}', '{"features": {}}',
          '{"features": {"feature": {"e": {}, "n": {"int64List": {"value": [-1]}}, "f": {"floatList": {}}}}}']
    ex = s.run(tf.io.decode_json_example(js))
    out["json"] = {"inputs": js, "binary": [b64(v) for v in ex.tolist()]}
    try:
        s.run(tf.io.decode_json_example(['{"features": 3}']))
    except tf.errors.OpError as e:
        out["json"]["bad_error"] = [type(e).__name__, [l for l in e.message.splitlines() if l.strip() and not l.startswith(("Graph execution", "Detected at", "  ", "Node:", "\t"))][0]]
json.dump(out, open(OUT, "w"), indent=0)
print("ok")
