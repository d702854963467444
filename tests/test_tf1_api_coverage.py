"""How much of TF1's public API `import estflow as tf` covers (issue 16).

`tests/fixtures/api/tf1_api.txt` lists every public name of TensorFlow 2.15.1's
`tensorflow.compat.v1` (copied from `../shared/golden/api/tf1_api.txt`, written from real
TensorFlow). Each name is in scope or out of it (`out_of_scope` says why); names that the
Estimator, feature-column and SavedModel issues bring count in scope. The test prints the
coverage by module (`pytest -s`) and keeps a floor: raise `FLOOR` as names land, never lower it.

A name out of scope stays undefined (AttributeError), or, where TF1 programs reasonably call
it, raises an error saying why; neither counts as covered.
"""

import collections
import re

import estflow as tf
from tests import FIXTURES

API_LIST = FIXTURES / "api" / "tf1_api.txt"

# Resolved in-scope names: the floor this branch reaches (raise it as names land).
FLOOR = 1662

_QUANTIZATION = re.compile(r"(^|_)(de)?quantiz|fake_quant|^q(u)?int\d+$|QUANTIZED")
_TPU = re.compile(r"(^|_)tpu(_|$)", re.IGNORECASE)
_OUT_OF_SCOPE_NAMES = {
    # load_op_library and friends: estflow has no C++ kernels to load.
    "load_op_library": "custom-op loading", "load_library": "custom-op loading",
    "load_file_system_library": "custom-op loading",
    "CriticalSection": "CriticalSection",
    # The TF2-behaviour switches (estflow is TF1's graph mode, always).
    **{name: "TF2-behaviour switch" for name in (
        "enable_v2_behavior", "disable_v2_behavior", "enable_v2_tensorshape", "disable_v2_tensorshape",
        "enable_control_flow_v2", "disable_control_flow_v2", "control_flow_v2_enabled", "enable_tensor_equality",
        "disable_tensor_equality", "enable_resource_variables", "disable_resource_variables",
        "resource_variables_enabled", "enable_eager_execution", "disable_eager_execution")},
    # Distributed runtime: a later issue brings distribution.
    **{f"train.{name}": "distributed runtime" for name in (
        "Server", "ServerDef", "ClusterSpec", "ClusterDef", "JobDef", "replica_device_setter",
        "SyncReplicasOptimizer")},
    "test.create_local_cluster": "distributed runtime",
    "data.experimental.DistributeOptions": "distributed runtime",
    "data.experimental.AutoShardPolicy": "distributed runtime",
}


def out_of_scope(name: str):
    """Why `name` ('module.attr', top-level bare) is out of issue 16's scope, or None when it is in scope."""
    leaf = name.rsplit(".", 1)[-1]
    if _QUANTIZATION.search(leaf) or name == "train.do_quantize_training_on_graphdef":
        return "quantization"
    if "ragged" in leaf.lower():
        return "ragged tensors"
    if _TPU.search(leaf) and not name.startswith("saved_model."):  # the SavedModel tag constant stays in scope
        return "TPU"
    return _OUT_OF_SCOPE_NAMES.get(name)


def tf1_names() -> list[str]:
    return [line.strip() for line in API_LIST.read_text().splitlines() if line.strip() and not line.startswith("#")]


def resolves(name: str) -> bool:
    value = tf
    for part in name.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            return False
    return True


def coverage():
    """{module: (resolved, in scope, out of scope)}, module '' for the top level."""
    table = collections.defaultdict(lambda: [0, 0, 0])
    for name in tf1_names():
        module = name.rpartition(".")[0]
        if out_of_scope(name):
            table[module][2] += 1
        else:
            table[module][1] += 1
            table[module][0] += resolves(name)
    return {module: tuple(row) for module, row in table.items()}


def test_the_list_is_tensorflows():
    names = tf1_names()
    assert len(names) == len(set(names)) > 1700
    assert {"Session", "nn.relu", "math.reduce_sum", "data.experimental.AUTOTUNE"} <= set(names)


def test_scope_classification():
    assert out_of_scope("qint8") == out_of_scope("quantize_v2") == out_of_scope("nn.quantized_conv2d") \
        == "quantization"
    assert out_of_scope("RaggedTensor") == "ragged tensors"
    assert out_of_scope("train.Server") == "distributed runtime"
    assert out_of_scope("enable_v2_behavior") == "TF2-behaviour switch"
    assert out_of_scope("nn.conv2d") is None and out_of_scope("estimator.Estimator") is None


def test_coverage_by_module_reaches_the_floor():
    table = coverage()
    lines = [f"{'module':28} {'resolved':>8} {'in scope':>8} {'out':>5}"]
    for module in sorted(table):
        resolved, in_scope, out = table[module]
        lines.append(f"{module or '(top level)':28} {resolved:8d} {in_scope:8d} {out:5d}")
    resolved = sum(row[0] for row in table.values())
    in_scope = sum(row[1] for row in table.values())
    lines.append(f"{'total':28} {resolved:8d} {in_scope:8d} {sum(row[2] for row in table.values()):5d}"
                 f"   ({100 * resolved / in_scope:.1f}% of the in-scope names resolve)")
    print("\n" + "\n".join(lines))
    assert resolved >= FLOOR, f"coverage fell to {resolved} names, below the floor of {FLOOR}"


def test_out_of_scope_names_are_undefined_or_say_why():
    # Undefined, or a callable that raises on use; never a silent stand-in that looks like TF's.
    for name in tf1_names():
        if out_of_scope(name) and resolves(name):
            value = tf
            for part in name.split("."):
                value = getattr(value, part)
            assert callable(value), name
