"""Graph ops that run a whole Dataset in a session: its cardinality, its single element, and TFRecord writing.

    DatasetCardinality(*captured)      -> int64 scalar: `tf.data.experimental.cardinality`
    DatasetToSingleElement(*captured)  -> the components of the only element: `get_single_element`
    DatasetToTFRecord(*captured, filename, compression_type): `TFRecordWriter.write`

As the iterator ops (iterator_ops.py), each takes the graph tensors its pipeline captured as
inputs (evaluated when the op runs) and holds the pipeline itself in an attr of Python objects.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.data import runtime, structure
from estflow.data.iterator_ops import (
    _check_dataset,
    _describe,
    _flat_types_shapes,
    _payload,
    _ref,
    _values,
    pack_flat_outputs,
)
from estflow.data.tfrecord import TFRecordWriter as _RecordFileWriter


def _run_env(op, ctx, inputs_of_pipeline):
    dataset, tensors = _payload(op, "dataset")
    return dataset, runtime.Env(ctx, _values(tensors, inputs_of_pipeline), dataset.options())


# ---- cardinality ---------------------------------------------------------------------------------------
def _make_cardinality(op, ctx):
    def cardinality(*inputs):
        dataset, env = _run_env(op, ctx, inputs)
        try:
            return np.int64(dataset._cardinality(env))
        finally:
            env.close()

    return cardinality


register(OpDef(
    "DatasetCardinality", infer=lambda *inputs, **_: TensorSpec([], dtypes.int64), make_kernel=_make_cardinality,
    attrs={"dataset": REQUIRED, "cardinality_options": ""}, cpu_only=True, differentiable=False,
    input_names=("input_dataset: variant",), output_names=("cardinality: int64",),
    attr_types={"cardinality_options": "string"},
))


def cardinality(dataset):
    """The number of elements of `dataset` as an int64 scalar tensor, as `tf.data.experimental.cardinality`:
    `INFINITE_CARDINALITY` (-1) for an endless dataset, `UNKNOWN_CARDINALITY` (-2) where TF cannot tell
    (after `filter`, `flat_map`, a file reader, or TF1's `map`, which does not promise to keep every element).

        n = tf.data.experimental.cardinality(tf.data.Dataset.range(10).batch(3))   # 4 when run
    """
    dataset = _check_dataset(dataset)
    tensors = dataset._all_tensors()
    return apply_op("DatasetCardinality", *tensors, name="DatasetCardinality",
                    dataset=_ref(_describe(dataset), (dataset, tensors)))


# ---- the single element --------------------------------------------------------------------------------
def _make_single_element(op, ctx):
    single = len(op._attrs["output_types"]) == 1

    def single_element(*inputs):
        dataset, env = _run_env(op, ctx, inputs)
        try:
            dataset._check_all(env)
            elements = dataset._elements(env)
            element = next(elements, None)
            if element is None:
                raise errors.InvalidArgumentError(None, None, "Dataset was empty.")
            if element.__class__ is runtime.ElementError:
                raise element.error
            if next(elements, None) is not None:
                raise errors.InvalidArgumentError(None, None, "Dataset had more than one element.")
        finally:
            env.close()
        flat = []
        for value, spec in zip(element, dataset._flat_specs(), strict=True):
            flat.extend(value if structure.is_sparse(spec) else (value,))
        return flat[0] if single else flat

    return single_element


register(OpDef(
    "DatasetToSingleElement", infer=lambda *inputs, output_types, output_shapes, **_: [
        TensorSpec(s, t) for t, s in zip(output_types, output_shapes, strict=True)],
    make_kernel=_make_single_element,
    attrs={"dataset": REQUIRED, "output_types": REQUIRED, "output_shapes": REQUIRED, "metadata": ""},
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("dataset: variant",), output_names=("components: output_types",),
    attr_types={"output_types": "list(type) >= 1", "output_shapes": "list(shape) >= 1", "metadata": "string"},
))


def get_single_element(dataset):
    """The only element of `dataset` as tensors, as `tf.data.experimental.get_single_element`; running them
    raises InvalidArgumentError when the dataset is empty or has more than one element.

        x = tf.data.experimental.get_single_element(tf.data.Dataset.from_tensors([1, 2]))
    """
    return single_element(dataset)


def single_element(dataset, name=None):
    """`get_single_element`, its op named `name` (`Dataset.get_single_element(name)`)."""
    dataset = _check_dataset(dataset)
    tensors = dataset._all_tensors()
    types, shapes = _flat_types_shapes(dataset.element_spec)
    outputs = apply_op("DatasetToSingleElement", *tensors, name=name or "DatasetToSingleElement",
                       dataset=_ref(_describe(dataset), (dataset, tensors)), output_types=types, output_shapes=shapes)
    return pack_flat_outputs(dataset.element_spec, outputs if isinstance(outputs, list) else [outputs])


# ---- writing TFRecords -----------------------------------------------------------------------------------
_COMPRESSION = {"": None, "ZLIB": "ZLIB", "GZIP": "GZIP"}


def _make_to_tfrecord(op, ctx):
    def to_tfrecord(*inputs):
        filename, compression = inputs[-2], inputs[-1]
        dataset, env = _run_env(op, ctx, inputs[:-2])
        compression = runtime_text(compression)
        if compression not in _COMPRESSION:
            raise errors.InvalidArgumentError(None, None, f"Unsupported compression_type: {compression!r}; use "
                                                          "'', 'ZLIB' or 'GZIP'.")
        try:
            dataset._check_all(env)
            with _RecordFileWriter(runtime_text(filename), _COMPRESSION[compression]) as writer:
                for element in dataset._elements(env):
                    if element.__class__ is runtime.ElementError:
                        raise element.error
                    writer.write(element[0].item() if isinstance(element[0], np.ndarray) else element[0])
        finally:
            env.close()

    return to_tfrecord


def runtime_text(value) -> str:
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


register(OpDef(
    "DatasetToTFRecord", infer=lambda *inputs, **_: [], make_kernel=_make_to_tfrecord, attrs={"dataset": REQUIRED},
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("input_dataset: variant", "filename: string", "compression_type: string"),
))


class TFRecordWriter:
    """Writes a dataset of string scalars to a TFRecord file, as `tf.data.experimental.TFRecordWriter`.

        writer = tf.data.experimental.TFRecordWriter("out.tfrecord")
        sess.run(writer.write(dataset.map(tf.io.serialize_tensor)))   # the op writes the whole file
    """

    def __init__(self, filename, compression_type=None):
        self._filename = convert_to_tensor(filename, dtypes.string, name="filename")
        self._compression_type = convert_to_tensor("" if compression_type is None else compression_type,
                                                   dtypes.string, name="compression_type")

    def write(self, dataset):
        """An op that writes every element of `dataset` (scalar strings) to the file, replacing it."""
        dataset = _check_dataset(dataset)
        spec = dataset.element_spec
        if not isinstance(spec, structure.TensorSpec) or spec.dtype != dtypes.string \
                or not spec.shape.is_compatible_with([]):
            raise TypeError(f"`dataset` must produce scalar `DT_STRING` tensors whereas it produces shape "
                            f"{dataset.output_shapes} and types {dataset.output_types}")
        tensors = dataset._all_tensors()
        return apply_op("DatasetToTFRecord", *tensors, self._filename, self._compression_type,
                        name="DatasetToTFRecord", dataset=_ref(_describe(dataset), (dataset, tensors)))
