"""TensorFlow's golden V2 checkpoint (tests/fixtures/checkpoint_bundle) and its manifest, for the tests
of the bundle format, the Saver and the checkpoint utilities."""

import json

import numpy as np

import estflow as tf
from tests import FIXTURES

GOLDEN_CKPT = FIXTURES / "checkpoint_bundle"
MANIFEST = json.loads((GOLDEN_CKPT / "manifest.json").read_text())


def golden_value(var: dict) -> np.ndarray:
    """A manifest variable's value as the array TensorFlow saved."""
    dtype, value = var["dtype"], var["value"]
    if dtype == "string":
        return np.array([bytes.fromhex(v["hex"]) for v in np.ravel(value)] if var["shape"] else
                        bytes.fromhex(value["hex"]), dtype=object).reshape(var["shape"])
    if dtype.startswith("complex"):
        arr = np.array(value, np.float64)
        return (arr[..., 0] + 1j * arr[..., 1]).astype(dtype).reshape(var["shape"])
    return np.array(value, dtype=dtype).reshape(var["shape"])


def variables_like_golden() -> dict:
    """A zero-valued `tf.Variable` for each variable of the golden checkpoint, by name."""
    out = {}
    for var in MANIFEST["variables"]:
        init = np.zeros(var["shape"], np.dtype(object) if var["dtype"] == "string" else var["dtype"])
        if var["dtype"] == "string":
            init[...] = b""
        out[var["name"]] = tf.Variable(init, name=var["name"])
    return out
