"""`tf.contrib.predictor.from_estimator`: an Estimator's serving graph as a Predictor, from its latest checkpoint."""

from __future__ import annotations

from estflow.core.graph import Graph
from estflow.estimators import export as export_lib
from estflow.estimators.mode_keys import ModeKeys
from estflow.hooks.monitored_session import ChiefSessionCreator, Scaffold
from estflow.serving import signature_constants
from estflow.serving.predictor import Predictor


class CoreEstimatorPredictor(Predictor):
    """Builds the model in PREDICT mode on the receiver's tensors and restores the latest checkpoint."""

    def __init__(self, estimator, serving_input_receiver_fn, output_key=None, graph=None, config=None):
        self._graph = graph or Graph()
        with self._graph.as_default():
            receiver = serving_input_receiver_fn()
            spec = estimator.model_fn(receiver.features, None, ModeKeys.PREDICT, estimator.config)
            export_outputs = export_lib.get_export_outputs(spec.export_outputs, spec.predictions)
            output_key = output_key or signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY
            export_output = export_outputs.get(output_key)
            if export_output is None:
                raise KeyError(f"output_key must be one of {sorted(export_outputs)}; got {output_key}")
            signature_def = export_output.as_signature_def(receiver.receiver_tensors)
            scaffold = Scaffold(saver=spec.scaffold.saver, local_init_op=spec.scaffold.local_init_op)
            self._session = ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=estimator.model_dir,
                                                config=config).create_session()
            self._feed_tensors = {k: self._graph.get_tensor_by_name(v.name) for k, v in signature_def.inputs.items()}
            self._fetch_tensors = {k: self._graph.get_tensor_by_name(v.name)
                                   for k, v in signature_def.outputs.items()}
        self._prepare()


def from_estimator(estimator, serving_input_receiver_fn, output_key=None, graph=None, config=None):
    """A Predictor of `estimator`'s export output `output_key` (default serving_default), fed as the receiver's."""
    return CoreEstimatorPredictor(estimator, serving_input_receiver_fn, output_key=output_key, graph=graph,
                                  config=config)
