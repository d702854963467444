"""`tf.Print`: the input passed through, with a message and tensor values written to stderr when
it runs (TF's Print op; at most `first_n` times when that is set).

    x = tf.Print(x, [x, tf.shape(x)], message="x is: ", summarize=5)
"""

from __future__ import annotations

import sys

from estflow.core.ops.control_flow_ops import _convert, _format_value, _Tuple
from estflow.core.registry import OpDef, TensorSpec, apply_op, register


def _infer_print(x, *data, T=None, U=(), message="", first_n=-1, summarize=3):
    return TensorSpec(x.shape, x.dtype)


def _make_print(op, ctx):
    message = op.get_attr("message")
    first_n = op.get_attr("first_n")
    summarize = op.get_attr("summarize")
    state = ctx.state.setdefault(("Print", op.name), {"count": 0})

    def run(x, *data):
        if first_n < 0 or state["count"] < first_n:
            state["count"] += 1
            text = message.decode() if isinstance(message, bytes) else message
            text += "".join(f"[{_format_value(d, summarize)}]" for d in data)
            print(text, file=sys.stderr, flush=True)
        return x

    return run


def _print_grad(op, grad):
    """The gradient passes through to `input`, as TF's _PrintGrad; none to the printed data."""
    return [grad] + [None] * (len(op.inputs) - 1)


register(OpDef("Print", infer=_infer_print, make_kernel=_make_print, grad=_print_grad,
               attrs={"U": None, "message": "", "first_n": -1, "summarize": 3}, stateful=True, cpu_only=True,
               aliases_input=True,
               input_names=("input: T", "data: U"), output_names=("output: T",),
               attr_types={"T": "type", "U": "list(type) >= 0", "message": "string", "first_n": "int",
                           "summarize": "int"}))


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):  # noqa: N802 - TF's public name
    """`input_`, printing `message` and the values of `data` to stderr each time it is computed, as
    `tf.Print`; `first_n` limits the printing to the first n runs, `summarize` the elements shown
    per tensor (default 3)."""
    data = [_convert(d) for d in data]
    return apply_op("Print", input_, *data, name=name or "Print", U=_Tuple(d.dtype for d in data),
                    message=message or "", first_n=-1 if first_n is None else int(first_n),
                    summarize=3 if summarize is None else int(summarize))
