"""The SavedModel TensorFlow 2.15 wrote for a LinearClassifier loads in estflow and predicts TF's numbers;
its signatures are what `saved_model_cli show --all` printed."""

import json
import re

import numpy as np
import pytest

import estflow as tf
from estflow.core.protos import types_pb2
from estflow.serving import loader
from tests import SHARED_GOLDEN

GOLDEN = SHARED_GOLDEN / "savedmodel"
EXPORT = GOLDEN / "export" / "TIMESTAMP"
pytestmark = pytest.mark.skipif(not (EXPORT / "saved_model.pb").exists(), reason="golden files not available")


def _manifest():
    return json.loads((GOLDEN / "manifest.json").read_text())


def _examples(manifest):
    return [bytes.fromhex(e["serialized_hex"]) for e in manifest["serving_examples"]]


def _decode(value):
    if isinstance(value, dict) and "hex" in value:
        return bytes.fromhex(value["hex"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _cli_signatures(text):
    """{signature: {"method":..., "inputs": {key: (dtype, shape, name)}, "outputs": {...}}} from the CLI text."""
    sigs, current, side = {}, None, None
    for line in text.splitlines():
        if m := re.match(r"signature_def\['(.+)'\]:", line):
            current = sigs.setdefault(m.group(1), {"inputs": {}, "outputs": {}})
        elif "input(s):" in line:
            side = "inputs"
        elif "output(s):" in line:
            side = "outputs"
        elif m := re.match(r"\s+(inputs|outputs)\['(.+)'\] tensor_info:", line):
            entry = current[side][m.group(2)] = {}
        elif m := re.match(r"\s+(dtype|shape|name): (.+)", line):
            entry[m.group(1)] = m.group(2)
        elif m := re.match(r"\s+Method name is: (.+)", line):
            current["method"] = m.group(1)
    return sigs


def _ours(info):
    shape = "(" + ", ".join(str(d.size) for d in info.tensor_shape.dim) + ")"
    return {"dtype": types_pb2.DataType.Name(info.dtype), "shape": shape, "name": info.name}


def test_signatures_match_saved_model_cli():
    saved_model = loader.parse_saved_model(str(EXPORT))
    (meta,) = saved_model.meta_graphs
    assert list(meta.meta_info_def.tags) == ["serve"]
    expected = _cli_signatures((GOLDEN / "saved_model_cli_show_all.txt").read_text())
    assert set(expected) == set(meta.signature_def) == {"classification", "predict", "regression", "serving_default"}
    for key, sig in meta.signature_def.items():
        assert sig.method_name == expected[key]["method"]
        assert {k: _ours(v) for k, v in sig.inputs.items()} == expected[key]["inputs"]
        assert {k: _ours(v) for k, v in sig.outputs.items()} == expected[key]["outputs"]
    ops = re.search(r"contains the following ops: \{(.*)\}", (GOLDEN / "saved_model_cli_show_all.txt").read_text())
    assert {n.op for n in meta.graph_def.node} == set(re.findall(r"'(\w+)'", ops.group(1)))


def test_golden_loads_and_predicts_tensorflows_numbers():
    manifest = _manifest()
    expected = manifest["predictions_tf1_loader_predict"]
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], str(EXPORT))
        for name, value in manifest["variables"].items():
            np.testing.assert_allclose(sess.run(graph.get_tensor_by_name(name + "/Read/ReadVariableOp:0")),
                                       value, rtol=0, atol=0)
        sig = meta.signature_def["predict"]
        out = sess.run({k: v.name for k, v in sig.outputs.items()}, {sig.inputs["examples"].name: _examples(manifest)})
    for key in ("logits", "logistic", "probabilities"):
        np.testing.assert_allclose(out[key], expected[key], rtol=2e-6, atol=1e-6)
    for key in ("class_ids", "all_class_ids"):
        np.testing.assert_array_equal(out[key], expected[key])
    for key in ("classes", "all_classes"):
        assert out[key].tolist() == _decode(expected[key])


def test_golden_through_the_predictor_every_signature():
    manifest = _manifest()
    examples = _examples(manifest)
    for key, expected in manifest["predictions_tf2_signatures"].items():
        predict = tf.contrib.predictor.from_saved_model(str(EXPORT), signature_def_key=key)
        out = predict({expected["input_arg"]: examples})
        assert set(out) == set(expected["outputs"])
        for name, want in expected["outputs"].items():
            got = out[name]
            assert list(got.shape) == want["shape"]
            if want["dtype"] == "string":
                assert got.tolist() == _decode(want["value"])
            elif want["dtype"] == "float32":
                np.testing.assert_allclose(got, want["value"], rtol=2e-6, atol=1e-6)
            else:
                np.testing.assert_array_equal(got, want["value"])
