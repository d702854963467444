"""tf.test.Benchmark (report_benchmark, run_op_benchmark) and tf.test.benchmark_config."""

import pytest

import estflow as tf
from estflow.core.protos import test_log_pb2
from estflow.library import tf_benchmark


class AddBenchmark(tf.test.Benchmark):
    def benchmark_add(self, sess, op):
        return self.run_op_benchmark(sess, op, burn_iters=1, min_iters=3, store_trace=True, mbs=2)

    def benchmark_report(self):
        self.report_benchmark(iters=5, wall_time=0.5, extras={"batch": 32, "note": "x"},
                              metrics=[{"name": "accuracy", "value": 0.9, "min_value": 0.8}])


def test_concrete_benchmarks_are_registered():
    assert AddBenchmark in tf_benchmark.GLOBAL_BENCHMARK_REGISTRY
    assert tf.test.Benchmark not in tf_benchmark.GLOBAL_BENCHMARK_REGISTRY and tf.test.Benchmark.is_abstract()


def test_run_op_benchmark_times_the_op_and_writes_an_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_REPORT_FILE_PREFIX", str(tmp_path) + "/")
    with tf.Graph().as_default(), tf.Session() as sess:
        op = tf.add(tf.constant(1.0), 2.0)
        result = AddBenchmark().benchmark_add(sess, op)
    assert result["iters"] == 3 and result["wall_time"] > 0 and result["name"] is None
    assert result["throughput"] == 2 / result["wall_time"]
    assert {"wall_time_mean", "wall_time_stdev", "full_trace_chrome_format"} <= set(result["extras"])
    entries = test_log_pb2.BenchmarkEntries.FromString((tmp_path / "AddBenchmark.benchmark_add").read_bytes())
    (entry,) = entries.entry
    assert entry.name == "AddBenchmark.benchmark_add" and entry.iters == 3 and entry.wall_time == result["wall_time"]
    assert "full_trace_chrome_format" not in entry.extras
    with tf.Graph().as_default(), tf.Session() as sess, pytest.raises(OSError, match="File already exists"):
        AddBenchmark().benchmark_add(sess, tf.constant(1.0))


def test_report_benchmark_prints_without_a_report_prefix(capsys, monkeypatch):
    monkeypatch.delenv("TEST_REPORT_FILE_PREFIX", raising=False)
    AddBenchmark().benchmark_report()
    out = capsys.readouterr().out
    assert 'name: "AddBenchmark.benchmark_report"' in out and "iters: 5" in out and "double_value: 32" in out
    assert 'string_value: "x"' in out and "min_value" in out
    with pytest.raises(ValueError, match="Unable to determine calling Benchmark class"):
        tf_benchmark._PlatformBenchmark._get_name(object())  # called from no benchmark method
    with pytest.raises(TypeError, match="extras must be a dict"):
        AddBenchmark().report_benchmark(extras=[1])


def test_evaluate_and_benchmark_config():
    with tf.Graph().as_default():
        assert AddBenchmark().evaluate(tf.constant(3)) == 3
    config = tf.test.benchmark_config()
    assert isinstance(config, tf.ConfigProto)
    assert config.graph_options.rewrite_options.dependency_optimization == 2  # RewriterConfig.OFF
    assert tf.ConfigProto.FromString(config.SerializeToString()) == config
