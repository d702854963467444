"""Writes tests/fixtures/iox/strings_tf.json with real TensorFlow 2.15.1: /tmp/tfvenv/bin/python scripts/tf_fixtures/make_strings_tf.py"""
import base64
import json

import numpy as np
import tensorflow as tf

out = {}
def b(x): return base64.b64encode(x).decode()
def strs(a): return [b(v) for v in np.asarray(a).reshape(-1).tolist()], list(np.asarray(a).shape)
# ngrams
cases = []
data2 = tf.constant([["a", "b", "c", "d"], ["e", "f", "g", "h"]])
data1 = tf.constant(["a", "b", "c"])
for kw in [dict(ngram_width=2), dict(ngram_width=[1, 3], separator="|"), dict(ngram_width=3, pad_values="P"),
           dict(ngram_width=3, pad_values=("L", "R"), padding_width=1), dict(ngram_width=5, preserve_short_sequences=True),
           dict(ngram_width=5, pad_values="P", padding_width=1, preserve_short_sequences=True), dict(ngram_width=4)]:
    for name, d in (("data2", data2), ("data1", data1)):
        r = tf.strings.ngrams(d, **kw).numpy()
        cases.append({"kw": {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}, "data": name,
                      "values": [v.decode() for v in r.reshape(-1).tolist()], "shape": list(r.shape)})
out["ngrams"] = cases
# unsorted_segment_join
r = tf.strings.unsorted_segment_join([["a", "b"], ["c", "d"], ["e", "f"]], [2, 0, 2], 4, separator=":").numpy()
out["segment_join"] = {"values": [v.decode() for v in r.reshape(-1).tolist()], "shape": list(r.shape)}
r = tf.strings.unsorted_segment_join([["a", "b"], ["c", "d"]], [[0, 1], [1, 1]], 2, separator="+").numpy()
out["segment_join2"] = {"values": [v.decode() for v in r.reshape(-1).tolist()], "shape": list(r.shape)}
# transcode
inputs = [b"abc", "héllo".encode(), b"\xff\xfe bad \xc3", b"ctl\x01\x1f\x7f\x0a", "😀".encode()]
tc = []
for kw in [dict(input_encoding="UTF-8", output_encoding="UTF-16-BE"),
           dict(input_encoding="UTF-8", output_encoding="UTF-8", errors="replace", replacement_char=63),
           dict(input_encoding="UTF-8", output_encoding="UTF-8", errors="ignore"),
           dict(input_encoding="UTF-8", output_encoding="UTF-8", replace_control_characters=True),
           dict(input_encoding="UTF-8", output_encoding="UTF-8", replace_control_characters=True, errors="ignore"),
           dict(input_encoding="UTF-8", output_encoding="UTF-32-BE")]:
    r = tf.strings.unicode_transcode(inputs, **kw).numpy()
    tc.append({"kw": kw, "out": [b(v) for v in r.tolist()]})
r = tf.strings.unicode_transcode(["abc".encode("utf-16-be")], "UTF-16-BE", "UTF-8").numpy()
tc.append({"kw": {"input_encoding": "UTF-16-BE", "output_encoding": "UTF-8"}, "in": [b("abc".encode("utf-16-be"))], "out": [b(v) for v in r.tolist()]})
r = tf.strings.unicode_transcode([b"caf\xe9"], "ISO-8859-1", "UTF-8").numpy()
tc.append({"kw": {"input_encoding": "ISO-8859-1", "output_encoding": "UTF-8"}, "in": [b(b"caf\xe9")], "out": [b(v) for v in r.tolist()]})
out["transcode_inputs"] = [b(v) for v in inputs]
out["transcode"] = tc
try:
    tf.strings.unicode_transcode([b"\xff"], "UTF-8", "UTF-8", errors="strict").numpy()
except Exception as e:
    out["transcode_strict"] = [type(e).__name__, str(e).splitlines()[0]]
# encode
enc = []
for kw in [dict(output_encoding="UTF-8"), dict(output_encoding="UTF-16-BE"), dict(output_encoding="UTF-32-BE"),
           dict(output_encoding="UTF-8", errors="ignore"), dict(output_encoding="UTF-8", replacement_char=63)]:
    r = tf.strings.unicode_encode([[72, 105, 0x1F600, 0xD800], [-5, 0x110000, 233, 0]], **kw).numpy()
    enc.append({"kw": kw, "out": [b(v) for v in r.tolist()]})
r = tf.strings.unicode_encode([72, 105], "UTF-8").numpy()
enc.append({"kw": {"output_encoding": "UTF-8"}, "one": True, "out": [b(r)]})
r = tf.strings.unicode_encode(tf.zeros([2, 2, 0], tf.int32), "UTF-8").numpy()
out["encode_empty"] = [list(r.shape), [b(v) for v in r.reshape(-1).tolist()]]
out["encode"] = enc
try:
    tf.strings.unicode_encode([[0x110000]], "UTF-8", errors="strict").numpy()
except Exception as e:
    out["encode_strict"] = [type(e).__name__, str(e).splitlines()[0]]
# fingerprint
fp = {}
fp["strings1"] = tf.fingerprint(tf.constant(["", "a", "hello world"])).numpy().tolist()
fp["strings2"] = tf.fingerprint(tf.constant([["a", "b"], ["c", "d"]])).numpy().tolist()
fp["int32"] = tf.fingerprint(tf.constant([[1, 2, 3], [4, 5, 6]], tf.int32)).numpy().tolist()
fp["float64"] = tf.fingerprint(tf.constant([1.5, -2.0], tf.float64)).numpy().tolist()
fp["bool3"] = tf.fingerprint(tf.constant([[[True, False]], [[False, False]]])).numpy().tolist()
out["fingerprint"] = fp
json.dump(out, open(__file__.replace("scripts/tf_fixtures/make_strings_tf.py", "tests/fixtures/iox/strings_tf.json"), "w"), indent=0)
print("ok")
