"""TF1's queue-based input pipelines: `tf.train.string_input_producer`, `input_producer`,
`range_input_producer`, `slice_input_producer`, `limit_epochs`, `batch`, `shuffle_batch`,
`batch_join`, `shuffle_batch_join`, `maybe_batch`, `maybe_shuffle_batch`.

    files = tf.train.string_input_producer(["a.tfrecord"], num_epochs=2)
    _, record = tf.TFRecordReader().read(files)
    example = tf.parse_single_example(record, {"x": tf.FixedLenFeature([2], tf.float32)})
    batch = tf.train.shuffle_batch(example, batch_size=8, capacity=64, min_after_dequeue=16)

Each function builds a queue and registers a QueueRunner that fills it (`tf.train.start_queue_runners`
starts them). `num_epochs` counts in a local variable ("epochs", initialized by
`tf.local_variables_initializer()`), as in TF1; once a producer has run out of epochs its
queue closes and the readers and batches downstream raise OutOfRangeError when drained.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes as _dtypes
from estflow.core import nest
from estflow.core.graph import GraphKeys, Tensor, get_default_graph, name_scope
from estflow.core.ops.array_ops import identity, shape, size
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.comparison_ops import greater
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.control_flow_ops import Assert
from estflow.core.ops.fill_ops import range_
from estflow.core.ops.gather_ops import gather
from estflow.core.ops.math_ops import maximum, multiply, subtract
from estflow.core.ops.random_ops import random_shuffle
from estflow.core.registry import apply_op
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import TensorShape
from estflow.core.variables import Variable
from estflow.library import data_flow_ops
from estflow.library.queue_runner_impl import QueueRunner, add_queue_runner


def _scalar_summary(tag: str, value) -> None:
    with name_scope(tag) as scope:
        out = apply_op("ScalarSummary", np.array(scope.rstrip("/").encode(), dtype=object), value, name=scope)
    get_default_graph().add_to_collection(GraphKeys.SUMMARIES, out)


def limit_epochs(tensor, num_epochs=None, name=None):
    """`tensor`, at most `num_epochs` times: then OutOfRangeError (None: forever)."""
    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    with name_scope(name, "limit_epochs", [tensor]) as scope:
        zero64 = np.int64(0)
        epochs = Variable(zero64, name="epochs", trainable=False, collections=[GraphKeys.LOCAL_VARIABLES])
        counter = epochs.count_up_to(num_epochs)
        with get_default_graph().control_dependencies([counter]):
            return identity(tensor, name=scope)


def input_producer(input_tensor, element_shape=None, num_epochs=None, shuffle=True, seed=None, capacity=32,
                   shared_name=None, summary_name=None, name=None, cancel_op=None):
    """A queue of the rows of `input_tensor` (shuffled each epoch when `shuffle`), filled by a QueueRunner."""
    with name_scope(name, "input_producer", [input_tensor]):
        input_tensor = convert_to_tensor(input_tensor, name="input_tensor")
        element_shape = input_tensor.shape[1:].merge_with(TensorShape(element_shape) if element_shape is not None
                                                           else TensorShape(None))
        if not element_shape.is_fully_defined():
            raise ValueError("Either `input_tensor` must have a fully defined shape or `element_shape` must be "
                             "specified")
        if shuffle:
            input_tensor = random_shuffle(input_tensor, seed=seed)
        input_tensor = limit_epochs(input_tensor, num_epochs)
        q = data_flow_ops.FIFOQueue(capacity=capacity, dtypes=[input_tensor.dtype.base_dtype], shapes=[element_shape],
                                    shared_name=shared_name, name=name)
        enq = q.enqueue_many([input_tensor])
        add_queue_runner(QueueRunner(q, [enq], cancel_op=cancel_op))
        if summary_name is not None:
            _scalar_summary(summary_name,
                            multiply(cast(q.size(), _dtypes.float32), np.float32(1.0 / capacity)))
        return q


def string_input_producer(string_tensor, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None,
                          name=None, cancel_op=None):
    """A queue of the strings (usually file names) in `string_tensor`, for a reader."""
    not_null_err = "string_input_producer requires a non-null input tensor"
    if not isinstance(string_tensor, Tensor) and not string_tensor:
        raise ValueError(not_null_err)
    with name_scope(name, "input_producer", [string_tensor]) as scope:
        string_tensor = convert_to_tensor(string_tensor, dtype=_dtypes.string)
        with get_default_graph().control_dependencies([Assert(greater(size(string_tensor), 0), [not_null_err])]):
            string_tensor = identity(string_tensor)
        return input_producer(string_tensor, [], num_epochs=num_epochs, shuffle=shuffle, seed=seed,
                              capacity=capacity, shared_name=shared_name, name=scope,
                              summary_name=f"fraction_of_{capacity}_full", cancel_op=cancel_op)


def range_input_producer(limit, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None,
                         name=None):
    """A queue of the integers 0 .. limit-1 (int32)."""
    with name_scope(name, "input_producer", [limit]) as scope:
        range_tensor = range_(limit)
        return input_producer(range_tensor, [], num_epochs, shuffle, seed, capacity, shared_name,
                              f"fraction_of_{capacity}_full", scope)


def slice_input_producer(tensor_list, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None,
                         name=None):
    """One row of every tensor of `tensor_list` at a time (the same row of each)."""
    with name_scope(name, "input_producer", tensor_list):
        tensor_list = [convert_to_tensor(t) for t in tensor_list]
        if not tensor_list:
            raise ValueError("Expected at least one tensor in slice_input_producer().")
        range_size = shape(tensor_list[0])[0]
        queue = range_input_producer(range_size, num_epochs=num_epochs, shuffle=shuffle, seed=seed,
                                     capacity=capacity, shared_name=shared_name)
        index = queue.dequeue()
        return [gather(t, index) for t in tensor_list]


# ---- batching --------------------------------------------------------------------------------
def _flatten(tensors):
    flat = nest.flatten(tensors)
    if any(isinstance(t, SparseTensor) for t in flat):
        raise NotImplementedError("Batching SparseTensors through a queue is not supported by estflow; batch "
                                  "the serialized examples and parse them with tf.parse_example.")
    return [convert_to_tensor(t) for t in flat]


def _shapes(tensor_list_list, shapes, enqueue_many, dynamic_pad):
    if shapes is not None:
        return [TensorShape(s) for s in shapes]
    out = []
    for i in range(len(tensor_list_list[0])):
        s = tensor_list_list[0][i].shape
        for tl in tensor_list_list[1:]:
            s = s.merge_with(tl[i].shape)
        if enqueue_many:
            s = s.with_rank_at_least(1)[1:]
        if not dynamic_pad and not s.is_fully_defined():
            raise ValueError(f"All shapes must be fully defined: {[t.shape for t in tensor_list_list[0]]}")
        if dynamic_pad and s.ndims is None:
            raise ValueError("With dynamic_pad, every tensor's rank must be known")
        out.append(s)
    return out


def _keep(tensor_list, keep_input, enqueue_many):
    """`maybe_*`'s filter: the rows (or the element) where keep_input is true."""
    if keep_input is True:
        return tensor_list
    keep = convert_to_tensor(keep_input, dtype=_dtypes.bool)
    if not enqueue_many:
        if keep.shape.ndims not in (None, 0):
            raise ValueError("keep_input must be a scalar unless enqueue_many")
        keep = apply_op("Reshape", keep, np.array([1], np.int32))
        tensor_list = [apply_op("ExpandDims", t, np.int32(0)) for t in tensor_list]
    where = apply_op("Reshape", apply_op("Where", keep), np.array([-1], np.int32))
    return [gather(t, where) for t in tensor_list]


def _batch_impl(tensors_list, batch_size, num_threads, capacity, enqueue_many, shapes, dynamic_pad,
                allow_smaller_final_batch, shared_name, name, keep_input, min_after_dequeue=None, seed=None,
                default_name="batch", join=False):
    structure = tensors_list[0]
    flat_lists = [_flatten(t) for t in tensors_list]
    dtypes = [t.dtype.base_dtype for t in flat_lists[0]]
    for tl in flat_lists[1:]:
        if [t.dtype.base_dtype for t in tl] != dtypes:
            raise TypeError("Expected types to be consistent across the tensors of tensors_list")
    with name_scope(name, default_name, flat_lists[0]):
        many = enqueue_many
        if keep_input is not True:
            flat_lists = [_keep(tl, keep_input, enqueue_many) for tl in flat_lists]
            many = True
        shapes = _shapes(flat_lists, shapes, many, dynamic_pad)
        if min_after_dequeue is not None:
            queue = data_flow_ops.RandomShuffleQueue(capacity=capacity, min_after_dequeue=min_after_dequeue,
                                                     dtypes=dtypes, shapes=shapes, seed=seed,
                                                     shared_name=shared_name)
        elif dynamic_pad:
            queue = data_flow_ops.PaddingFIFOQueue(capacity=capacity, dtypes=dtypes, shapes=shapes,
                                                   shared_name=shared_name)
        else:
            queue = data_flow_ops.FIFOQueue(capacity=capacity, dtypes=dtypes, shapes=shapes,
                                            shared_name=shared_name)
        if join:
            enqueue_ops = [queue.enqueue_many(tl) if many else queue.enqueue(tl) for tl in flat_lists]
        else:
            tl = flat_lists[0]
            enqueue_ops = [queue.enqueue_many(tl) if many else queue.enqueue(tl)] * num_threads
        add_queue_runner(QueueRunner(queue, enqueue_ops))
        size_f = cast(queue.size(), _dtypes.float32)
        if min_after_dequeue is not None:
            full = multiply(maximum(np.float32(0), subtract(size_f, np.float32(min_after_dequeue))),
                            np.float32(1.0 / (capacity - min_after_dequeue)))
            _scalar_summary(f"fraction_over_{min_after_dequeue}_of_{capacity - min_after_dequeue}_full", full)
        else:
            _scalar_summary(f"fraction_of_{capacity}_full", multiply(size_f, np.float32(1.0 / capacity)))
        if allow_smaller_final_batch:
            dequeued = queue.dequeue_up_to(batch_size, name=name)
        else:
            dequeued = queue.dequeue_many(batch_size, name=name)
        dequeued = dequeued if isinstance(dequeued, list) else [dequeued]
        return nest.pack_sequence_as(structure, dequeued)


def batch(tensors, batch_size, num_threads=1, capacity=32, enqueue_many=False, shapes=None, dynamic_pad=False,
          allow_smaller_final_batch=False, shared_name=None, name=None):
    """Batches of `tensors` (a tensor, list, tuple or dict) through a FIFOQueue (PaddingFIFOQueue with dynamic_pad)."""
    return _batch_impl([tensors], batch_size, num_threads, capacity, enqueue_many, shapes,
                       dynamic_pad, allow_smaller_final_batch, shared_name, name, True)


def maybe_batch(tensors, keep_input, batch_size, num_threads=1, capacity=32, enqueue_many=False, shapes=None,
                dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None, name=None):
    """`batch`, keeping only the elements (or rows, with enqueue_many) where `keep_input` is true."""
    return _batch_impl([tensors], batch_size, num_threads, capacity, enqueue_many, shapes, dynamic_pad,
                       allow_smaller_final_batch, shared_name, name, keep_input)


def batch_join(tensors_list, batch_size, capacity=32, enqueue_many=False, shapes=None, dynamic_pad=False,
               allow_smaller_final_batch=False, shared_name=None, name=None):
    """Batches from several lists of tensors, one enqueuing thread each."""
    return _batch_impl(list(tensors_list), batch_size, 1, capacity, enqueue_many, shapes, dynamic_pad,
                       allow_smaller_final_batch, shared_name, name, True, join=True)


def shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, num_threads=1, seed=None, enqueue_many=False,
                  shapes=None, allow_smaller_final_batch=False, shared_name=None, name=None):
    """Shuffled batches of `tensors` through a RandomShuffleQueue holding at least `min_after_dequeue`."""
    return _batch_impl([tensors], batch_size, num_threads, capacity, enqueue_many, shapes, False,
                       allow_smaller_final_batch, shared_name, name, True, min_after_dequeue, seed,
                       default_name="shuffle_batch")


def maybe_shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, keep_input, num_threads=1, seed=None,
                        enqueue_many=False, shapes=None, allow_smaller_final_batch=False, shared_name=None,
                        name=None):
    return _batch_impl([tensors], batch_size, num_threads, capacity, enqueue_many, shapes, False,
                       allow_smaller_final_batch, shared_name, name, keep_input, min_after_dequeue, seed,
                       default_name="shuffle_batch")


def shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, seed=None, enqueue_many=False,
                       shapes=None, allow_smaller_final_batch=False, shared_name=None, name=None):
    """Shuffled batches from several lists of tensors, one enqueuing thread each."""
    return _batch_impl(list(tensors_list), batch_size, 1, capacity, enqueue_many, shapes, False,
                       allow_smaller_final_batch, shared_name, name, True, min_after_dequeue, seed,
                       default_name="shuffle_batch_join", join=True)


def maybe_batch_join(tensors_list, keep_input, batch_size, capacity=32, enqueue_many=False, shapes=None,
                     dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None, name=None):
    """`batch_join`, keeping only the elements where `keep_input` is true."""
    return _batch_impl(list(tensors_list), batch_size, 1, capacity, enqueue_many, shapes, dynamic_pad,
                       allow_smaller_final_batch, shared_name, name, keep_input, join=True)


def maybe_shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, keep_input, seed=None,
                             enqueue_many=False, shapes=None, allow_smaller_final_batch=False, shared_name=None,
                             name=None):
    """`shuffle_batch_join`, keeping only the elements where `keep_input` is true."""
    return _batch_impl(list(tensors_list), batch_size, 1, capacity, enqueue_many, shapes, False,
                       allow_smaller_final_batch, shared_name, name, keep_input, min_after_dequeue, seed,
                       default_name="shuffle_batch_join", join=True)
