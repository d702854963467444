"""Request metrics in TensorFlow Serving's names, exported with prometheus_client.

`:tensorflow:serving:request_count{model_name, status}` counts requests by outcome
("OK" or the error code's name) and `:tensorflow:serving:request_latency{model_name, API,
entrypoint}` is a histogram of request latencies in microseconds with TF Serving's
buckets (10 us x 1.8^i, 33 of them); API is "predict", "classify", "regress",
"multi_inference", "get_model_metadata" or "get_model_status" and entrypoint "REST" or
"GRPC". Each server has its own registry; `/monitoring/prometheus/metrics` (TF Serving's
default path, enabled by `--monitoring_config_file`) serves it in the text format.
"""

from __future__ import annotations

import bisect
import threading

from google.protobuf import text_format
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric

from estflow.model_server.protos import monitoring_config_pb2

DEFAULT_PATH = "/monitoring/prometheus/metrics"
REQUEST_COUNT = ":tensorflow:serving:request_count"
REQUEST_LATENCY = ":tensorflow:serving:request_latency"
LATENCY_BUCKETS_US = [10.0 * 1.8 ** i for i in range(33)]
CONTENT_TYPE = CONTENT_TYPE_LATEST


def parse_monitoring_config(text: str) -> monitoring_config_pb2.MonitoringConfig:
    config = monitoring_config_pb2.MonitoringConfig()
    text_format.Parse(text, config)
    return config


class _Histogram:
    __slots__ = ("counts", "sum", "count")

    def __init__(self):
        self.counts = [0] * (len(LATENCY_BUCKETS_US) + 1)
        self.sum = 0.0
        self.count = 0


class ServingMetrics:
    """Thread-safe request counters and latency histograms, and their Prometheus page."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}
        self._latency: dict[tuple[str, str, str], _Histogram] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def record(self, model_name: str, api: str, entrypoint: str, status: str, seconds: float) -> None:
        micros = seconds * 1e6
        with self._lock:
            key = (model_name, status)
            self._counts[key] = self._counts.get(key, 0) + 1
            hist = self._latency.get((model_name, api, entrypoint))
            if hist is None:
                hist = self._latency[(model_name, api, entrypoint)] = _Histogram()
            hist.counts[bisect.bisect_left(LATENCY_BUCKETS_US, micros)] += 1
            hist.sum += micros
            hist.count += 1

    def request_count(self, model_name: str, status: str = "OK") -> int:
        with self._lock:
            return self._counts.get((model_name, status), 0)

    def collect(self):
        with self._lock:
            counts = dict(self._counts)
            latency = {k: (list(h.counts), h.sum, h.count) for k, h in self._latency.items()}
        count = Metric(REQUEST_COUNT, "The total number of requests.", "counter")
        for (model, status), value in sorted(counts.items()):
            count.add_sample(REQUEST_COUNT, {"model_name": model, "status": status}, value)
        yield count
        hist = Metric(REQUEST_LATENCY, "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
                      "histogram")
        for (model, api, entry), (buckets, total, n) in sorted(latency.items()):
            labels = {"model_name": model, "API": api, "entrypoint": entry}
            cumulative = 0
            for bound, c in zip(LATENCY_BUCKETS_US + [float("inf")], buckets):
                cumulative += c
                le = "+Inf" if bound == float("inf") else repr(bound)
                hist.add_sample(REQUEST_LATENCY + "_bucket", {**labels, "le": le}, cumulative)
            hist.add_sample(REQUEST_LATENCY + "_sum", labels, total)
            hist.add_sample(REQUEST_LATENCY + "_count", labels, n)
        yield hist

    def page(self) -> bytes:
        return generate_latest(self.registry)
