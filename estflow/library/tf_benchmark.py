"""`tf.test.Benchmark` and `tf.test.benchmark_config`: TF1's benchmark helpers.

`report_benchmark` records one `BenchmarkEntry` (TF's test_log.proto): it logs it, and writes
it to `$TEST_REPORT_FILE_PREFIX<name>` (the serialized `BenchmarkEntries`) when that variable
is set, else prints it, as TF's does. `run_op_benchmark` times `sess.run` of an op after some
burn-in runs and reports the median wall time.
"""

from __future__ import annotations

import inspect
import logging
import math
import numbers
import os
import time

from estflow.core.default_session import get_default_session
from estflow.core.protos import config_pb2, rewriter_config_pb2, test_log_pb2
from estflow.core.session import Session
from estflow.python.client import timeline

_logger = logging.getLogger("estflow")
TEST_REPORTER_TEST_ENV = "TEST_REPORT_FILE_PREFIX"
OVERRIDE_GLOBAL_THREADPOOL = "TF_OVERRIDE_GLOBAL_THREADPOOL"
GLOBAL_BENCHMARK_REGISTRY: set = set()


def _global_report_benchmark(name, iters=None, cpu_time=None, wall_time=None, throughput=None, extras=None,
                             metrics=None) -> None:
    _logger.info("Benchmark [%s] iters: %d, wall_time: %g, cpu_time: %g,throughput: %g, extras: %s, metrics: %s",
                 name, iters if iters is not None else -1, wall_time if wall_time is not None else -1,
                 cpu_time if cpu_time is not None else -1, throughput if throughput is not None else -1,
                 str(extras) if extras else "None", str(metrics) if metrics else "None")
    entries = test_log_pb2.BenchmarkEntries()
    entry = entries.entry.add()
    entry.name = name
    if iters is not None:
        entry.iters = iters
    if cpu_time is not None:
        entry.cpu_time = cpu_time
    if wall_time is not None:
        entry.wall_time = wall_time
    if throughput is not None:
        entry.throughput = throughput
    if extras is not None:
        if not isinstance(extras, dict):
            raise TypeError("extras must be a dict")
        for key, value in extras.items():
            if isinstance(value, numbers.Number):
                entry.extras[key].double_value = value
            else:
                entry.extras[key].string_value = str(value)
    if metrics is not None:
        if not isinstance(metrics, list):
            raise TypeError("metrics must be a list")
        for metric in metrics:
            if "name" not in metric:
                raise TypeError("metric must has a 'name' field")
            if "value" not in metric:
                raise TypeError("metric must has a 'value' field")
            metric_entry = entry.metrics.add()
            metric_entry.name = metric["name"]
            metric_entry.value = metric["value"]
            if "min_value" in metric:
                metric_entry.min_value.value = metric["min_value"]
            if "max_value" in metric:
                metric_entry.max_value.value = metric["max_value"]
    prefix = os.environ.get(TEST_REPORTER_TEST_ENV)
    if prefix is None:
        print(str(entries))
        return
    output_path = prefix + name.replace("/", "__")
    if os.path.exists(output_path):
        raise OSError(f"File already exists: {output_path}")
    with open(output_path, "wb") as f:
        f.write(entries.SerializeToString())


class _BenchmarkRegistrar(type):
    """Records every concrete benchmark class in GLOBAL_BENCHMARK_REGISTRY, as TF's registrar."""

    def __new__(mcs, clsname, bases, attrs):
        newclass = type.__new__(mcs, clsname, bases, attrs)
        if not newclass.is_abstract():
            GLOBAL_BENCHMARK_REGISTRY.add(newclass)
        return newclass


class _PlatformBenchmark(metaclass=_BenchmarkRegistrar):
    """TF's platform `Benchmark`: methods named benchmark* report results with `report_benchmark`."""

    @classmethod
    def is_abstract(cls) -> bool:
        return len(cls.mro()) <= 2

    def _get_name(self, overwrite_name=None) -> str:
        """`<Class>.<outermost benchmark method on the stack>` (or `<Class>.<overwrite_name>`)."""
        calling, method = None, None
        for frame in reversed(inspect.stack()):
            candidate = frame.frame.f_locals.get("self")
            if isinstance(candidate, _PlatformBenchmark):
                calling, method = candidate, frame.function
                break
        if calling is None:
            raise ValueError("Unable to determine calling Benchmark class.")
        return f"{type(calling).__name__}.{overwrite_name or method}"

    def report_benchmark(self, iters=None, cpu_time=None, wall_time=None, throughput=None, extras=None, name=None,
                         metrics=None) -> None:
        """Report one result (a BenchmarkEntry named after the calling benchmark method, or `name`)."""
        _global_report_benchmark(name=self._get_name(overwrite_name=name), iters=iters, cpu_time=cpu_time,
                                 wall_time=wall_time, throughput=throughput, extras=extras, metrics=metrics)


class Benchmark(_PlatformBenchmark):
    """Base class of TF benchmarks, as `tf.test.Benchmark`: `run_op_benchmark` times an op in a session.

        class MatMulBenchmark(tf.test.Benchmark):
            def benchmark_matmul(self):
                with tf.Session() as sess:
                    self.run_op_benchmark(sess, tf.matmul(a, b), min_iters=20)
    """

    def __init__(self):
        os.environ[OVERRIDE_GLOBAL_THREADPOOL] = "1"
        super().__init__()

    @classmethod
    def is_abstract(cls) -> bool:
        return len(cls.mro()) <= 3

    def run_op_benchmark(self, sess, op_or_tensor, feed_dict=None, burn_iters=2, min_iters=10, store_trace=False,
                         store_memory_usage=True, name=None, extras=None, mbs=0) -> dict:
        """Run `op_or_tensor` `burn_iters` times, then time `min_iters` runs and report their median; returns
        what was reported (with the mean and standard deviation, and the Chrome trace when `store_trace`)."""
        for _ in range(burn_iters):
            sess.run(op_or_tensor, feed_dict=feed_dict)
        deltas = []
        for _ in range(min_iters):
            start_time = time.time()
            sess.run(op_or_tensor, feed_dict=feed_dict)
            deltas.append(time.time() - start_time)
        extras = extras if extras is not None else {}
        unreported_extras = {}
        if store_trace or store_memory_usage:
            run_options = config_pb2.RunOptions(trace_level=config_pb2.RunOptions.FULL_TRACE)
            run_metadata = config_pb2.RunMetadata()
            sess.run(op_or_tensor, feed_dict=feed_dict, options=run_options, run_metadata=run_metadata)
            tl = timeline.Timeline(run_metadata.step_stats)
            if store_trace:
                unreported_extras["full_trace_chrome_format"] = tl.generate_chrome_trace_format()
            if store_memory_usage:
                for key, value in tl.analyze_step_stats(show_memory=True).allocator_maximums.items():
                    extras[f"allocator_maximum_num_bytes_{key}"] = value.num_bytes
        median_delta = _median(deltas)
        benchmark_values = {"iters": min_iters, "wall_time": median_delta, "extras": extras, "name": name,
                            "throughput": mbs / median_delta}
        self.report_benchmark(**benchmark_values)
        mean_delta, stdev_delta = _mean_and_stdev(deltas)
        unreported_extras["wall_time_mean"] = mean_delta
        unreported_extras["wall_time_stdev"] = stdev_delta
        benchmark_values["extras"].update(unreported_extras)
        return benchmark_values

    def evaluate(self, tensors):
        """The values of `tensors`, run in the default session (or a new one)."""
        sess = get_default_session()
        if sess is not None:
            return sess.run(tensors)
        with Session() as sess:
            return sess.run(tensors)


def _median(x: list) -> float:
    if not x:
        return -1
    s = sorted(x)
    return (s[len(x) // 2] + s[(len(x) - 1) // 2]) / 2.0


def _mean_and_stdev(x: list):
    if not x:
        return -1, -1
    mean = sum(x) / len(x)
    if len(x) == 1:
        return mean, -1
    return mean, math.sqrt(sum((e - mean) * (e - mean) for e in x) / (len(x) - 1))


def benchmark_config() -> config_pb2.ConfigProto:
    """A ConfigProto turning TF's dependency optimizer off, as `tf.test.benchmark_config` (estflow runs no
    graph rewrites; the setting is kept for code that reads or passes it on)."""
    config = config_pb2.ConfigProto()
    config.graph_options.rewrite_options.dependency_optimization = rewriter_config_pb2.RewriterConfig.OFF
    return config
