"""TF1's queues: `tf.QueueBase`, `tf.FIFOQueue`, `tf.RandomShuffleQueue`, `tf.PaddingFIFOQueue`,
`tf.PriorityQueue`.

    q = tf.FIFOQueue(capacity=10, dtypes=[tf.float32, tf.int32], shapes=[[2], []])
    enq = q.enqueue_many([x, y]);  x_batch, y_batch = q.dequeue_many(4)

The queue itself lives in the session (estflow/core/ops/queue_ops.py): these classes build the
ops that reach it. Element shapes given here check enqueues when the graph is built and give the
dequeued tensors their static shapes, as TF1's do.
"""

from __future__ import annotations

from estflow.core import dtypes as _dtypes
from estflow.core import random_seed
from estflow.core.graph import name_scope
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import apply_op
from estflow.core.tensor_shape import TensorShape, unknown_shape


def _as_list(values):
    return list(values) if isinstance(values, (list, tuple)) else [values]


class QueueBase:
    """Base class of the queues: enqueue/dequeue ops over the queue resource `queue_ref`."""

    def __init__(self, dtypes, shapes, names, queue_ref):
        self._dtypes = [_dtypes.as_dtype(d) for d in dtypes]
        if shapes is not None:
            if len(shapes) != len(self._dtypes):
                raise ValueError("Queue shapes must have the same length as dtypes")
            self._shapes = [TensorShape(s) for s in shapes]
        else:
            self._shapes = [unknown_shape() for _ in self._dtypes]
        if names is not None:
            if len(names) != len(self._dtypes):
                raise ValueError("Queue names must have the same length as dtypes")
            self._names = list(names)
        else:
            self._names = None
        self._queue_ref = queue_ref
        self._name = queue_ref.op.name.split("/")[-1]

    @staticmethod
    def from_list(index, queues):
        raise NotImplementedError("QueueBase.from_list (a queue chosen at run time) is not supported by estflow; "
                                  "select the queue in Python or with tf.cond.")

    queue_ref = property(lambda self: self._queue_ref)
    name = property(lambda self: self._queue_ref.op.name)
    dtypes = property(lambda self: list(self._dtypes))
    shapes = property(lambda self: list(self._shapes))
    names = property(lambda self: self._names)

    def _check_enqueue_dtypes(self, vals):
        """The components of `vals` (a dict by name, a list/tuple or one value) as tensors of the queue's types."""
        if isinstance(vals, dict):
            if not self._names:
                raise ValueError("Queue must have names to enqueue a dictionary")
            if sorted(self._names, key=str) != sorted(vals.keys(), key=str):
                raise ValueError(f"Keys in dictionary to enqueue do not match names of Queue.  Dictionary: "
                                 f"{sorted(vals.keys())}, Queue: {sorted(self._names)}")
            vals = [vals[k] for k in self._names]
        else:
            if self._names:
                raise ValueError("You must enqueue a dictionary in a Queue with names")
            vals = _as_list(vals)
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Expected {len(self._dtypes)} tensors, got {len(vals)}")
        tensors = []
        for i, (val, dtype) in enumerate(zip(vals, self._dtypes, strict=True)):
            t = convert_to_tensor(val, dtype=dtype, name=f"component_{i}")
            tensors.append(t)
        return tensors

    def _scope_vals(self, vals):
        if isinstance(vals, dict):
            return list(vals.values())
        return _as_list(vals)

    def enqueue(self, vals, name=None):
        """An op enqueuing one element (`vals`: one tensor, a list/tuple, or a dict when the queue has names)."""
        with name_scope(name, f"{self._name}_enqueue", self._scope_vals(vals)) as scope:
            vals = self._check_enqueue_dtypes(vals)
            for val, shape in zip(vals, self._shapes, strict=True):
                val.shape.assert_is_compatible_with(shape)
            return apply_op("QueueEnqueueV2", self._queue_ref, *vals, name=scope,
                            Tcomponents=tuple(v.dtype for v in vals))

    def enqueue_many(self, vals, name=None):
        """An op enqueuing zero or more elements: dimension 0 of each component counts them."""
        with name_scope(name, f"{self._name}_EnqueueMany", self._scope_vals(vals)) as scope:
            vals = self._check_enqueue_dtypes(vals)
            for val, shape in zip(vals, self._shapes, strict=True):
                val.shape.with_rank_at_least(1)[1:].assert_is_compatible_with(shape)
            return apply_op("QueueEnqueueManyV2", self._queue_ref, *vals, name=scope,
                            Tcomponents=tuple(v.dtype for v in vals))

    def _dequeue_return_value(self, tensors):
        if self._names:
            return dict(zip(self._names, tensors, strict=True))
        if len(tensors) == 1:
            return tensors[0]
        return tensors

    def dequeue(self, name=None):
        """Dequeue one element; blocks while the queue is empty, OutOfRangeError once closed and drained."""
        if name is None:
            name = f"{self._name}_Dequeue"
        out = apply_op("QueueDequeueV2", self._queue_ref, name=name, component_types=tuple(self._dtypes))
        out = _as_list(out)
        for t, shape in zip(out, self._shapes, strict=True):
            t.set_shape(shape)
        return self._dequeue_return_value(out)

    def dequeue_many(self, n, name=None):
        """Dequeue `n` elements stacked along a new dimension 0."""
        if name is None:
            name = f"{self._name}_DequeueMany"
        with name_scope(name) as scope:
            n = convert_to_tensor(n, dtype=_dtypes.int32, name="n")
            out = _as_list(apply_op("QueueDequeueManyV2", self._queue_ref, n, name=scope,
                                    component_types=tuple(self._dtypes)))
        batch = n._const_value
        batch_dim = None if batch is None else int(batch)
        for t, shape in zip(out, self._shapes, strict=True):
            t.set_shape(TensorShape([batch_dim]).concatenate(shape))
        return self._dequeue_return_value(out)

    def dequeue_up_to(self, n, name=None):
        """Dequeue up to `n` elements: fewer only from a closed queue that holds fewer (OutOfRange at 0)."""
        if name is None:
            name = f"{self._name}_DequeueUpTo"
        with name_scope(name) as scope:
            n = convert_to_tensor(n, dtype=_dtypes.int32, name="n")
            out = _as_list(apply_op("QueueDequeueUpToV2", self._queue_ref, n, name=scope,
                                    component_types=tuple(self._dtypes)))
        for t, shape in zip(out, self._shapes, strict=True):
            t.set_shape(TensorShape([None]).concatenate(shape))
        return self._dequeue_return_value(out)

    def close(self, cancel_pending_enqueues=False, name=None):
        """Close the queue: later enqueues fail, dequeues drain it; optionally cancel blocked enqueues."""
        if name is None:
            name = f"{self._name}_Close"
        return apply_op("QueueCloseV2", self._queue_ref, name=name,
                        cancel_pending_enqueues=bool(cancel_pending_enqueues))

    def is_closed(self, name=None):
        if name is None:
            name = f"{self._name}_IsClosed"
        return apply_op("QueueIsClosedV2", self._queue_ref, name=name)

    def size(self, name=None):
        """The number of elements in the queue (an int32 scalar)."""
        if name is None:
            name = f"{self._name}_Size"
        return apply_op("QueueSizeV2", self._queue_ref, name=name)


def _shapes_attr(shapes):
    if shapes is None:
        return ()
    shapes = [TensorShape(s) for s in shapes]
    if not all(s.is_fully_defined() for s in shapes):
        return ()
    return tuple(shapes)


class FIFOQueue(QueueBase):
    """A queue that dequeues elements in first-in first-out order."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None, name="fifo_queue"):
        name = name or "fifo_queue"
        dtypes = _as_list(dtypes)
        shapes = None if shapes is None else _normalize_shapes(shapes, len(dtypes))
        ref = apply_op("FIFOQueueV2", name=name, component_types=tuple(_dtypes.as_dtype(d) for d in dtypes),
                       shapes=_shapes_attr(shapes), capacity=int(capacity), shared_name=shared_name or "")
        super().__init__(dtypes, shapes, names, ref)


class PaddingFIFOQueue(QueueBase):
    """A FIFOQueue whose `dequeue_many` pads variable-size components (dims of None) to the batch's largest."""

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None, name="padding_fifo_queue"):
        name = name or "padding_fifo_queue"
        dtypes = _as_list(dtypes)
        shapes = _normalize_shapes(shapes, len(dtypes))
        if len(shapes) != len(dtypes):
            raise ValueError(f"Shapes must be provided for all components, but received {len(dtypes)} dtypes and "
                             f"{len(shapes)} shapes.")
        attr = tuple(TensorShape(s) for s in shapes)
        if any(s.ndims is None for s in attr):
            raise ValueError("PaddingFIFOQueue requires every component's rank to be known")
        ref = apply_op("PaddingFIFOQueueV2", name=name, component_types=tuple(_dtypes.as_dtype(d) for d in dtypes),
                       shapes=attr, capacity=int(capacity), shared_name=shared_name or "")
        super().__init__(dtypes, shapes, names, ref)


class RandomShuffleQueue(QueueBase):
    """A queue that dequeues elements in random order, keeping `min_after_dequeue` until it is closed."""

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None, seed=None, shared_name=None,
                 name="random_shuffle_queue"):
        name = name or "random_shuffle_queue"
        dtypes = _as_list(dtypes)
        shapes = None if shapes is None else _normalize_shapes(shapes, len(dtypes))
        seed1, seed2 = random_seed.get_seed(seed)
        if seed1 is None and seed2 is None:
            seed1, seed2 = 0, 0
        elif seed is None and shared_name is not None:
            seed2 = 0  # TF: a shared queue's seed must not depend on the op's id
        ref = apply_op("RandomShuffleQueueV2", name=name,
                       component_types=tuple(_dtypes.as_dtype(d) for d in dtypes), shapes=_shapes_attr(shapes),
                       capacity=int(capacity), min_after_dequeue=int(min_after_dequeue), seed=int(seed1),
                       seed2=int(seed2), shared_name=shared_name or "")
        super().__init__(dtypes, shapes, names, ref)


class PriorityQueue(QueueBase):
    """A queue that dequeues elements by priority, smallest first.

    Each element leads with its priority, an int64 scalar, before the components `types` names;
    `shapes` (required, fully defined) gives the shapes of those components.

        q = tf.PriorityQueue(10, [tf.string], shapes=[[]])
        q.enqueue_many([[3, 1], ["c", "a"]]);  priority, value = q.dequeue()   # 1, b"a"
    """

    def __init__(self, capacity, types, shapes=None, names=None, shared_name=None, name="priority_queue"):
        name = name or "priority_queue"
        types = [_dtypes.as_dtype(d) for d in _as_list(types)]
        if shapes is None:
            raise TypeError("Expected list for 'shapes' argument to 'priority_queue_v2' Op, not None.")
        shapes = _normalize_shapes(shapes, len(types)) if len(shapes) else []
        if not all(s.is_fully_defined() for s in shapes):
            raise ValueError(f"All shapes must be fully defined: {shapes}")
        ref = apply_op("PriorityQueueV2", name=name, component_types=tuple(types), shapes=tuple(shapes),
                       capacity=int(capacity), shared_name=shared_name or "")
        super().__init__([_dtypes.int64, *types], [TensorShape([]), *shapes] if shapes else None, names, ref)


def _normalize_shapes(shapes, n):
    """TF's _as_shape_list: one shape (a TensorShape, or a list of ints and None) or a list of shapes."""
    if isinstance(shapes, TensorShape):
        return [shapes]
    if not isinstance(shapes, (list, tuple)):
        raise TypeError(f"Shapes must be a TensorShape or a list or tuple of TensorShapes, got {shapes!r}")
    if all(s is None or isinstance(s, int) for s in shapes):
        shapes = [shapes]
    return [TensorShape(s) for s in shapes]
