"""Imported constants stay lazy until a plan needs them; sizes that can't fit raise ResourceExhaustedError."""

import os
import subprocess
import sys

import numpy as np
import pytest
from google.protobuf import text_format

import estflow as tf
from estflow.core import errors, graph_io, lazy_constant
from estflow.core.graph import Graph
from estflow.core.lazy_constant import LazyConstant
from estflow.core.protos import graph_pb2
from estflow.core.session import Session

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _broadcast_const(name: str, dims, values: str, dtype: str = "DT_FLOAT") -> graph_pb2.GraphDef:
    shape = " ".join(f"dim {{ size: {d} }}" for d in dims)
    return text_format.Parse(
        f'node {{ name: "{name}" op: "Const" attr {{ key: "dtype" value {{ type: {dtype} }} }} '
        f'attr {{ key: "value" value {{ tensor {{ dtype: {dtype} tensor_shape {{ {shape} }} {values} }} }} }} }}',
        graph_pb2.GraphDef())


def test_a_broadcast_constant_is_kept_as_its_proto_and_expanded_on_first_use():
    gd = _broadcast_const("c", [3000], "float_val: 1.0 float_val: 2.5")  # the last value fills the rest
    with Graph().as_default() as g:
        (c,) = graph_io.import_graph_def(gd, return_elements=["c:0"])
        value = c.op.get_attr("value")
        assert isinstance(value, LazyConstant) and value.shape == (3000,) and c.shape.as_list() == [3000]
        assert g.as_graph_def().node[0].attr["value"].tensor == gd.node[0].attr["value"].tensor  # written back as read
        with Session() as sess:
            got = sess.run(c * 2.0)
        np.testing.assert_array_equal(got, np.r_[2.0, np.full(2999, 5.0)].astype(np.float32))
        assert value.materialize() is value.materialize()  # decoded once
        np.testing.assert_array_equal(np.asarray(value)[:2], [1.0, 2.5])


def test_small_or_fully_spelled_out_constants_are_decoded_at_import():
    with Graph().as_default():
        (small,) = graph_io.import_graph_def(_broadcast_const("s", [10], "float_val: 3.0"), return_elements=["s:0"])
        content = np.arange(2000, dtype=np.int32)
        gd = graph_pb2.GraphDef()
        gd.node.add(name="full", op="Const")
        gd.node[0].attr["dtype"].type = tf.int32.as_datatype_enum
        gd.node[0].attr["value"].tensor.CopyFrom(graph_io.make_tensor_proto(content))
        (full,) = graph_io.import_graph_def(gd, return_elements=["full:0"])
    assert isinstance(small.op.get_attr("value"), np.ndarray)
    np.testing.assert_array_equal(full.op.get_attr("value"), content)


def test_a_constant_too_large_for_memory_is_refused_when_a_plan_needs_it():
    gd = _broadcast_const("big", [1000000, 1000000], "float_val: 1.0")
    assert len(gd.SerializeToString()) < 70
    with Graph().as_default():
        (big,) = graph_io.import_graph_def(gd, return_elements=["big:0"])
        total = tf.reduce_sum(big)
        with Session() as sess:
            with pytest.raises(errors.ResourceExhaustedError) as e:
                sess.run(total)
    message = str(e.value)
    assert message.startswith("OOM when allocating tensor with shape[1000000,1000000] and type float"), message
    assert "constant 'big' needs 4000000000000 bytes" in message and "{{node import/big}}" in message


def test_a_huge_constant_imports_in_a_bounded_process_without_allocating_or_hanging():
    """In a process whose address space is bounded to 1 GiB, importing the 61-byte GraphDef of a
    [1000000, 1000000] float constant succeeds (nothing is expanded), writing the graph back keeps it
    small, and running it raises ResourceExhaustedError naming the node instead of MemoryError or a hang."""
    code = f"""
import resource
resource.setrlimit(resource.RLIMIT_AS, ({1 << 30}, {1 << 30}))
import estflow as tf
from estflow.core import graph_io
from tests.core.test_lazy_constant import _broadcast_const
gd = _broadcast_const("big", [1000000, 1000000], "float_val: 1.0")
with tf.Graph().as_default() as g:
    (big,) = graph_io.import_graph_def(gd, return_elements=["big:0"])
    assert big.shape.as_list() == [1000000, 1000000]
    assert len(g.as_graph_def().SerializeToString()) < 100
    with tf.Session() as sess:
        try:
            sess.run(big + 1.0)
        except tf.errors.ResourceExhaustedError as e:
            print("refused:", e.message.splitlines()[0])
"""
    env = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "refused: OOM when allocating tensor with shape[1000000,1000000]" in proc.stdout, proc.stdout
    assert "more than the" in proc.stdout


def test_available_memory_honours_an_address_space_bound():
    code = ("import resource\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({1 << 30}, {1 << 30}))\n"
            "from estflow.core import lazy_constant\n"
            "print(lazy_constant.available_memory())\n")
    env = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert 0 < int(out) < 1 << 30
    assert lazy_constant.available_memory() > 0


def test_check_allocation_refuses_only_what_cannot_fit():
    lazy_constant.check_allocation(1024, (256,), tf.float32, "a small array")
    with pytest.raises(errors.ResourceExhaustedError, match=r"shape\[4,5\] and type int64 .* x needs"):
        lazy_constant.check_allocation(1 << 62, (4, 5), tf.int64, "x")
    lazy_constant.check_large_allocation((1 << 10, 1 << 10), np.float32, "fits")
    with pytest.raises(errors.ResourceExhaustedError, match="Fill's output needs"):
        lazy_constant.check_large_allocation((1 << 31, 1 << 31), np.float64, "Fill's output")


def test_fill_refuses_an_output_that_cannot_fit():
    with Graph().as_default():
        dims = tf.placeholder(tf.int32, [2])
        filled = tf.fill(dims, 1.0)
        with Session() as sess:
            np.testing.assert_array_equal(sess.run(filled, {dims: [2, 1]}), [[1.0], [1.0]])
            with pytest.raises(errors.ResourceExhaustedError, match=r"shape\[1048576,1048576\] and type float"):
                sess.run(filled, {dims: [1 << 20, 1 << 20]})
