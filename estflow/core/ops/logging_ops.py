"""`tf.Print`, `tf.print` and `tf.strings.format`.

tf.Print: the input passed through, with a message and tensor values written to stderr when
it runs (TF's Print op; at most `first_n` times when that is set).

    x = tf.Print(x, [x, tf.shape(x)], message="x is: ", summarize=5)
"""

from __future__ import annotations

import logging
import sys

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import Tensor
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


# ---- tf.strings.format and tf.print (StringFormat, PrintV2) -----------------------------------------------
def _scalar_text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (float, np.floating)):
        return format(float(value), "g")
    return str(value)


def summarize_tensor(value, summarize: int) -> str:
    """A tensor as tf.print shows it: nested brackets, rows on new lines, at most `summarize` entries
    at each end of every dimension (TF's SummarizeValue with print_v2); `summarize < 0` shows all."""
    a = np.asarray(value)
    if a.ndim == 0:
        return _scalar_text(a.item() if a.dtype != object else a[()])

    def render(x, depth):
        n = x.shape[0]
        if 0 <= summarize and 2 * summarize < n:
            parts = [render_item(x[i], depth) for i in range(summarize)] + ["..."] + \
                [render_item(x[i], depth) for i in range(n - summarize, n)]
        else:
            parts = [render_item(x[i], depth) for i in range(n)]
        separator = " " if x.ndim == 1 else "\n" + " " * (depth + 1)
        return "[" + separator.join(parts) + "]"

    def render_item(x, depth):
        return render(x, depth + 1) if np.ndim(x) else _scalar_text(x.item() if hasattr(x, "item") and
                                                                     not isinstance(x, bytes) else x)

    return render(a, 0)


def _infer_string_format(*inputs, T=None, template="%s", placeholder="%s", summarize=3):
    text = template.decode() if isinstance(template, bytes) else template
    mark = placeholder.decode() if isinstance(placeholder, bytes) else placeholder
    if text.count(mark) != len(inputs):
        raise ValueError(f"{len(inputs)} tensors to format into the template, but it has {text.count(mark)} "
                         f"placeholder(s) '{mark}': {text!r}")
    return TensorSpec([], dtypes.string)


def _string_format_kernel(xp, *inputs, T=None, template="%s", placeholder="%s", summarize=3):
    text = template.decode() if isinstance(template, bytes) else template
    mark = placeholder.decode() if isinstance(placeholder, bytes) else placeholder
    pieces = text.split(mark)
    out = pieces[0]
    for value, piece in zip(inputs, pieces[1:], strict=True):
        out += summarize_tensor(value, summarize) + piece
    result = np.empty((), dtype=object)
    result[()] = out.encode("utf-8")
    return result


def _make_print_v2(op, ctx):
    stream = op.get_attr("output_stream")
    stream = stream.decode() if isinstance(stream, bytes) else stream
    end = op.get_attr("end")
    end = end.decode() if isinstance(end, bytes) else end

    def run(text):
        value = np.asarray(text, dtype=object)[()]
        message = (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
        if stream in ("stderr", "stdout"):
            print(message, end=end, file=sys.stderr if stream == "stderr" else sys.stdout, flush=True)
        elif stream.startswith("log(") and stream.endswith(")"):
            level = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}[stream[4:-1]]
            logging.getLogger("tensorflow").log(level, message)
        else:  # "file://path": appended
            with open(stream[len("file://"):], "a", encoding="utf-8") as f:
                f.write(message + end)
        return ()

    return run


register(OpDef("StringFormat", infer=_infer_string_format, kernel=_string_format_kernel,
               attrs={"T": None, "template": "%s", "placeholder": "%s", "summarize": 3}, cpu_only=True,
               differentiable=False, input_names=("inputs: T",), output_names=("output: string",),
               attr_types={"T": "list(type) >= 0", "template": "string", "placeholder": "string",
                           "summarize": "int"}))
register(OpDef("PrintV2", infer=lambda text, **_: [], make_kernel=_make_print_v2,
               attrs={"output_stream": "stderr", "end": "\n"}, stateful=True, cpu_only=True, differentiable=False,
               input_names=("input: string",), attr_types={"output_stream": "string", "end": "string"}))

_STREAMS = ("stderr", "stdout", "log(info)", "log(warning)", "log(error)")


def string_format(template, inputs, placeholder="{}", summarize=3, name=None):
    """`template` with each `placeholder` replaced by the next of `inputs` as tf.print shows tensors, as
    `tf.strings.format`.

        tf.strings.format("x = {}, y = {}", [x, y])
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    data = [_convert(d) for d in inputs]
    return apply_op("StringFormat", *data, name=name or "StringFormat", T=_Tuple(d.dtype for d in data),
                    template=template, placeholder=placeholder, summarize=int(summarize))


def print_v2(*inputs, **kwargs):
    """An op printing `inputs` (tensors shown with at most `summarize` entries per dimension end, other
    values as Python prints them) separated by `sep`, as `tf.print`; run it (or depend on it) to print.

        print_op = tf.print("loss:", loss, output_stream=sys.stdout)
        with tf.control_dependencies([print_op]): train_op = ...
    """
    output_stream = kwargs.pop("output_stream", sys.stderr)
    summarize = kwargs.pop("summarize", 3)
    sep = kwargs.pop("sep", " ")
    end = kwargs.pop("end", "\n")
    name = kwargs.pop("name", None)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments for tf.print: {sorted(kwargs)}")
    if output_stream is sys.stderr:
        output_stream = "stderr"
    elif output_stream is sys.stdout:
        output_stream = "stdout"
    elif not isinstance(output_stream, str) or not (output_stream in _STREAMS or
                                                    output_stream.startswith("file://")):
        raise ValueError(f"Unsupported output stream, logging level, or file. {output_stream}. Supported streams "
                         f"are: {list(_STREAMS)} or a 'file://' path")
    placeholder = "{}"
    while any(isinstance(x, str) and placeholder in x for x in inputs) or placeholder in sep:
        placeholder += "}"  # a placeholder that the literal text does not contain
    parts, tensors = [], []
    for x in inputs:
        if isinstance(x, Tensor) or hasattr(x, "_as_graph_element"):  # tensors and variables
            parts.append(placeholder)
            tensors.append(x)
        else:
            parts.append(str(x))
    text = string_format(sep.join(parts), tensors, placeholder=placeholder, summarize=summarize)
    return apply_op("PrintV2", text, name=name or "PrintV2", output_stream=output_stream, end=end)
