"""One served model version: a SavedModel's serving MetaGraphDef in its own graph and session.

Requests name a signature (default "serving_default") and its input/output aliases; the
servable checks them against the SignatureDef (aliases, dtypes, shapes) and runs the
session. Classify and regress serialize tf.Examples into the signature's one string input
and read classes/scores or the regression output back, as TensorFlow Serving's
classifier and regressor do. Requests in flight hold the servable (`acquire`/`release`),
so an unload waits for them before the session is closed.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import numpy as np

from estflow.core import dtypes as _dtypes
from estflow.core.graph import Graph
from estflow.core.graph_io import make_ndarray, make_tensor_proto
from estflow.core.protos import example_pb2
from estflow.core.session import Session
from estflow.model_server import errors
from estflow.model_server.protos import classification_pb2, regression_pb2
from estflow.serving import loader, signature_constants, tag_constants

DEFAULT_SIGNATURE = signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY
PREDICT_METHOD = signature_constants.PREDICT_METHOD_NAME
CLASSIFY_METHOD = signature_constants.CLASSIFY_METHOD_NAME
REGRESS_METHOD = signature_constants.REGRESS_METHOD_NAME
CLASSIFY_CLASSES = signature_constants.CLASSIFY_OUTPUT_CLASSES
CLASSIFY_SCORES = signature_constants.CLASSIFY_OUTPUT_SCORES
REGRESS_OUTPUTS = signature_constants.REGRESS_OUTPUTS


def _invalid(message: str) -> errors.ServingError:
    return errors.ServingError(errors.INVALID_ARGUMENT, message)


class _Input:
    __slots__ = ("alias", "tensor", "dtype", "dims")

    def __init__(self, alias, tensor, dtype, dims):
        self.alias, self.tensor, self.dtype, self.dims = alias, tensor, dtype, dims


class Signature:
    """A SignatureDef resolved against the servable's graph."""

    def __init__(self, graph: Graph, key: str, signature_def):
        self.key = key
        self.signature_def = signature_def
        self.method_name = signature_def.method_name
        self.inputs: dict[str, _Input] = {}
        for alias, info in signature_def.inputs.items():
            if info.WhichOneof("encoding") != "name":
                raise ValueError(f"signature {key!r} input {alias!r}: only dense tensors are served")
            shape = info.tensor_shape
            dims = None if shape.unknown_rank else tuple(d.size for d in shape.dim)
            self.inputs[alias] = _Input(alias, graph.get_tensor_by_name(info.name), _dtypes.as_dtype(info.dtype), dims)
        self.outputs = {}
        for alias, info in signature_def.outputs.items():
            if info.WhichOneof("encoding") != "name":
                raise ValueError(f"signature {key!r} output {alias!r}: only dense tensors are served")
            self.outputs[alias] = graph.get_tensor_by_name(info.name)
        self.input_dtypes = {alias: i.dtype for alias, i in self.inputs.items()}
        self.all_outputs = tuple(sorted(self.outputs))

    def check_inputs(self, feeds: dict) -> dict:
        """`feeds` ({alias: array}) checked against the signature: every input, right dtype and shape."""
        if feeds.keys() != self.inputs.keys():
            sent = set(feeds) - set(self.inputs)
            missing = set(self.inputs) - set(feeds)
            raise _invalid(f"input size does not match signature: {len(feeds)}!={len(self.inputs)} "
                           f"len({{{','.join(sorted(feeds))}}}) != len({{{','.join(sorted(self.inputs))}}}). "
                           f"Sent extra: {{{','.join(sorted(sent))}}}. Missing but required: "
                           f"{{{','.join(sorted(missing))}}}.")
        checked = {}
        for alias, arr in feeds.items():
            spec = self.inputs[alias]
            got = _dtypes.string if arr.dtype == object or arr.dtype.kind in "SU" else _dtypes.as_dtype(arr.dtype)
            if got != spec.dtype:
                raise _invalid(f"Expects arg {alias} ({spec.tensor.name}) to be {spec.dtype.name} but {got.name} is "
                               "provided")
            if spec.dims is not None:
                ok = len(spec.dims) == arr.ndim and all(d < 0 or d == s for d, s in zip(spec.dims, arr.shape))
                if not ok:
                    want = "[" + ",".join("?" if d < 0 else str(d) for d in spec.dims) + "]"
                    raise _invalid(f"input {alias} ({spec.tensor.name}) of shape {list(arr.shape)} is not compatible "
                                   f"with the signature's shape {want}")
            checked[alias] = arr
        return checked

    def fetch_aliases(self, output_filter) -> tuple:
        if not output_filter:
            return self.all_outputs
        seen = set()
        for alias in output_filter:
            if alias not in self.outputs:
                raise _invalid(f"output tensor alias not found in signature: {alias} Outputs expected to be in the "
                               f"set {{{','.join(sorted(self.outputs))}}}.")
            if alias in seen:
                raise _invalid(f"duplicate output tensor alias: {alias}")
            seen.add(alias)
        return tuple(output_filter)


def _merged(example, context):
    if context is None:
        return example.SerializeToString()
    merged = example_pb2.Example()
    merged.CopyFrom(context)
    merged.MergeFrom(example)  # the example's own features win over the context's
    return merged.SerializeToString()


def serialized_examples(inp) -> np.ndarray:
    """An Input proto's examples as a [n] string array, each merged with the context when there is one."""
    kind = inp.WhichOneof("kind")
    if kind == "example_list":
        examples, context = inp.example_list.examples, None
    elif kind == "example_list_with_context":
        examples, context = inp.example_list_with_context.examples, inp.example_list_with_context.context
    else:
        raise _invalid("Input is empty")
    if not examples:
        raise _invalid("Input is empty")
    out = np.empty(len(examples), dtype=object)
    out[:] = [_merged(e, context) for e in examples]
    return out


class Servable:
    """A loaded version: `graph`, `session`, `meta_graph_def` and its resolved signatures."""

    def __init__(self, name: str, version: int, graph: Graph, session: Session, meta_graph_def, path: str = ""):
        self.name = name
        self.version = int(version)
        self.path = path
        self.graph = graph
        self.session = session
        self.meta_graph_def = meta_graph_def
        self.signatures = {key: Signature(graph, key, sig) for key, sig in meta_graph_def.signature_def.items()}
        self._fetch_cache: dict = {}
        self.recent_run_seconds: float | None = None  # a moving average of run_direct's time; None: never run
        self._batcher = None
        self._executor = None
        self._inflight = 0
        self._cv = threading.Condition()
        self._closed = False

    @classmethod
    def load(cls, name: str, version: int, path: str, tags=(tag_constants.SERVING,)) -> Servable:
        """Load the SavedModel at `path` (its MetaGraphDef with `tags`) into a fresh graph and session."""
        graph = Graph()
        session = Session(graph=graph)
        try:
            with graph.as_default():
                meta_graph_def = loader.load(session, list(tags), path)
            return cls(name, version, graph, session, meta_graph_def, path)
        except BaseException:
            session.close()
            raise

    # ---- batching and in-flight accounting -----------------------------------------------------------

    def set_batcher(self, batcher) -> None:
        self._batcher = batcher

    @property
    def batching(self) -> bool:
        return self._batcher is not None

    def acquire(self) -> bool:
        with self._cv:
            if self._closed:
                return False
            self._inflight += 1
            return True

    def release(self) -> None:
        with self._cv:
            self._inflight -= 1
            if self._inflight == 0:
                self._cv.notify_all()

    def close(self) -> None:
        """Wait for requests in flight, then stop the batcher and close the session."""
        with self._cv:
            self._closed = True
            while self._inflight:
                self._cv.wait()
        if self._batcher is not None:
            self._batcher.stop()
        self.session.close()

    # ---- running signatures ----------------------------------------------------------------------------

    def signature(self, signature_name: str) -> Signature:
        key = signature_name or DEFAULT_SIGNATURE
        sig = self.signatures.get(key)
        if sig is None:
            raise _invalid(f'Serving signature name: "{key}" not found in signature def')
        return sig

    def run_direct(self, signature_key: str, feeds: dict, fetch_aliases: tuple) -> dict:
        """One Session.run of the signature: {alias: array} in, {alias: array} out."""
        sig = self.signatures[signature_key]
        fetches = self._fetch_cache.get((signature_key, fetch_aliases))
        if fetches is None:
            fetches = [sig.outputs[a] for a in fetch_aliases]
            self._fetch_cache[(signature_key, fetch_aliases)] = fetches
        feed_dict = {sig.inputs[alias].tensor: arr for alias, arr in feeds.items()}
        start = time.perf_counter()
        try:
            values = self.session.run(fetches, feed_dict=feed_dict)
        except BaseException as e:  # noqa: BLE001 - reported with its TF error code
            raise errors.from_exception(e) from None
        took = time.perf_counter() - start
        last = self.recent_run_seconds
        self.recent_run_seconds = took if last is None else 0.8 * last + 0.2 * took
        return dict(zip(fetch_aliases, (np.asarray(v) for v in values)))

    def submit(self, signature_key: str, feeds: dict, fetch_aliases: tuple, executor=None) -> Future:
        """Run through the batcher when batching, else on `executor` (or here): a Future of {alias: array}."""
        if self._batcher is not None:
            return self._batcher.submit(signature_key, feeds, fetch_aliases)
        if executor is not None:
            return executor.submit(self.run_direct, signature_key, feeds, fetch_aliases)
        future: Future = Future()
        try:
            future.set_result(self.run_direct(signature_key, feeds, fetch_aliases))
        except errors.ServingError as e:
            future.set_exception(e)
        return future

    def run(self, signature_key: str, feeds: dict, fetch_aliases: tuple) -> dict:
        return self.submit(signature_key, feeds, fetch_aliases).result()

    # ---- predict / classify / regress ------------------------------------------------------------------

    def prepare_predict(self, signature_name: str, feeds: dict, output_filter=()):
        """(signature, checked feeds, fetch aliases) for a predict request."""
        sig = self.signature(signature_name)
        return sig, sig.check_inputs(feeds), sig.fetch_aliases(output_filter)

    def predict_proto(self, request):
        """A PredictRequest's inputs as arrays, checked: (signature, feeds, fetch aliases)."""
        feeds = {}
        for alias, proto in request.inputs.items():
            try:
                feeds[alias] = make_ndarray(proto)
            except Exception as e:  # noqa: BLE001 - a malformed TensorProto is the client's error
                raise _invalid(f"input {alias}: {e}") from None
        return self.prepare_predict(request.model_spec.signature_name, feeds, list(request.output_filter))

    def prepare_examples(self, signature_name: str, inp, method: str):
        """(signature, feeds, fetch aliases) for classify (method CLASSIFY_METHOD) or regress."""
        sig = self.signature(signature_name)
        kind = "classification" if method == CLASSIFY_METHOD else "regression"
        if sig.method_name != method:
            raise _invalid(f"Expected {kind} signature method_name to be {method}. Was: {sig.method_name}")
        if len(sig.inputs) != 1:
            raise _invalid(f"Expected one input Tensor for the {kind} signature, found {len(sig.inputs)}.")
        (alias, spec), = sig.inputs.items()
        if spec.dtype != _dtypes.string:
            raise _invalid(f"Expected the {kind} signature's input to be a string tensor, found {spec.dtype.name}.")
        feeds = {alias: serialized_examples(inp)}
        if method == CLASSIFY_METHOD:
            fetches = tuple(a for a in (CLASSIFY_CLASSES, CLASSIFY_SCORES) if a in sig.outputs)
            if not fetches:
                raise _invalid(f"Expected classification signature outputs to contain at least one of "
                               f"{CLASSIFY_CLASSES} and {CLASSIFY_SCORES}.")
        else:
            if REGRESS_OUTPUTS not in sig.outputs:
                raise _invalid(f"No output tensor named {REGRESS_OUTPUTS} in the regression signature.")
            fetches = (REGRESS_OUTPUTS,)
        return sig, feeds, fetches

    @staticmethod
    def classification_result(outputs: dict, n: int) -> classification_pb2.ClassificationResult:
        classes = outputs.get(CLASSIFY_CLASSES)
        scores = outputs.get(CLASSIFY_SCORES)
        for name, arr in ((CLASSIFY_CLASSES, classes), (CLASSIFY_SCORES, scores)):
            if arr is not None and (arr.ndim != 2 or arr.shape[0] != n):
                raise _invalid(f"Expected Tensor shape: [{n} num_classes] but got {list(arr.shape)} for output "
                               f"{name}")
        if classes is not None and scores is not None and classes.shape != scores.shape:
            raise _invalid(f"Tensors class and score should match in shape, got {list(classes.shape)} and "
                           f"{list(scores.shape)}")
        if classes is not None and not (classes.dtype == object or classes.dtype.kind in "SU"):
            raise _invalid("Expected classes Tensor of DT_STRING.")
        if scores is not None and scores.dtype.kind != "f":
            raise _invalid("Expected scores Tensor of DT_FLOAT.")
        result = classification_pb2.ClassificationResult()
        k = (classes if classes is not None else scores).shape[1]
        for i in range(n):
            cls = result.classifications.add()
            for j in range(k):
                c = cls.classes.add()
                if classes is not None:
                    label = classes[i, j]
                    c.label = label.decode("utf-8", errors="replace") if isinstance(label, bytes) else str(label)
                if scores is not None:
                    c.score = float(scores[i, j])
        return result

    @staticmethod
    def regression_result(outputs: dict, n: int) -> regression_pb2.RegressionResult:
        values = outputs[REGRESS_OUTPUTS]
        if not (values.shape == (n,) or values.shape == (n, 1)):
            raise _invalid(f"Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got "
                           f"{list(values.shape)}")
        if values.dtype.kind != "f":
            raise _invalid("Expected output Tensor of DT_FLOAT.")
        result = regression_pb2.RegressionResult()
        for v in values.reshape(-1):
            result.regressions.add().value = float(v)
        return result

    def outputs_to_protos(self, outputs: dict) -> dict:
        return {alias: make_tensor_proto(arr) for alias, arr in outputs.items()}
