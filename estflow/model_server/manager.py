"""The servable manager: which versions of which models are served, loaded in the background.

Each model's base path holds numbered version folders (numbers or timestamps). Its
`model_version_policy` (latest N, the default latest 1; all; specific versions) picks the
aspired versions; a poll every `file_system_poll_wait_seconds` finds new folders. A new
version is loaded (and warmed up) on a loader thread while the old ones keep serving; it
takes traffic once AVAILABLE, and only then are versions no longer aspired unloaded, each
after the requests it is running finish (TF Serving's availability-preserving policy). A
version that fails to load ends in state END with its error in the model status, and the
versions already serving stay; its load is tried again at later polls, at most
`max_num_load_retries` times, `load_retry_interval` apart (TF Serving's defaults: 5, 60 s).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from google.protobuf import text_format

from estflow.model_server import errors, warmup
from estflow.model_server.protos import get_model_status_pb2, model_server_config_pb2
from estflow.model_server.servable import Servable

State = get_model_status_pb2.ModelVersionStatus
START, LOADING, AVAILABLE, UNLOADING, END = State.START, State.LOADING, State.AVAILABLE, State.UNLOADING, State.END

_log = logging.getLogger("estflow.model_server")


class VersionState:
    """What the manager knows of one version: its state, its load error, its servable once loaded."""

    __slots__ = ("version", "state", "error", "servable", "attempts", "failed_at")

    def __init__(self, version: int):
        self.version = version
        self.state = START
        self.error: errors.ServingError | None = None
        self.servable = None
        self.attempts = 0
        self.failed_at = 0.0


class _Model:
    def __init__(self, config: model_server_config_pb2.ModelConfig):
        self.config = config
        self.versions: dict[int, VersionState] = {}
        self.available: dict[int, object] = {}  # version -> servable taking traffic
        self.latest = None  # the highest available version's servable


def parse_model_server_config(text: str) -> model_server_config_pb2.ModelServerConfig:
    """A ModelServerConfig from the text proto of `--model_config_file`."""
    config = model_server_config_pb2.ModelServerConfig()
    text_format.Parse(text, config)
    return config


def single_model_config(name: str, base_path: str) -> model_server_config_pb2.ModelServerConfig:
    """The config `--model_name` / `--model_base_path` stand for: one model, the latest version."""
    config = model_server_config_pb2.ModelServerConfig()
    model = config.model_config_list.config.add()
    model.name = name
    model.base_path = base_path
    model.model_platform = "tensorflow"
    return config


def version_folders(base_path: str) -> list[int]:
    """The numbered version folders under `base_path`, ascending."""
    try:
        names = os.listdir(base_path)
    except OSError:
        return []
    return sorted(int(n) for n in names if n.isdigit() and os.path.isdir(os.path.join(base_path, n)))


def aspired_versions(config, found: list[int]) -> list[int]:
    """The versions the model's policy serves out of those found."""
    policy = config.model_version_policy
    choice = policy.WhichOneof("policy_choice")
    if choice == "all":
        return list(found)
    if choice == "specific":
        wanted = set(policy.specific.versions)
        return [v for v in found if v in wanted]
    n = policy.latest.num_versions if choice == "latest" and policy.latest.num_versions > 0 else 1
    return list(found[-n:])


def load_servable(name, version, path):
    """Load the SavedModel version at `path` as a Servable (the manager's default loader)."""
    return Servable.load(name, version, path)


class ServableManager:
    """Loads, serves and unloads the versions a ModelServerConfig asks for.

    `loader(name, version, path) -> servable` builds a servable (default: load the
    SavedModel); `batcher_factory(servable) -> Batcher | None` gives it a batcher.
    """

    def __init__(self, config: model_server_config_pb2.ModelServerConfig, poll_wait_seconds: float = 1.0,
                 loader=None, batcher_factory=None, num_load_threads: int = 2, enable_warmup: bool = True,
                 max_num_load_retries: int = 5, load_retry_interval_seconds: float = 60.0):
        self._loader = loader or load_servable
        self._batcher_factory = batcher_factory
        self._poll_wait = poll_wait_seconds
        self._enable_warmup = enable_warmup
        self._max_retries = max_num_load_retries
        self._retry_interval = load_retry_interval_seconds
        self._lock = threading.RLock()
        self._models: dict[str, _Model] = {}
        self._pool = ThreadPoolExecutor(max_workers=num_load_threads, thread_name_prefix="servable-loader")
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._loads_pending = 0
        self._idle = threading.Condition(self._lock)
        self.reload_config(config)

    # ---- configuration and polling ------------------------------------------------------------------

    def reload_config(self, config: model_server_config_pb2.ModelServerConfig) -> None:
        """Serve the models of `config` (HandleReloadConfigRequest): new ones added, dropped ones unloaded."""
        if config.WhichOneof("config") == "custom_model_config":
            raise errors.ServingError(errors.UNIMPLEMENTED, "custom_model_config is not supported")
        wanted = {}
        for model in config.model_config_list.config:
            if not model.name:
                raise errors.ServingError(errors.INVALID_ARGUMENT, "Model config has no name")
            if model.name in wanted:
                raise errors.ServingError(errors.INVALID_ARGUMENT, f"Illegal to list model {model.name} multiple "
                                                                   "times in config list")
            if model.model_platform not in ("", "tensorflow"):
                raise errors.ServingError(errors.INVALID_ARGUMENT, f"Unsupported model platform "
                                                                   f"{model.model_platform!r}")
            wanted[model.name] = model
        dropped = []
        with self._lock:
            for name, model in wanted.items():
                if name in self._models:
                    self._models[name].config = model
                else:
                    self._models[name] = _Model(model)
            for name in list(self._models):
                if name not in wanted:
                    dropped.append(self._models.pop(name))
        for model in dropped:
            for vs in list(model.versions.values()):
                if vs.servable is not None:
                    self._unload(model, vs)
        self.poll()

    def poll(self) -> None:
        """Look at every base path once: start loading new aspired versions, unload what is no longer aspired."""
        with self._lock:
            models = list(self._models.values())
        for model in models:
            self._reconcile(model)

    def _reconcile(self, model: _Model) -> None:
        found = version_folders(model.config.base_path)
        aspired = set(aspired_versions(model.config, found))
        to_unload = []
        with self._lock:
            now = time.monotonic()
            for v in sorted(aspired):
                vs = model.versions.get(v)
                retry = (vs is not None and vs.state == END and vs.error is not None
                         and vs.attempts <= self._max_retries and now - vs.failed_at >= self._retry_interval)
                if vs is None or (vs.state == END and vs.error is None) or retry:
                    if not retry:
                        vs = model.versions[v] = VersionState(v)
                    vs.state = LOADING
                    vs.attempts += 1
                    self._loads_pending += 1
                    self._pool.submit(self._load, model, vs)
            settled = all(model.versions[v].state in (AVAILABLE, END) for v in aspired)
            serving_aspired = any(model.versions[v].state == AVAILABLE for v in aspired)
            if settled and (serving_aspired or not aspired):
                for v, vs in model.versions.items():
                    if v not in aspired and vs.state == AVAILABLE:
                        to_unload.append(vs)
        for vs in to_unload:
            self._unload(model, vs)

    def _load(self, model: _Model, vs: VersionState) -> None:
        try:
            if self._load_version(model, vs):
                self._reconcile(model)  # unloads the versions this one replaces
        finally:
            with self._lock:
                self._loads_pending -= 1
                self._idle.notify_all()

    def _load_version(self, model: _Model, vs: VersionState) -> bool:
        path = os.path.join(model.config.base_path, str(vs.version))
        name = model.config.name
        servable = None
        try:
            servable = self._loader(name, vs.version, path)
            if self._enable_warmup:
                warmup.run_warmup(servable, path)
            if self._batcher_factory is not None:
                servable.set_batcher(self._batcher_factory(servable))
        except BaseException as e:  # noqa: BLE001 - a failed load is reported in the status, never raised
            err = errors.from_exception(e)
            _log.error("Loading servable %s version %d failed: %s", name, vs.version, err.message)
            if servable is not None:
                servable.close()
            with self._lock:
                vs.error = errors.ServingError(err.code, err.message)
                vs.state = END
                vs.failed_at = time.monotonic()
            return False
        with self._lock:
            stale = self._models.get(name) is not model or self._stop.is_set()
            if not stale:
                vs.servable = servable
                vs.error = None  # a retry that succeeded
                vs.state = AVAILABLE
                model.available[vs.version] = servable
                model.latest = model.available[max(model.available)]
        if stale:
            servable.close()
            with self._lock:
                vs.state = END
            return False
        _log.info("Successfully loaded servable version {name: %s version: %d}", name, vs.version)
        return True

    def _unload(self, model: _Model, vs: VersionState) -> None:
        with self._lock:
            if vs.servable is None or vs.state != AVAILABLE:
                return
            vs.state = UNLOADING
            model.available.pop(vs.version, None)
            model.latest = model.available[max(model.available)] if model.available else None
            servable = vs.servable
        servable.close()  # waits for the requests it is running
        with self._lock:
            vs.servable = None
            vs.state = END
        _log.info("Unloaded servable version {name: %s version: %d}", model.config.name, vs.version)

    def start(self) -> None:
        """Poll every `poll_wait_seconds` on a background thread (no polling when it is 0 or less)."""
        if self._poll_wait > 0 and self._poller is None:
            self._poller = threading.Thread(target=self._poll_loop, name="file-system-poller", daemon=True)
            self._poller.start()

    def _poll_loop(self) -> None:
        while not self._stop.wait(self._poll_wait):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - the poller must outlive one bad poll
                _log.exception("Polling the model base paths failed")

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Wait until no load is in progress (nor the unloads a finished load starts); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._loads_pending == 0, timeout)

    def stop(self) -> None:
        """Stop polling, finish loads, unload every version (each after its requests in flight)."""
        self._stop.set()
        if self._poller is not None:
            self._poller.join()
        self._pool.shutdown(wait=True)
        with self._lock:
            models = list(self._models.values())
        for model in models:
            for vs in list(model.versions.values()):
                self._unload(model, vs)

    # ---- requests -----------------------------------------------------------------------------------

    def model_names(self) -> list[str]:
        with self._lock:
            return sorted(self._models)

    def acquire(self, name: str, version: int | None = None, label: str | None = None):
        """The servable a request addresses, held until `release()`; NOT_FOUND / UNAVAILABLE otherwise."""
        for _ in range(100):  # an unload between the lookup and acquire(): look again
            with self._lock:
                model = self._models.get(name)
                if model is None:
                    what = f"Specific({name}, {version})" if version is not None else f"Latest({name})"
                    raise errors.ServingError(errors.NOT_FOUND, f"Servable not found for request: {what}")
                if label:
                    labels = model.config.version_labels
                    if label not in labels:
                        raise errors.ServingError(errors.INVALID_ARGUMENT,
                                                  f"Unrecognized servable version label: {label}")
                    version = labels[label]
                if version is None:
                    servable = model.latest
                    if servable is None:
                        raise errors.ServingError(errors.UNAVAILABLE, f"Servable not found for request: "
                                                                      f"Latest({name}): no version is available yet")
                else:
                    servable = model.available.get(version)
                    if servable is None:
                        code = errors.NOT_FOUND
                        raise errors.ServingError(code, f"Servable not found for request: Specific({name}, {version})")
            if servable.acquire():
                return servable
        raise errors.ServingError(errors.UNAVAILABLE, f"Servable {name} is being swapped; try again")

    def version_status(self, name: str, version: int | None = None) -> list[get_model_status_pb2.ModelVersionStatus]:
        """GetModelStatus: every version known of `name` (or just `version`), highest first."""
        with self._lock:
            model = self._models.get(name)
            if model is None:
                raise errors.ServingError(errors.NOT_FOUND, f"Could not find any versions of model {name}")
            if version is not None:
                if version not in model.versions:
                    raise errors.ServingError(errors.NOT_FOUND, f"Could not find version {version} of model {name}")
                states = [model.versions[version]]
            else:
                states = sorted(model.versions.values(), key=lambda s: -s.version)
                if not states:
                    raise errors.ServingError(errors.NOT_FOUND, f"Could not find any versions of model {name}")
            out = []
            for vs in states:
                status = get_model_status_pb2.ModelVersionStatus(version=vs.version, state=vs.state)
                status.status.SetInParent()  # OK is written out, as TF Serving's status does
                if vs.error is not None:
                    status.status.error_code = vs.error.code
                    status.status.error_message = vs.error.message
                out.append(status)
            return out

    def resolve_label(self, name: str, label: str) -> int:
        with self._lock:
            model = self._models.get(name)
            if model is None:
                raise errors.ServingError(errors.NOT_FOUND, f"Could not find any versions of model {name}")
            if label not in model.config.version_labels:
                raise errors.ServingError(errors.INVALID_ARGUMENT, f"Unrecognized servable version label: {label}")
            return model.config.version_labels[label]
