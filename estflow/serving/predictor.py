"""`tf.contrib.predictor`: a loaded SavedModel as a Python callable from a dict of inputs to a dict of outputs.

    predict_fn = tf.contrib.predictor.from_saved_model("/tmp/export/1795336249")
    predict_fn({"inputs": [serialized_example]})   # {"classes": ..., "scores": ...}

The signature (default `serving_default`) names the inputs and outputs. The graph is
finalized after loading and each set of input keys is compiled into an execution plan
once, so a call converts its inputs (numpy arrays of the right dtype pass without a
copy), runs the plan's steps and returns fresh numpy arrays: no graph walking, name
lookups or plan cache lookups per call.
"""

from __future__ import annotations

import logging

import numpy as np

from estflow.core.graph import Graph
from estflow.core.session import FETCH_CONVERTERS, Session
from estflow.serving import loader, signature_constants, tag_constants

_logger = logging.getLogger("estflow")
DEFAULT_TAGS = tag_constants.SERVING


class Predictor:
    """A callable over a session: `predictor({input key: value})` -> {output key: numpy array}."""

    _session = None
    _feed_tensors: dict = {}
    _fetch_tensors: dict = {}

    def _prepare(self) -> None:
        """Compile-once state: the output keys and a plan per set of input keys (built on first use)."""
        self._fetch_keys = list(self._fetch_tensors)
        self._fetch_list = [self._fetch_tensors[k] for k in self._fetch_keys]
        self._plans: dict = {}
        self._direct: dict = {}  # input keys -> ((output key, slot), ...) where results are the slots' arrays

    @property
    def session(self):
        return self._session

    @property
    def feed_tensors(self) -> dict:
        return self._feed_tensors

    @property
    def fetch_tensors(self) -> dict:
        return self._fetch_tensors

    def _plan_for(self, keys):
        for key in keys:
            if key not in self._feed_tensors:
                raise ValueError(f"Unrecognized input key: {key}. Known input keys: {list(self._feed_tensors)}")
        plan = self._session._compile(self._fetch_list, tuple(self._feed_tensors[k] for k in keys), None)
        if plan.feed_components is not None:  # a SparseTensor input: fed through Session.run's general path
            plan = None
        self._direct[keys] = self._direct_outputs(plan)
        self._plans[keys] = plan
        return plan

    def _direct_outputs(self, plan):
        """((output key, slot), ...) when each output is its slot's value as `plan.results` returns it (a
        numpy array of rank >= 1, checked per call; one fetch per tensor, none copied or converted), else None."""
        tensors = self._fetch_list
        if (plan is None or len(set(tensors)) != len(tensors) or any(plan.copy_fetch)
                or any(t.op.type in FETCH_CONVERTERS for t in tensors)):
            return None
        slots = plan.fetch_slots
        if len(slots) != len(tensors) or min(slots, default=0) < 0:
            return None
        return tuple(zip(self._fetch_keys, slots))

    def __call__(self, input_dict) -> dict:
        keys = tuple(input_dict)
        try:
            plan = self._plans[keys]
        except KeyError:
            plan = self._plan_for(keys)
        if plan is None:
            return self._session.run(self._fetch_tensors, {self._feed_tensors[k]: v for k, v in input_dict.items()})
        slots = plan.execute(input_dict.values())
        direct = self._direct[keys]
        if direct is not None:  # the outputs as they stand, without building the fetch list and the dict twice
            out = {}
            for key, slot in direct:
                value = slots[slot]
                if value.__class__ is not np.ndarray or not value.ndim:
                    break  # a scalar, a device array, an untaken branch: Plan.results says what it is
                out[key] = value
            else:
                return out
        return dict(zip(self._fetch_keys, plan.results(slots)))

    def __repr__(self) -> str:
        return (f"{type(self).__name__} with feed tensors {list(self._feed_tensors)} and fetch_tensors "
                f"{list(self._fetch_tensors)}")


def _get_signature_def(signature_def_key, meta_graph_def):
    key = signature_def_key or signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY
    signatures = meta_graph_def.signature_def
    if key in signatures:
        return signatures[key]
    alternative = f"default_input_alternative:{key}"
    if alternative in signatures:
        _logger.warning('Could not find signature def "%s". Using "%s" instead', key, alternative)
        return signatures[alternative]
    raise ValueError(f'Got signature_def_key "{key}". Available signatures are {sorted(signatures)}. Original '
                     f"error:\nNo SignatureDef with key '{key}' found in MetaGraphDef.")


class SavedModelPredictor(Predictor):
    """A Predictor over a SavedModel loaded into its own graph and session."""

    def __init__(self, export_dir, signature_def_key=None, signature_def=None, input_names=None,
                 output_names=None, tags=None, graph=None, config=None):
        if signature_def_key is not None and signature_def is not None:
            raise ValueError("Cannot specify both signature_def_key and signature_def.")
        if (input_names is None) != (output_names is None):
            raise ValueError("input_names and output_names must both be specified or both be unspecified.")
        if input_names is not None and (signature_def_key is not None or signature_def is not None):
            raise ValueError("Cannot specify input_names and output_names together with a signature.")
        tags = tags or DEFAULT_TAGS
        tags = tags.split(",") if isinstance(tags, str) else list(tags)
        self._graph = graph or Graph()
        with self._graph.as_default():
            self._session = Session(config=config)
            meta_graph_def = loader.load(self._session, tags, export_dir)
            if input_names is None:
                if signature_def is None:
                    signature_def = _get_signature_def(signature_def_key, meta_graph_def)
                input_names = {k: v.name for k, v in signature_def.inputs.items()}
                output_names = {k: v.name for k, v in signature_def.outputs.items()}
            self._feed_tensors = {k: self._graph.get_tensor_by_name(v) for k, v in input_names.items()}
            self._fetch_tensors = {k: self._graph.get_tensor_by_name(v) for k, v in output_names.items()}
        self._graph.finalize()
        self._prepare()

    graph = property(lambda self: self._graph)


def from_saved_model(export_dir, signature_def_key=None, signature_def=None, input_names=None, output_names=None,
                     tags=None, graph=None, config=None) -> SavedModelPredictor:
    """A Predictor for the SavedModel at `export_dir` (signature `signature_def_key`, default serving_default)."""
    return SavedModelPredictor(export_dir, signature_def_key=signature_def_key, signature_def=signature_def,
                               input_names=input_names, output_names=output_names, tags=tags, graph=graph,
                               config=config)
