"""The model server: options (TensorFlow Serving's flags), start and graceful stop, `main(argv)`.

    python -m estflow.model_server --model_name=NAME --model_base_path=/models/NAME \\
        --port=8500 --rest_api_port=8501

serves the SavedModel versions under the base path over gRPC on `--port` and REST on
`--rest_api_port` (0: no REST server, as TF Serving). `--model_config_file` serves the
models of a ModelServerConfig text proto instead. The server opens its ports once the
initial versions have finished loading, and on SIGTERM/SIGINT (or `stop()`) stops taking
connections, finishes the requests in flight, then unloads every version.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from estflow.model_server import metrics as _metrics
from estflow.model_server.batching import Batcher, BatchingOptions
from estflow.model_server.manager import ServableManager, parse_model_server_config, single_model_config
from estflow.model_server.service import ServingCore

_log = logging.getLogger("estflow.model_server")


def _cpus() -> int:
    return os.cpu_count() or 1


_blas_lock = threading.Lock()
_blas_users = 0  # started servers in this process
_blas_limiter = None  # threadpoolctl's limiter while _blas_users > 0


def _limit_blas_threads(threads: int) -> bool:
    """Cap the BLAS library's threads per call (TF Serving's `--tensorflow_intra_op_parallelism`).

    The server runs requests in parallel on its thread pools (TF Serving's inter-op parallelism);
    OpenBLAS's own threads on top of that oversubscribe the cores, and concurrent matmuls from
    several request threads then spin on each other: an image-sized MLP served 280 single-row
    requests/s from 8 threads with OpenBLAS's default threading and 7,100 with one BLAS thread
    per call on 2 cores. 0 (the default) means one thread per call. BLAS has no per-thread
    setting, so the limit is process-wide: set by the first server started in the process (a
    later one sets its own value) and lifted when the last one stops (`_release_blas_threads`).
    Returns whether this server took part (False where threadpoolctl, from the `serving` extra, is absent).
    """
    global _blas_users, _blas_limiter
    try:
        import threadpoolctl  # optional (the `serving` extra): only the server limits BLAS threads
    except ImportError:
        _log.warning("threadpoolctl is not installed: BLAS keeps its default threads, which oversubscribe the "
                     "cores under concurrent requests; pip install 'estflow[serving]'")
        return False
    with _blas_lock:
        if _blas_limiter is None:
            _blas_limiter = threadpoolctl.ThreadpoolController()
            _blas_limiter = _blas_limiter.limit(limits=threads or 1, user_api="blas")
        else:
            threadpoolctl.threadpool_limits(limits=threads or 1, user_api="blas")
        _blas_users += 1
    return True


def _release_blas_threads() -> None:
    global _blas_users, _blas_limiter
    with _blas_lock:
        _blas_users -= 1
        if _blas_users == 0 and _blas_limiter is not None:
            _blas_limiter.restore_original_limits()
            _blas_limiter = None


@dataclass
class ServerOptions:
    """TF Serving's model server flags. `rest_api_port=None` disables REST; 0 picks a free port (gRPC too)."""

    port: int = 8500
    rest_api_port: int | None = None
    model_name: str = "default"
    model_base_path: str = ""
    model_config_file: str = ""
    model_config_file_poll_wait_seconds: int = 0
    file_system_poll_wait_seconds: float = 1.0
    enable_batching: bool = False
    batching_parameters_file: str = ""
    rest_api_num_threads: int = 0  # 0: 4 x the number of CPUs, as TF Serving
    rest_api_timeout_in_ms: int = 30000
    grpc_max_threads: int = 0  # 0: 4 x the number of CPUs
    tensorflow_intra_op_parallelism: int = 0  # BLAS threads per session run; 0: one (see _limit_blas_threads)
    monitoring_config_file: str = ""
    enable_model_warmup: bool = True
    num_load_threads: int = 0  # 0: 2 loader threads
    max_num_load_retries: int = 5
    load_retry_interval_micros: int = 60_000_000
    grpc_socket_path: str = ""  # also serve gRPC on this UNIX socket
    host: str = "0.0.0.0"
    max_request_bytes: int = 64 << 20  # REST bodies and gRPC messages, larger ones are refused
    shutdown_grace_seconds: float = 30.0

    def model_server_config(self):
        if self.model_config_file:
            with open(self.model_config_file) as f:
                return parse_model_server_config(f.read())
        if not self.model_base_path:
            raise ValueError("Both server_options.model_base_path and server_options.model_config_file are empty!")
        return single_model_config(self.model_name, self.model_base_path)

    def batching_options(self) -> BatchingOptions | None:
        if not self.enable_batching:
            return None
        if not self.batching_parameters_file:
            return BatchingOptions()
        with open(self.batching_parameters_file) as f:
            return BatchingOptions.from_text(f.read())

    def metrics_path(self) -> str | None:
        if not self.monitoring_config_file:
            return None
        with open(self.monitoring_config_file) as f:
            config = _metrics.parse_monitoring_config(f.read())
        if not config.prometheus_config.enable:
            return None
        return config.prometheus_config.path or _metrics.DEFAULT_PATH


class ModelServer:
    """gRPC and REST over one ServableManager. `start()`, then `grpc_port` / `rest_api_port`; `stop()`."""

    def __init__(self, options: ServerOptions, loader=None):
        self.options = options
        self._loader = loader
        self.manager: ServableManager | None = None
        self.metrics = _metrics.ServingMetrics()
        self.grpc_port: int | None = None
        self.rest_api_port: int | None = None
        self._grpc = None
        self._uvicorn = None
        self._rest_thread: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._stopped = threading.Event()
        self._blas_limited = False

    def start(self, load_timeout: float | None = None) -> ModelServer:
        opts = self.options
        batching = opts.batching_options()
        metrics_path = opts.metrics_path()
        batcher_factory = None
        if batching is not None:
            def batcher_factory(servable):
                return Batcher(servable.run_direct, batching, name=f"batch-{servable.name}-{servable.version}")
        self.manager = ServableManager(opts.model_server_config(), poll_wait_seconds=opts.file_system_poll_wait_seconds,
                                       loader=self._loader, batcher_factory=batcher_factory,
                                       num_load_threads=opts.num_load_threads or 2,
                                       enable_warmup=opts.enable_model_warmup,
                                       max_num_load_retries=opts.max_num_load_retries,
                                       load_retry_interval_seconds=opts.load_retry_interval_micros / 1e6)
        self.manager.wait_until_idle(load_timeout)  # TF Serving opens its ports after the initial loads
        self.manager.start()
        threads = opts.rest_api_num_threads or 4 * _cpus()
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rest-api")
        core = ServingCore(self.manager)
        self._blas_limited = _limit_blas_threads(opts.tensorflow_intra_op_parallelism)
        try:
            self._start_grpc(core)
            if opts.rest_api_port is not None:
                self._start_rest(core, metrics_path)
        except BaseException:
            self.stop(grace=0)  # a port that cannot be bound: nothing is left running
            raise
        return self

    def _start_grpc(self, core) -> None:
        # grpc (and the services built on it) load when a server starts, not on `import estflow.model_server`
        import grpc

        from estflow.model_server.grpc_service import add_services  # grpc-based, see above

        opts = self.options
        workers = opts.grpc_max_threads or 4 * _cpus()
        self._grpc = grpc.server(ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"),
                                 options=[("grpc.max_receive_message_length", opts.max_request_bytes),
                                          ("grpc.max_send_message_length", -1),
                                          ("grpc.so_reuseport", 0)])
        add_services(self._grpc, core, self.metrics)
        port = self._grpc.add_insecure_port(f"{opts.host}:{opts.port}")
        if not port:
            raise OSError(f"could not bind the gRPC server to {opts.host}:{opts.port}")
        if opts.grpc_socket_path and not self._grpc.add_insecure_port(f"unix:{opts.grpc_socket_path}"):
            raise OSError(f"could not bind the gRPC server to unix:{opts.grpc_socket_path}")
        self._grpc.start()
        self.grpc_port = port
        _log.info("Running gRPC ModelServer at %s:%d ...", opts.host, port)

    def _start_rest(self, core, metrics_path) -> None:
        # uvicorn loads when a REST server starts, not on `import estflow.model_server`
        import uvicorn

        from estflow.model_server.rest import RestApp  # needed only with uvicorn, see above

        opts = self.options
        app = RestApp(core, executor=self._executor, max_request_bytes=opts.max_request_bytes,
                      timeout_s=opts.rest_api_timeout_in_ms / 1000 if opts.rest_api_timeout_in_ms > 0 else None,
                      metrics=self.metrics, metrics_path=metrics_path)
        sock = socket.create_server((opts.host, opts.rest_api_port), reuse_port=False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rest_api_port = sock.getsockname()[1]
        config = uvicorn.Config(app, loop="auto", http="auto", lifespan="off", log_level="warning",
                                access_log=False, timeout_graceful_shutdown=opts.shutdown_grace_seconds,
                                server_header=False, date_header=False)
        self._uvicorn = uvicorn.Server(config)
        started = threading.Event()
        failure = []

        def run():
            try:
                self._uvicorn.run(sockets=[sock])
            except BaseException as e:  # noqa: BLE001 - reported to start()
                failure.append(e)
            finally:
                started.set()
                sock.close()

        self._rest_thread = threading.Thread(target=run, name="rest-api-server", daemon=True)
        self._rest_thread.start()
        while not started.wait(0.01):
            if self._uvicorn.started:
                break
        if failure:
            raise failure[0]
        _log.info("Exporting HTTP/REST API at:%s:%d ...", opts.host, self.rest_api_port)

    def stop(self, grace: float | None = None) -> None:
        """Stop taking connections, finish requests in flight, unload every version."""
        if self._stopped.is_set():
            return
        grace = self.options.shutdown_grace_seconds if grace is None else grace
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._grpc is not None:
            self._grpc.stop(grace).wait()
        if self._rest_thread is not None:
            self._rest_thread.join()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self.manager is not None:
            self.manager.stop()
        if self._blas_limited:
            _release_blas_threads()
            self._blas_limited = False
        self._stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until `stop()` has finished; False on timeout."""
        return self._stopped.wait(timeout)

    def __enter__(self):
        return self.start() if self.manager is None else self

    def __exit__(self, *exc):
        self.stop()


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "t", "yes", "y"):
        return True
    if value in ("0", "false", "f", "no", "n"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {text!r}")


def build_parser() -> argparse.ArgumentParser:
    """TF Serving's flags (`--flag=value` or `--flag value`; booleans also bare), with its defaults."""
    p = argparse.ArgumentParser(prog="python -m estflow.model_server",
                                description="Serve SavedModels over TensorFlow Serving's gRPC and REST APIs.")
    add = p.add_argument
    add("--port", type=int, default=8500, help="Port to listen on for gRPC API")
    add("--rest_api_port", type=int, default=0,
        help="Port to listen on for HTTP/REST API. If set to zero HTTP/REST API will not be exported.")
    add("--rest_api_num_threads", type=int, default=4 * _cpus(), help="Number of threads for HTTP/REST API processing.")
    add("--rest_api_timeout_in_ms", type=int, default=30000, help="Timeout for HTTP/REST API calls.")
    add("--enable_batching", type=_bool, nargs="?", const=True, default=False, help="enable batching")
    add("--batching_parameters_file", default="", help="Text proto of BatchingParameters")
    add("--model_config_file", default="", help="Text proto of ModelServerConfig; overrides --model_name/_base_path")
    add("--model_config_file_poll_wait_seconds", type=int, default=0,
        help="Seconds between re-reads of --model_config_file (0: read once)")
    add("--model_name", default="default", help="name of model (ignored if --model_config_file is set)")
    add("--model_base_path", default="", help="path to export (ignored if --model_config_file is set)")
    add("--file_system_poll_wait_seconds", type=int, default=1,
        help="Interval in seconds between each poll of the filesystem for new model versions.")
    add("--monitoring_config_file", default="", help="Text proto of MonitoringConfig (Prometheus export)")
    add("--enable_model_warmup", type=_bool, nargs="?", const=True, default=True,
        help="Replay assets.extra/tf_serving_warmup_requests before serving a version")
    add("--tensorflow_intra_op_parallelism", type=int, default=0,
        help="Number of threads to use to parallelize the execution of an individual op (here: BLAS threads "
             "per session run). 0: one, as requests already run in parallel.")
    add("--grpc_max_threads", type=int, default=4 * _cpus(), help="Max gRPC server threads")
    add("--num_load_threads", type=int, default=0, help="Threads loading versions (0: 2)")
    add("--max_num_load_retries", type=int, default=5,
        help="maximum number of times it retries loading a model after the first failure")
    add("--load_retry_interval_micros", type=int, default=60_000_000,
        help="The interval, in microseconds, between each servable load retry.")
    add("--grpc_socket_path", default="", help="If non-empty, listen to a UNIX socket for gRPC API on the given path.")
    add("--host", default="0.0.0.0", help="Address both servers bind (estflow)")
    add("--max_request_bytes", type=int, default=64 << 20, help="Largest REST body / gRPC message accepted (estflow)")
    return p


def options_from_argv(argv=None) -> ServerOptions:
    ns = build_parser().parse_args(argv)
    return ServerOptions(
        port=ns.port, rest_api_port=ns.rest_api_port or None, model_name=ns.model_name,
        model_base_path=ns.model_base_path, model_config_file=ns.model_config_file,
        model_config_file_poll_wait_seconds=ns.model_config_file_poll_wait_seconds,
        file_system_poll_wait_seconds=ns.file_system_poll_wait_seconds, enable_batching=ns.enable_batching,
        batching_parameters_file=ns.batching_parameters_file, rest_api_num_threads=ns.rest_api_num_threads,
        rest_api_timeout_in_ms=ns.rest_api_timeout_in_ms, grpc_max_threads=ns.grpc_max_threads,
        monitoring_config_file=ns.monitoring_config_file, enable_model_warmup=ns.enable_model_warmup,
        num_load_threads=ns.num_load_threads, host=ns.host, max_request_bytes=ns.max_request_bytes,
        max_num_load_retries=ns.max_num_load_retries, load_retry_interval_micros=ns.load_retry_interval_micros,
        grpc_socket_path=ns.grpc_socket_path, tensorflow_intra_op_parallelism=ns.tensorflow_intra_op_parallelism)


def serve(options: ServerOptions, ready=None, stop: threading.Event | None = None) -> int:
    """Run a server until SIGTERM / SIGINT (or `stop` is set); `ready(server)` is called once its ports are open.

    With `--model_config_file_poll_wait_seconds` > 0 the config file is read again that often and the
    models it lists are served (added, dropped, policies and labels changed), as TF Serving.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():  # before the ports open: a SIGTERM is never lost
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    server = ModelServer(options).start()
    if ready is not None:
        ready(server)
    reload_wait = options.model_config_file_poll_wait_seconds
    while not stop.wait(reload_wait if options.model_config_file and reload_wait > 0 else 3600):
        if options.model_config_file and reload_wait > 0:
            try:
                server.manager.reload_config(options.model_server_config())
            except Exception:  # noqa: BLE001 - a bad edit of the config file keeps the models served
                _log.exception("Reloading %s failed", options.model_config_file)
    server.stop()
    return 0


def main(argv=None) -> int:
    """`python -m estflow.model_server [flags]` (argv without the program name)."""
    return serve(options_from_argv(argv))
