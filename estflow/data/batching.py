"""batch, padded_batch and unbatch."""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph import Tensor
from estflow.core.tensor_shape import TensorShape, as_shape
from estflow.data import runtime, structure
from estflow.data.dataset_ops import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, int_argument, runtime_int, static_int
from estflow.data.runtime import ElementError
from estflow.data.transformations import MapDataset, _UnaryDataset


def _batched(spec, batch_dim):
    return spec._with_shape(TensorShape([batch_dim]).concatenate(spec.shape))


class _BatchBase(_UnaryDataset):
    def __init__(self, input_dataset, batch_size, drop_remainder):
        super().__init__(input_dataset)
        self._batch_size = int_argument(batch_size, "batch_size")
        self._drop_remainder = bool(drop_remainder)
        static = static_int(self._batch_size)
        self._batch_dim = static if self._drop_remainder else None

    def _own_tensors(self):
        return [self._batch_size] if isinstance(self._batch_size, Tensor) else []

    def _size(self, env) -> int:
        n = runtime_int(env, self._batch_size)
        if n <= 0:
            raise errors.InvalidArgumentError(None, None, f"Batch size must be greater than zero, got {n}.")
        return n

    def _check(self, env):
        self._size(env)

    def _cardinality(self, env):
        n, size = self._input._cardinality(env), self._size(env)
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            return n
        return n // size + (0 if n % size == 0 or self._drop_remainder else 1)

    def _chunk_mode(self, env):
        return 0


def _fused_with_map(dataset, env) -> bool:
    """Whether TF would run this batch fused with the map before it (map_and_batch_fusion, on by default)."""
    return isinstance(dataset._input, MapDataset) and env.fusion


def _element_groups(elements, n: int, fused: bool):
    """Lists of `n` elements (fewer at the end) for one batch each, or the ElementError that fails a batch.

    As TF's BatchDataset, a failed element ends its batch: the elements gathered before it
    are dropped with it and the next batch starts after it. Fused with a map (TF's
    MapAndBatchDataset) a batch always spans `n` input elements: any failure among them
    fails the whole batch, with the first error.
    """
    group, error = [], None
    for e in elements:
        if e.__class__ is ElementError:
            if not fused:
                group = []
                yield e
                continue
            error = error or e
            group.append(None)
        else:
            group.append(e)
        if len(group) == n:
            if error is not None:
                yield error
            else:
                yield group
            group, error = [], None
    if error is not None:
        yield error
    elif group:
        yield group


class BatchDataset(_BatchBase):
    """`Dataset.batch`: dense rows are cut from chunks (no per-row work when the input is chunked)."""

    _batches_rows = True  # an element's components share their leading (row) dimension: see MapDataset

    def __init__(self, input_dataset, batch_size, drop_remainder=False):
        super().__init__(input_dataset, batch_size, drop_remainder)
        self._spec = structure.map_structure(lambda s: _batched(s, self._batch_dim), input_dataset.element_spec)

    def _elements(self, env):
        n = self._size(env)
        specs = self._input._flat_specs()
        if structure.any_sparse(specs):
            return self._sparse_batches(env, n, [structure.is_sparse(s) for s in specs])
        if _fused_with_map(self, env):
            return self._fused_batches(env, n)
        return self._dense_batches(env, n)

    def _dense_batches(self, env, n):
        stream = runtime.Rechunker(runtime.chunks_of(self._input, env, n))
        while True:
            batch = stream.take(n)
            if batch is None:
                return
            if batch.__class__ is not ElementError and len(batch[0]) < n:
                after = stream.take(n)  # the end, or the error that cut this batch short
                if after is not None:
                    batch = after  # the rows gathered before it are dropped with it, as in TF
                elif self._drop_remainder:
                    return
            yield batch

    def _fused_batches(self, env, n):
        """TF's MapAndBatch: each batch spans `n` input positions; a failure among them fails the batch."""
        stream = runtime.Rechunker(runtime.chunks_of(self._input, env, n))
        while True:
            first = stream.take(n)
            if first is None:
                return
            if first.__class__ is not ElementError and len(first[0]) == n:
                yield first  # nothing failed: the common case
                continue
            parts, error, need = [], None, n
            if first.__class__ is ElementError:
                error, need = first, n - 1
            else:
                parts, need = [first], n - len(first[0])
            while need:
                item = stream.take(need)
                if item is None:
                    break
                if item.__class__ is ElementError:
                    error = error or item
                    need -= 1
                else:
                    parts.append(item)
                    need -= len(item[0])
            if error is not None:
                yield error
            elif parts:
                if need and self._drop_remainder:
                    return
                try:
                    yield runtime.concat(parts)
                except errors.OpError as e:
                    yield ElementError(e)
            if need:
                return

    def _sparse_batches(self, env, n, sparse_flags):
        for group in _element_groups(self._input._elements(env), n, _fused_with_map(self, env)):
            if group.__class__ is ElementError:
                yield group
            elif self._drop_remainder and len(group) < n:
                return
            else:
                try:
                    yield runtime.stack_elements(group, sparse_flags)
                except errors.OpError as e:
                    yield ElementError(e)


class PaddedBatchDataset(_BatchBase):
    """`Dataset.padded_batch`: each batch padded to `padded_shapes` (unknown dims: the batch's longest)."""

    def __init__(self, input_dataset, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False):
        super().__init__(input_dataset, batch_size, drop_remainder)
        spec = input_dataset.element_spec
        leaves = structure.flatten(spec)
        for s in leaves:
            if structure.is_sparse(s):
                raise TypeError("Padded batching of components of type SparseTensorSpec is not supported.")
        if padded_shapes is None:
            shapes = [s.shape if s.shape.ndims is not None else None for s in leaves]
            if any(sh is None for sh in shapes):
                raise ValueError("padded_batch needs `padded_shapes` when a component's rank is unknown.")
            shapes = [TensorShape([None] * sh.ndims) for sh in shapes]
        else:
            shapes = [_padded_shape(p) for p in structure.flatten_up_to(spec, padded_shapes)] \
                if structure.is_nested(spec) else [_padded_shape(padded_shapes)]
        self._shape_tensors = [sh for sh in shapes if isinstance(sh, Tensor)]
        static = []
        for s, sh in zip(leaves, shapes, strict=False):
            if isinstance(sh, Tensor):
                n = sh.shape.as_tuple()[0] if sh.shape.ndims == 1 else None
                sh_static = TensorShape(None if n is None else [None] * n)
            else:
                sh_static = sh
                if not _padding_fits(s.shape, sh):
                    raise ValueError(f"The padded shape {sh} is not compatible with the corresponding input "
                                     f"component shape {s.shape}.")
            static.append(sh_static)
        self._padded = shapes
        if padding_values is None:
            values = [_default_padding(s.dtype) for s in leaves]
        else:
            given = structure.flatten_up_to(spec, padding_values) if structure.is_nested(spec) else [padding_values]
            values = [_padding_value(v, s.dtype) for v, s in zip(given, leaves, strict=False)]
        self._padding = values
        padded = [_batched(s._with_shape(sh), self._batch_dim) for s, sh in zip(leaves, static, strict=True)]
        self._spec = structure.pack_sequence_as(spec, padded) if structure.is_nested(spec) else padded[0]

    def _own_tensors(self):
        return super()._own_tensors() + self._shape_tensors

    def _elements(self, env):
        n = self._size(env)
        targets = []
        for sh in self._padded:
            if isinstance(sh, Tensor):
                dims = [int(d) for d in np.asarray(env.value(sh)).reshape(-1)]
                targets.append([None if d < 0 else d for d in dims])
            else:
                targets.append(list(sh.as_tuple()))
        for group in _element_groups(self._input._elements(env), n, False):
            if group.__class__ is ElementError:
                yield group
            elif self._drop_remainder and len(group) < n:
                return
            else:
                try:
                    yield [self._pad([e[i] for e in group], targets[i], self._padding[i], i)
                           for i in range(len(targets))]
                except errors.OpError as e:
                    yield ElementError(e)

    @staticmethod
    def _pad(values, target, pad_value, component):
        arrays = [np.asarray(v) if not isinstance(v, np.ndarray) else v for v in values]
        rank = len(target)
        dims = list(target)
        for a in arrays:
            if a.ndim != rank:
                raise errors.InvalidArgumentError(
                    None, None, f"All elements in a batch must have the same rank as the padded shape for component "
                                f"{component}: expected rank {rank} but got element with rank {a.ndim}")
        for k in range(rank):
            longest = max(a.shape[k] for a in arrays)
            if dims[k] is None:
                dims[k] = longest
            elif longest > dims[k]:
                raise errors.DataLossError(None, None, "Attempted to pad to a smaller size than the input element.")
        dtype = arrays[0].dtype
        out = np.full([len(arrays)] + dims, pad_value, dtype=dtype)
        for i, a in enumerate(arrays):
            out[(i,) + tuple(slice(0, d) for d in a.shape)] = a
        return out


def _padded_shape(value):
    if isinstance(value, Tensor):
        if value.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(f"padded_shapes tensors must be int32 or int64, got {value.dtype.name}.")
        if value._const_value is None:
            return value
        value = value._const_value
    if isinstance(value, TensorShape):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return TensorShape([None if d is None or int(d) < 0 else int(d) for d in value])
    return as_shape(value)


def _padding_fits(element: TensorShape, padded: TensorShape) -> bool:
    """TF's rule: the padded shape must be compatible with the element's static shape."""
    return element.is_compatible_with(padded)


def _default_padding(dtype):
    if dtype == dtypes.string:
        return b""
    return np.zeros((), dtype=dtype.as_numpy_dtype)[()]


def _padding_value(value, dtype):
    if isinstance(value, Tensor):
        if value._const_value is None:
            raise ValueError("padding_values must be known when the pipeline is built (constants or numpy values).")
        if value.dtype != dtype:
            raise TypeError(f"Padding value dtype {value.dtype.name} does not match the component's {dtype.name}.")
        value = value._const_value
    arr = structure.to_array(value)
    if arr.ndim != 0:
        raise ValueError(f"Padding values must be scalars, got shape {arr.shape}.")
    if dtype == dtypes.string:
        return arr.item()
    return np.asarray(arr, dtype=dtype.as_numpy_dtype)[()]


class UnbatchDataset(_UnaryDataset):
    """`Dataset.unbatch`: each element split along its first dimension (every element is a chunk)."""

    def __init__(self, input_dataset):
        super().__init__(input_dataset)
        leaves = input_dataset._flat_specs()
        for s in leaves:
            if s.shape.ndims == 0:
                raise ValueError("Cannot unbatch an input with scalar components.")
        self._spec = structure.map_structure(lambda s: s._with_shape(s.shape[1:]), input_dataset.element_spec)
        self._sparse = [structure.is_sparse(s) for s in leaves]

    def _chunk_mode(self, env):
        return 0 if any(self._sparse) else 2

    def _elements(self, env):
        if not any(self._sparse):
            return self._rows_of_chunks(env)
        return self._sparse_rows(env)

    def _sparse_rows(self, env):
        for element in self._input._elements(env):
            if element.__class__ is ElementError:
                yield element
                continue
            sizes = [int(v.dense_shape[0]) if s else np.shape(v)[0]
                     for v, s in zip(element, self._sparse, strict=True)]
            try:
                _check_sizes(sizes)
            except errors.OpError as e:
                yield ElementError(e)
                continue
            iters = [runtime.sparse_rows(v) if s else runtime.rows([np.asarray(v)]) for v, s in
                     zip(element, self._sparse, strict=False)]
            for row in zip(*iters, strict=False):
                yield [x if s else x[0] for x, s in zip(row, self._sparse, strict=False)]

    def _chunks(self, env, hint):
        for element in self._input._elements(env):
            if element.__class__ is ElementError:
                yield element
                continue
            arrays = [np.asarray(v) for v in element]
            try:
                for a in arrays:
                    if a.ndim == 0:
                        raise errors.InvalidArgumentError(None, None,
                                                          "Cannot unbatch an input with scalar components.")
                _check_sizes([a.shape[0] for a in arrays])
            except errors.OpError as e:
                yield ElementError(e)
                continue
            if arrays[0].shape[0]:
                yield arrays


def _check_sizes(sizes):
    for i, n in enumerate(sizes[1:], 1):
        if n != sizes[0]:
            raise errors.InvalidArgumentError(
                None, None, f"Input element must have the same batch size in each component. Component 0 had size "
                            f"{sizes[0]} but component {i} had size {n}.")
