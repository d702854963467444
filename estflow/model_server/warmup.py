"""SavedModel warmup, as TensorFlow Serving's: replay `assets.extra/tf_serving_warmup_requests`.

The file is a TFRecord of PredictionLog protos; each classify, regress, predict or
multi-inference request in it is run once against the freshly loaded version before it
takes traffic. A request that fails fails the load (the version is reported with the
error and never served). At most 1000 records are read, as TF Serving.
"""

from __future__ import annotations

import os

from estflow.core.record_io import read_records
from estflow.model_server import errors, service
from estflow.model_server.protos import prediction_log_pb2

WARMUP_FILENAME = "tf_serving_warmup_requests"
ASSETS_EXTRA = "assets.extra"
MAX_WARMUP_RECORDS = 1000


def warmup_path(export_dir: str) -> str:
    return os.path.join(export_dir, ASSETS_EXTRA, WARMUP_FILENAME)


def run_warmup(servable, export_dir: str) -> int:
    """Replay the warmup requests of `export_dir` on `servable`; the number of requests run."""
    path = warmup_path(export_dir)
    if not os.path.exists(path):
        return 0
    count = 0
    for record in read_records(path):
        if count >= MAX_WARMUP_RECORDS:
            raise errors.ServingError(errors.INVALID_ARGUMENT, f"Number of warmup records exceeds the maximum "
                                                               f"({MAX_WARMUP_RECORDS}) at {path}")
        log = prediction_log_pb2.PredictionLog()
        log.ParseFromString(record)
        kind = log.WhichOneof("log_type")
        if kind == "predict_log":
            service.predict_on(servable, log.predict_log.request)
        elif kind == "classify_log":
            service.classify_on(servable, log.classify_log.request)
        elif kind == "regress_log":
            service.regress_on(servable, log.regress_log.request)
        elif kind == "multi_inference_log":
            service.multi_inference_on(servable, log.multi_inference_log.request)
        else:
            raise errors.ServingError(errors.UNIMPLEMENTED, f"Unsupported log_type for warmup: {kind}")
        count += 1
    return count
