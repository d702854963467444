"""TensorFlow's functional control flow as TF2 writes it: `StatelessWhile`, `If`, `StatelessIf`.

`StatelessWhile` is a functional while loop whose body has no side effects.

TF2 writes a `while_loop` as `StatelessWhile` when nothing in its body is stateful. It
takes the same inputs and attrs as `While` (T, cond, body, output_shapes,
parallel_iterations), so it is its own op type built from `while_v2`'s functions: a
GraphDef written by TensorFlow imports and runs, and exports back under its own name.
(Not stateful, as in TF; its kernel keeps per-session iteration history for the
gradient, a `make_kernel`, so it is never constant-folded.)
"""

from __future__ import annotations

import numpy as np

from estflow.core import devices
from estflow.core import plan as _plan
from estflow.core.ops import while_v2
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, register

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


# ---- If / StatelessIf -----------------------------------------------------------------------------
# TF2 writes a `tf.cond` as a functional `If` (`StatelessIf` when neither branch is stateful):
# the predicate, the branches' inputs, and two functions from the graph's library. Imported
# GraphDefs and SavedModels written by TensorFlow run them; estflow's own tf.cond stays TF1's
# Switch/Merge.
def _infer_if(cond, *inputs, Tcond, Tin, Tout, then_branch, else_branch, output_shapes):  # noqa: N803
    shapes = list(output_shapes) or [None] * len(Tout)
    return [TensorSpec(s, t) for s, t in zip(shapes, Tout, strict=False)]


def _truth(pred) -> bool:
    """TF's If predicate: a scalar is its truth value (non-empty for strings), any other tensor non-empty."""
    pred = devices.to_numpy(pred) if not isinstance(pred, np.ndarray) else pred
    if pred.ndim == 0:
        v = pred.item()
        return bool(len(v)) if isinstance(v, (bytes, str)) else bool(v)
    return pred.size > 0


def _make_if(op, ctx):
    compiler = _plan.Compiler(ctx.session)
    placement = ctx.device_kind
    branches = {}

    def branch(taken: bool):
        sub = branches.get(taken)
        if sub is None:
            graph = op._attrs["then_branch" if taken else "else_branch"]
            sub = branches[taken] = while_v2._SubPlan(compiler, graph, graph.outputs, len(graph.inputs), placement)
        return sub

    def run_if(pred, *inputs):
        sub = branch(_truth(pred))
        slots = sub(sub.base(()), inputs)
        outs = [slots[s] for s in sub.fetch_slots]
        return tuple(o.copy() if c and hasattr(o, "copy") else o for o, c in zip(outs, sub.copy, strict=True))

    return run_if


for _if_type, _stateful in (("If", True), ("StatelessIf", False)):
    register(OpDef(
        _if_type,
        infer=_infer_if,
        make_kernel=_make_if,
        attrs={"Tcond": REQUIRED, "Tin": REQUIRED, "Tout": REQUIRED, "then_branch": REQUIRED,
               "else_branch": REQUIRED, "output_shapes": ()},
        stateful=_stateful,
        cpu_only=True,  # the predicate is read on the host; the branches' ops keep their own devices
        differentiable=False,  # estflow differentiates its own tf.cond (Switch/Merge); imported Ifs run forward
        input_names=("cond: Tcond", "input: Tin"), output_names=("output: Tout",),
        attr_types={"Tcond": "type", "Tin": "list(type) >= 0", "Tout": "list(type) >= 0", "then_branch": "func",
                    "else_branch": "func", "output_shapes": "list(shape)"},
    ))
