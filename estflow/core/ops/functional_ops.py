"""TensorFlow's `StatelessWhile`: a functional while loop whose body has no side effects.

TF2 writes a `while_loop` as `StatelessWhile` when nothing in its body is stateful. It
takes the same inputs and attrs as `While` (T, cond, body, output_shapes,
parallel_iterations), so it is its own op type built from `while_v2`'s functions: a
GraphDef written by TensorFlow imports and runs, and exports back under its own name.
(Not stateful, as in TF; its kernel keeps per-session iteration history for the
gradient, a `make_kernel`, so it is never constant-folded.)
"""

from __future__ import annotations

from estflow.core.ops import while_v2
from estflow.core.registry import REQUIRED, OpDef, register

register(OpDef(
    "StatelessWhile",
    infer=while_v2._infer_while,
    make_kernel=while_v2._make_while,
    grad=lambda op, *grads: while_v2._while_grad(op, *grads),
    attrs={"T": REQUIRED, "cond": REQUIRED, "body": REQUIRED, "output_shapes": (), "parallel_iterations": 10},
    aliases_input=True,
    input_names=("input: T",), output_names=("output: T",),
    attr_types={"T": "list(type) >= 0", "cond": "func", "body": "func", "output_shapes": "list(shape)",
                "parallel_iterations": "int"},
))
