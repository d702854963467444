"""Saving an iterator's position with a checkpoint: `make_saveable_from_iterator` and its ops.

    SerializeIterator(handle)               -> the iterator's state, a string scalar
    DeserializeIterator(handle, serialized) :  the iterator moved back to that state

estflow's pipelines are Python generators, which cannot be pickled into a checkpoint. The
state saved instead is what replays them: how many elements the iterator has produced
since it was started, and the random seeds its unseeded shuffles and RandomDatasets drew.
Restoring restarts the pipeline (with the same captured values, the same seeds) and skips
that many elements, so a deterministic pipeline continues exactly where it was saved: the
same elements in the same order, shuffles included. State the pipeline cannot replay is
"external" (TF's word): `Dataset.from_generator` runs Python code whose output estflow
cannot vouch for; `external_state_policy` says whether saving such a pipeline fails
(TF's default), warns or goes on silently (restoring then replays the generator).

The state is a JSON string (TF saves a variant holding its own serialization): checkpoints
written here restore in estflow, and TF reads their other tensors but not this one.
"""

from __future__ import annotations

import itertools
import json
import logging

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.data.iterator_ops import _NOT_INITIALIZED, _STATE, _handle_key, _IteratorState
from estflow.data.options import ExternalStatePolicy
from estflow.data.random_dataset import RandomDataset
from estflow.data.shuffle import ShuffleDataset
from estflow.data.sources import GeneratorDataset
from estflow.training.saver import SaveableObject, SaveSpec

_logger = logging.getLogger("estflow")
_SEEDED = (ShuffleDataset, RandomDataset)  # nodes whose per-instance seeds (drawn when unseeded) are saved


def _nodes(dataset) -> list:
    """Every node of a pipeline, depth first, in an order a rebuilt pipeline repeats."""
    out, stack = [], [dataset]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node._inputs()))
    return out


def _check_external_state(state: _IteratorState, policy: int) -> None:
    if policy == ExternalStatePolicy.IGNORE.value:
        return
    if not any(isinstance(node, GeneratorDataset) for node in _nodes(state.dataset)):
        return
    message = ("The iterator's pipeline depends on external state (Dataset.from_generator runs Python code whose "
               "output a checkpoint cannot hold); restoring will call the generator again and skip the elements "
               "already read.")
    if policy == ExternalStatePolicy.FAIL.value:
        raise errors.FailedPreconditionError(None, None, message + " Pass external_state_policy='warn' or "
                                                                   "'ignore' to save it anyway.")
    _logger.warning(message)


def _serialize(state: _IteratorState) -> bytes:
    seeds = {}
    for i, node in enumerate(_nodes(state.dataset)):
        if isinstance(node, _SEEDED):
            entry = state.env.node_state.get(id(node))
            if entry is not None:  # a shuffle's seed, not how far it got: the replay counts its epochs again
                value = entry[1]
                seeds[str(i)] = {"iteration": 0, "entropy": value["entropy"]} if isinstance(value, dict) else value
    return json.dumps({"consumed": state.consumed, "seeds": seeds}).encode()


def _deserialize(old: _IteratorState, serialized: bytes, ctx) -> _IteratorState:
    try:
        saved = json.loads(serialized)
        consumed, seeds = int(saved["consumed"]), saved["seeds"]
    except (ValueError, KeyError, TypeError):
        raise errors.InvalidArgumentError(None, None, "The checkpoint does not hold an estflow iterator state "
                                                      "(an iterator saved by TensorFlow cannot be restored here).") \
            from None
    nodes = _nodes(old.dataset)
    node_states = {}
    for index, value in seeds.items():
        node = nodes[int(index)]
        node_states[id(node)] = (node, value)
    state = _IteratorState(old.dataset, ctx, old.values, node_states)
    for _ in itertools.islice(state._elements, consumed):  # replay: the elements already produced
        pass
    state.consumed = consumed
    return state


def _make_serialize(op, ctx):
    policy = op._attrs["external_state_policy"]

    def serialize(handle):
        state = ctx.state.get((_STATE, _handle_key(handle)))
        if state is None:
            raise errors.FailedPreconditionError(None, None, _NOT_INITIALIZED)
        _check_external_state(state, policy)
        with state._lock:
            return np.array(_serialize(state), dtype=object)

    return serialize


register(OpDef(
    "SerializeIterator", infer=lambda handle, **_: TensorSpec([], dtypes.string), make_kernel=_make_serialize,
    attrs={"external_state_policy": 0}, stateful=True, cpu_only=True, differentiable=False,
    input_names=("resource_handle: resource",), output_names=("serialized: string",),
    attr_types={"external_state_policy": "int"},
))


def _make_deserialize(op, ctx):
    def deserialize(handle, serialized):
        key = (_STATE, _handle_key(handle))
        old = ctx.state.get(key)
        if old is None:
            raise errors.FailedPreconditionError(
                None, None, "Restoring an iterator that has not been initialized: estflow rebuilds an iterator's "
                            "pipeline from the graph, so run the iterator's initializer before restoring.")
        value = serialized.item() if isinstance(serialized, np.ndarray) else serialized
        ctx.state[key] = _deserialize(old, value, ctx)
        old.close()

    return deserialize


register(OpDef(
    "DeserializeIterator", infer=lambda handle, serialized: [], make_kernel=_make_deserialize,
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("resource_handle: resource", "serialized: variant"),
))


def _policy(external_state_policy) -> ExternalStatePolicy:
    if isinstance(external_state_policy, ExternalStatePolicy):
        return external_state_policy
    named = {"warn": ExternalStatePolicy.WARN, "ignore": ExternalStatePolicy.IGNORE, "fail": ExternalStatePolicy.FAIL}
    if external_state_policy not in named:
        raise ValueError(f"Invalid `ExternalStatePolicy.` Supported values include 'warn', 'ignore', and 'fail.' "
                         f"Received {external_state_policy}.")
    return named[external_state_policy]


class IteratorSaveable(SaveableObject):
    """An iterator's position for a Saver: saved under `<name>_STATE`, restored with DeserializeIterator."""

    def __init__(self, iterator_resource, name, external_state_policy=ExternalStatePolicy.FAIL):
        serialized = apply_op("SerializeIterator", iterator_resource, name="SerializeIterator",
                              external_state_policy=_policy(external_state_policy).value)
        super().__init__(iterator_resource, [SaveSpec(serialized, "", name + "_STATE", dtype=dtypes.string,
                                                      device=iterator_resource.device)], name)

    def restore(self, restored_tensors, restored_shapes):
        with self.op.graph.colocate_with(self.op.op):
            return apply_op("DeserializeIterator", self.op, restored_tensors[0], name="DeserializeIterator")


def make_saveable_from_iterator(iterator, external_state_policy=None) -> IteratorSaveable:
    """A SaveableObject that saves and restores `iterator`'s position with a `tf.train.Saver`, as
    `tf.data.experimental.make_saveable_from_iterator` (see the module docstring for what is saved).

        saveable = tf.data.experimental.make_saveable_from_iterator(iterator)
        tf.add_to_collection(tf.GraphKeys.SAVEABLE_OBJECTS, saveable)
        saver = tf.train.Saver()   # saves and restores the iterator with the variables
    """
    policy = _policy("fail" if external_state_policy is None else external_state_policy)
    resource = iterator._iterator_resource
    return IteratorSaveable(resource, resource.name, external_state_policy=policy)
