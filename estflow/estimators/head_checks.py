"""The checks and helpers every canned head shares: labels, logits and weights brought to
`[D0, ... DN, dim]` and checked (TF1's `canned/head.py` helpers), label ids checked against
`n_classes` and a `label_vocabulary`, and `loss_fn` called and its shape checked.

Static shapes are checked while the graph is built (ValueError, with the fix); what only the
data can tell (a label id out of range, a string label outside the vocabulary) is an
`Assert` that fails the step with InvalidArgumentError naming the offending labels.
"""

from __future__ import annotations

import inspect

from estflow.core import dtypes
from estflow.core.graph import Tensor, control_dependencies, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    gather_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.sparse_tensor import SparseTensor
from estflow.feature_columns.base import DenseColumn, LazyBuilder
from estflow.feature_columns.numeric import numeric_column
from estflow.library.losses_impl import Reduction


def validate_loss_reduction(loss_reduction) -> None:
    if loss_reduction not in Reduction.all() or loss_reduction == Reduction.NONE:
        raise ValueError(f"Invalid loss_reduction: {loss_reduction}. Use one of tf.losses.Reduction's values "
                         f"except NONE, e.g. tf.losses.Reduction.SUM (the canned default) or SUM_OVER_BATCH_SIZE.")


def fn_args(fn) -> tuple:
    return tuple(inspect.signature(fn).parameters)


def validate_loss_fn_args(loss_fn) -> None:
    """`loss_fn` takes `labels` and `logits`, and optionally `features`, as TF1 requires."""
    args = fn_args(loss_fn)
    for required in ("labels", "logits"):
        if required not in args:
            raise ValueError(f"loss_fn must contain argument: {required}. Given arguments: {args}")
    invalid = sorted(set(args) - {"labels", "logits", "features"})
    if invalid:
        raise ValueError(f"loss_fn has unexpected args: {invalid}. It may take only labels, logits and features.")


def validate_label_vocabulary(label_vocabulary, error=ValueError, what="a list or a tuple") -> None:
    """TF1's binary head raises TypeError("... a list or tuple"), its multi-class head ValueError("... a tuple")."""
    if label_vocabulary is not None and not isinstance(label_vocabulary, (list, tuple)):
        raise error(f"label_vocabulary should be {what}. Given type: {type(label_vocabulary)}")


def check_labels(labels, logits: Tensor, expected_labels_dimension: int) -> Tensor:
    """`labels` as `[D0, ... DN, expected_labels_dimension]` (a missing last dim of 1 is added)."""
    if labels is None:
        raise ValueError("You must provide a labels Tensor. Given: None. Suggested troubleshooting steps: Check that "
                         "your data contain your label feature. Check that your input_fn properly parses and returns "
                         "labels.")
    with name_scope(None, "labels", [labels, logits]) as scope:
        if isinstance(labels, SparseTensor):
            raise ValueError(
                f"SparseTensor labels are not supported. labels must be a Tensor of shape [D0, D1, ..., DN, "
                f"{expected_labels_dimension}], e.g. [batch_size, {expected_labels_dimension}]. Suggested Fix (1): "
                f"Check the label feature in your data. Each example must contain {expected_labels_dimension} "
                f"value(s). If not, your choice of label was probably incorrect. Suggested Fix (2): In your input_fn, "
                f"use tf.sparse_tensor_to_dense() to turn labels into a Tensor.")
        labels = convert_to_tensor(labels)
        if labels.shape.ndims is not None and logits.shape.ndims is not None \
                and labels.shape.ndims == logits.shape.ndims - 1:
            labels = array_ops.expand_dims(labels, -1)
        err_msg = (f"labels shape must be [D0, D1, ... DN, {expected_labels_dimension}]. Suggested Fix: check your "
                   f"n_classes argument to the estimator and/or the shape of your label.")
        static = labels.shape.as_tuple() if labels.shape.ndims is not None else None
        if static is not None:
            if len(static) < 2:
                raise ValueError(f"{err_msg} Got labels of shape {labels.shape} for logits of shape {logits.shape}.")
            if static[-1] is not None and static[-1] != expected_labels_dimension:
                raise ValueError(
                    f"Mismatched label shape. Expected labels dimension={expected_labels_dimension}.  Received "
                    f"{static[-1]}. Suggested Fix:If your classifier expects one-hot encoding label,check your "
                    f"n_classes argument to the estimator and/or the shape of your label. Otherwise, check the shape "
                    f"of your label.")
            logits_static = logits.shape.as_tuple() if logits.shape.ndims is not None else None
            if logits_static is not None and len(logits_static) == len(static):
                for got, want in zip(static[:-1], logits_static[:-1]):
                    if got is not None and want is not None and got != want:
                        raise ValueError(f"{err_msg} Got labels of shape {labels.shape} for logits of shape "
                                         f"{logits.shape}.")
        labels_shape = array_ops.shape(labels)
        logits_shape = array_ops.shape(logits)
        expected = concat_ops.concat([logits_shape[:-1], [expected_labels_dimension]], axis=0)
        same = reduction_ops.reduce_all(comparison_ops.equal(expected, labels_shape)) \
            if static is not None and logits.shape.ndims == len(static) else None
        if same is None:
            return array_ops.identity(labels, name=scope)
        check = control_flow_ops.Assert(same, [err_msg, "expected_labels_shape: ", expected, "labels_shape: ",
                                               labels_shape], name="assert_equal")
        with control_dependencies([check]):
            return array_ops.identity(labels, name=scope)


def check_logits_final_dim(logits, expected_logits_dimension: int) -> Tensor:
    """`logits` as float32, checked to be `[D0, ... DN, expected_logits_dimension]`."""
    with name_scope(None, "logits", [logits]) as scope:
        logits = cast_ops.cast(convert_to_tensor(logits), dtypes.float32)
        static = logits.shape.as_tuple() if logits.shape.ndims is not None else None
        if static is not None:
            if len(static) < 2:
                raise ValueError(f"logits shape must be [D0, D1, ... DN, logits_dimension], got {logits.shape}. "
                                 f"Suggested Fix: give logits a last dimension of {expected_logits_dimension}, "
                                 f"e.g. tf.layers.dense(net, units=head.logits_dimension).")
            if static[-1] is not None:
                if static[-1] != expected_logits_dimension:
                    raise ValueError(f"logits shape must be [D0, D1, ... DN, logits_dimension="
                                     f"{expected_logits_dimension}], got {logits.shape}.")
                return logits
        logits_shape = array_ops.shape(logits)
        check = control_flow_ops.Assert(
            comparison_ops.equal(logits_shape[-1], expected_logits_dimension),
            [f"logits shape must be [D0, D1, ... DN, logits_dimension={expected_logits_dimension}]", logits_shape],
            name="assert_equal")
        with control_dependencies([check]):
            return array_ops.identity(logits, name=scope)


def get_weights_and_check_match_logits(features, weight_column, logits: Tensor, allow_per_logit_weights=False):
    """The example weights from `features[weight_column]`, shaped `[D0, ... DN, 1]` (1.0 without a column)."""
    if weight_column is None:
        return 1.0
    if allow_per_logit_weights:
        err_msg = "weights shape must be [D0, D1, ... DN], [D0, D1, ... DN, 1] or [D0, D1, ... DN, logits_dimension]"
    else:
        err_msg = "weights shape must be [D0, D1, ... DN] or [D0, D1, ... DN, 1]"
    with name_scope(None, "weights", [logits]) as scope:
        if isinstance(weight_column, str):
            weight_column = numeric_column(key=weight_column, shape=(1,))
        if not isinstance(weight_column, DenseColumn):
            raise TypeError(f"Weight column must be either a string or _DenseColumn. Given type: "
                            f"{type(weight_column)}.")
        weights = weight_column._get_dense_tensor(LazyBuilder(features))
        if not (weights.dtype.is_floating or weights.dtype.is_integer):
            raise ValueError(f"Weight column should be castable to float. Given dtype: {weights.dtype}")
        weights = cast_ops.cast(weights, dtypes.float32, name="weights")
        weights_shape = array_ops.shape(weights, name="weights_shape")
        logits_shape = array_ops.shape(logits, name="logits_shape")
        if weights.shape.ndims is not None and logits.shape.ndims is not None \
                and weights.shape.ndims == logits.shape.ndims - 1:
            ok = reduction_ops.reduce_all(comparison_ops.equal(logits_shape[:-1], weights_shape))
            check = control_flow_ops.Assert(ok, [err_msg, "logits_shape: ", logits_shape, "weights_shape: ",
                                                 weights_shape], name="assert_equal")
            with control_dependencies([check]):
                return array_ops.expand_dims(weights, -1, name=scope)
        supported = concat_ops.concat([logits_shape[:-1], [1]], axis=0)
        if weights.shape.ndims is not None and logits.shape.ndims is not None \
                and weights.shape.ndims != logits.shape.ndims:
            raise ValueError(f"{err_msg}. Got weights of shape {weights.shape} for logits of shape {logits.shape}.")
        ok = reduction_ops.reduce_all(comparison_ops.equal(supported, weights_shape))
        if allow_per_logit_weights:
            ok = reduction_ops.reduce_any(concat_ops.stack(
                [reduction_ops.reduce_all(comparison_ops.equal(logits_shape, weights_shape)), ok]))
        check = control_flow_ops.Assert(ok, [err_msg, "logits_shape: ", logits_shape, "weights_shape: ",
                                             weights_shape], name="assert_equal")
        with control_dependencies([check]):
            return array_ops.identity(weights, name=scope)


def _checked(ok: Tensor, value: Tensor, failure_data, name: str) -> Tensor:
    """`value` when `ok` holds; otherwise an Assert fails the step with `failure_data()`.

    No cond: a cond would put every op that reads the checked labels (the loss, its
    gradients, the optimizer's updates) downstream of a Switch, where each step pays for
    dead-value bookkeeping. The data naming the culprits is two small ops (`_culprits`)
    that yield an empty vector on a passing step.
    """
    check = control_flow_ops.Assert(ok, failure_data(), summarize=10, name=name)
    with control_dependencies([check]):
        return array_ops.identity(value)


def _culprits(values: Tensor, mask: Tensor) -> Tensor:
    """The entries of `values` where `mask` holds, in row-major order (`boolean_mask` of a same-shaped mask)."""
    return gather_ops.gather_nd(values, gather_ops.where(mask))


def _check_known_label_ids(label_ids: Tensor, n_classes: int, raw_labels: Tensor | None) -> None:
    """Labels known while the graph is built (constants) are checked then, before any training step."""
    if raw_labels is not None:  # ids from a vocabulary lookup are known only when the step runs
        return
    values = label_ids._const_value
    if values is None:
        return
    outside = sorted({v.item() for v in values.ravel() if v < 0 or v > n_classes - 1})
    if outside:
        raise ValueError(f"Label IDs must < n_classes (n_classes={n_classes}), but these labels are outside "
                         f"[0, {n_classes}): {outside}. Suggested Fix: set n_classes to more than the largest label "
                         f"id, or map your labels into [0, {n_classes}).")


def assert_label_ids_in_range(label_ids: Tensor, n_classes: int, raw_labels: Tensor | None = None) -> Tensor:
    """`label_ids`, read only after checking each lies in [0, n_classes).

    The failing step's InvalidArgumentError lists the offending labels. With `raw_labels` (the
    strings a vocabulary lookup mapped to -1) a negative id means "not in label_vocabulary".
    """
    _check_known_label_ids(label_ids, n_classes, raw_labels)
    with name_scope(None, "assert_range", [label_ids]):
        zero, top = cast_ops.cast(0, label_ids.dtype), cast_ops.cast(n_classes - 1, label_ids.dtype)
        if raw_labels is not None:
            missing = comparison_ops.less(label_ids, zero)
            label_ids = _checked(unary_ops.logical_not(reduction_ops.reduce_any(missing)), label_ids, lambda: [
                "Labels must be in label_vocabulary; these labels are not:",
                _culprits(raw_labels, missing),
                "Suggested Fix: add them to label_vocabulary, or fix the label values in your input_fn."],
                name="assert_in_vocabulary")
        outside = comparison_ops.logical_or(comparison_ops.greater(label_ids, top),
                                            comparison_ops.less(label_ids, zero))
        ok = unary_ops.logical_not(reduction_ops.reduce_any(outside))
        return _checked(ok, label_ids, lambda: [
            f"Label IDs must < n_classes (n_classes={n_classes}), but these labels are outside [0, {n_classes}):",
            _culprits(label_ids, outside),
            f"Suggested Fix: set n_classes to more than the largest label id, or map your labels into "
            f"[0, {n_classes}) in your input_fn."], name="assert_less_equal")


def call_loss_fn(loss_fn, labels: Tensor, logits: Tensor, features, expected_loss_dim=1) -> Tensor:
    """`loss_fn(labels=..., logits=...[, features=...])`, checked to return `[D0, ... DN, expected_loss_dim]`."""
    kwargs = {"features": features} if "features" in fn_args(loss_fn) else {}
    with name_scope(None, "call_loss_fn", [labels, logits]):
        unweighted_loss = convert_to_tensor(loss_fn(labels=labels, logits=logits, **kwargs))
        logits_shape = array_ops.shape(logits, name="logits_shape")
        expected = concat_ops.concat([logits_shape[:-1], [expected_loss_dim]], axis=0, name="expected_loss_shape")
        loss_shape = array_ops.shape(unweighted_loss, name="loss_shape")
        if unweighted_loss.shape.ndims is not None and logits.shape.ndims is not None \
                and unweighted_loss.shape.ndims != logits.shape.ndims:
            raise ValueError(f"loss_fn must return Tensor of shape [D0, D1, ... DN, {expected_loss_dim}]. "
                             f"logits_shape: {logits.shape} loss_shape: {unweighted_loss.shape}. Suggested Fix: "
                             f"return the unreduced per-example loss, keeping the last dimension.")
        check = control_flow_ops.Assert(
            reduction_ops.reduce_all(comparison_ops.equal(loss_shape, expected)),
            [f"loss_fn must return Tensor of shape [D0, D1, ... DN, {expected_loss_dim}]. ", "logits_shape: ",
             logits_shape, "loss_shape: ", loss_shape], name="check_loss_shape")
        with control_dependencies([check]):
            return array_ops.identity(unweighted_loss)


def assert_in_unit_interval(labels: Tensor) -> Tensor:
    """`labels`, read only after checking each lies in [0, 1] (the logistic regression head's labels)."""
    with name_scope(None, "labels", [labels]):
        outside = comparison_ops.logical_or(comparison_ops.less(labels, cast_ops.cast(0.0, labels.dtype)),
                                            comparison_ops.greater(labels, cast_ops.cast(1.0, labels.dtype)))
        return _checked(unary_ops.logical_not(reduction_ops.reduce_any(outside)), labels, lambda: [
            "Labels must be in range [0, 1]; these labels are not:", _culprits(labels, outside),
            "Suggested Fix: scale the labels into [0, 1] in your input_fn."], name="assert_range")


def assert_multi_hot(labels: Tensor) -> Tensor:
    """`labels`, read only after checking each is 0 or 1 (a multi-hot indicator)."""
    with name_scope(None, "assert_range", [labels]):
        zero, one = cast_ops.cast(0, labels.dtype), cast_ops.cast(1, labels.dtype)
        bad = comparison_ops.logical_and(comparison_ops.not_equal(labels, zero), comparison_ops.not_equal(labels, one))
        return _checked(unary_ops.logical_not(reduction_ops.reduce_any(bad)), labels, lambda: [
            "labels must be an integer indicator Tensor with values in [0, 1]; got these values:",
            _culprits(labels, bad),
            "Suggested Fix: feed multi-hot labels (1 where the class applies), or a SparseTensor of class ids."],
            name="assert_multi_hot")
