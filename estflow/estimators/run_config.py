"""`tf.estimator.RunConfig`: where and how an Estimator trains (TF1's arguments and defaults).

    config = tf.estimator.RunConfig(model_dir="/tmp/m", save_checkpoints_steps=100)
    config = config.replace(keep_checkpoint_max=2)

Immutable: every property is read-only and `replace()` returns a new RunConfig. The
`TF_CONFIG` environment variable is read when a RunConfig is built, as TF1 reads it:

    TF_CONFIG='{"cluster": {"chief": ["h0:2222"], "worker": ["h1:2222"], "ps": ["h2:2222"]},
                "task": {"type": "worker", "index": 0}}'

gives `task_type="worker"`, `task_id=0`, `is_chief=False`, `num_ps_replicas=1`,
`num_worker_replicas=2` (chief and workers), `master="grpc://h1:2222"`, `global_id_in_cluster=1`
(chief first, then the other jobs by name, ps last). Without a cluster the task is the local
chief (worker 0, one worker replica, no ps). `cluster_spec` is the cluster as a `tf.train.ClusterSpec`
(empty without a cluster and for the evaluator, as TF's); distributed training itself comes later.
"""

from __future__ import annotations

import json
import os

from estflow.training.server_lib import ClusterSpec

_DEFAULT = object()

_REPLACEABLE = ("model_dir", "tf_random_seed", "save_summary_steps", "save_checkpoints_steps",
                "save_checkpoints_secs", "session_config", "keep_checkpoint_max", "keep_checkpoint_every_n_hours",
                "log_step_count_steps", "train_distribute", "device_fn", "protocol", "eval_distribute",
                "experimental_distribute", "experimental_max_worker_delay_secs", "session_creation_timeout_secs")


def _check_non_negative(name, value, kind=(int,)) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"RunConfig {name} must be a number or None, got {type(value).__name__} {value!r}.")
    if value < 0:
        raise ValueError(f"RunConfig {name} must be >= 0, got {value}.")


def _distributed_settings(tf_config: dict) -> dict:
    """cluster_spec, task_type, task_id, is_chief, replicas, masters and global id from a parsed TF_CONFIG."""
    cluster = tf_config.get("cluster") or {}
    task = tf_config.get("task") or {}
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ValueError(f'TF_CONFIG "cluster" and "task" must be JSON objects, got {tf_config!r}.')
    cluster = {job: list(addresses.values()) if isinstance(addresses, dict) else list(addresses)
               for job, addresses in cluster.items()}
    if not cluster:
        task_type = task.get("type", "worker")
        task_id = int(task.get("index", 0))
        if task_type != "worker":
            raise ValueError('If "cluster" is not set in TF_CONFIG, task type must be WORKER.')
        if task_id != 0:
            raise ValueError('If "cluster" is not set in TF_CONFIG, task index must be 0.')
        return {"cluster_spec": {}, "task_type": task_type, "task_id": 0, "is_chief": True,
                "master": tf_config.get("session_master", ""),
                "evaluation_master": tf_config.get("eval_session_master", ""),
                "num_ps_replicas": 0, "num_worker_replicas": 1, "global_id_in_cluster": 0}
    if "type" not in task:
        raise ValueError('If "cluster" is set in TF_CONFIG, it must have one "task" with a "type". '
                         'Add e.g. "task": {"type": "worker", "index": 0}.')
    task_type = task["type"]
    task_id = int(task.get("index", 0))
    if "chief" not in cluster and "master" not in cluster:
        raise ValueError('If "cluster" is set in TF_CONFIG, it must have one "chief" node.')
    for head in ("chief", "master"):
        if len(cluster.get(head, ())) > 1:
            raise ValueError(f'The "cluster" in TF_CONFIG must have only one "{head}" node, got {cluster[head]}.')
    if task_type == "evaluator":
        return {"cluster_spec": {}, "task_type": task_type, "task_id": task_id, "is_chief": False,
                "master": "", "evaluation_master": tf_config.get("eval_session_master", ""),
                "num_ps_replicas": 0, "num_worker_replicas": 0, "global_id_in_cluster": None}
    if task_type not in cluster:
        raise ValueError(f"{task_type} is not a valid task_type in the cluster_spec {cluster}. Use one of "
                         f"{sorted(cluster)} or evaluator.")
    if not 0 <= task_id < len(cluster[task_type]):
        raise ValueError(f"{task_id} is not a valid task_id for task_type {task_type} in the cluster_spec "
                         f"{cluster}: it has {len(cluster[task_type])} tasks.")
    head = "chief" if "chief" in cluster else "master"
    order = [head] + [job for job in sorted(cluster) if job not in (head, "ps")] + (["ps"] if "ps" in cluster else [])
    global_id = 0
    for job in order:
        if job == task_type:
            global_id += task_id
            break
        global_id += len(cluster[job])
    return {"cluster_spec": cluster, "task_type": task_type, "task_id": task_id, "is_chief": task_type == head,
            "master": "grpc://" + cluster[task_type][task_id],
            "evaluation_master": tf_config.get("eval_session_master", ""),
            "num_ps_replicas": len(cluster.get("ps", ())),
            "num_worker_replicas": len(cluster.get(head, ())) + len(cluster.get("worker", ())),
            "global_id_in_cluster": global_id}


def _tf_config() -> dict:
    text = os.environ.get("TF_CONFIG", "")
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"TF_CONFIG is not valid JSON ({exc}): {text!r}.") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"TF_CONFIG must be a JSON object, got {text!r}.")
    return parsed


class RunConfig:
    """The run settings of an Estimator; TF1's defaults (summaries every 100 steps, a checkpoint every 600 s)."""

    def __init__(self, model_dir=None, tf_random_seed=None, save_summary_steps=100,
                 save_checkpoints_steps=_DEFAULT, save_checkpoints_secs=_DEFAULT, session_config=None,
                 keep_checkpoint_max=5, keep_checkpoint_every_n_hours=10000, log_step_count_steps=100,
                 train_distribute=None, device_fn=None, protocol=None, eval_distribute=None,
                 experimental_distribute=None, experimental_max_worker_delay_secs=None,
                 session_creation_timeout_secs=7200):
        if save_checkpoints_steps is _DEFAULT and save_checkpoints_secs is _DEFAULT:
            save_checkpoints_steps, save_checkpoints_secs = None, 600
        elif save_checkpoints_steps is _DEFAULT:
            save_checkpoints_steps = None
        elif save_checkpoints_secs is _DEFAULT:
            save_checkpoints_secs = None
        if save_checkpoints_steps is not None and save_checkpoints_secs is not None:
            raise ValueError("Can not specify both save_checkpoints_steps and save_checkpoints_secs. "
                             "Pass one of them (the other None).")
        if model_dir is not None and not isinstance(model_dir, str):
            model_dir = str(model_dir)
        if model_dir == "":
            raise ValueError("model_dir should be non-empty; pass None for a temporary directory.")
        for name, value in (("save_summary_steps", save_summary_steps),
                            ("save_checkpoints_steps", save_checkpoints_steps),
                            ("keep_checkpoint_max", keep_checkpoint_max),
                            ("log_step_count_steps", log_step_count_steps)):
            _check_non_negative(name, value)
        for name, value in (("save_checkpoints_secs", save_checkpoints_secs),
                            ("keep_checkpoint_every_n_hours", keep_checkpoint_every_n_hours)):
            _check_non_negative(name, value, (int, float))
        if tf_random_seed is not None and (isinstance(tf_random_seed, bool) or not isinstance(tf_random_seed, int)):
            raise TypeError(f"RunConfig tf_random_seed must be an int or None, got {tf_random_seed!r}.")
        if device_fn is not None and not callable(device_fn):
            raise TypeError(f"RunConfig device_fn must be callable (op -> device string), got {device_fn!r}.")
        object.__setattr__(self, "_distributed", _distributed_settings(_tf_config()))
        self._values = {
            "model_dir": model_dir, "tf_random_seed": tf_random_seed, "save_summary_steps": save_summary_steps,
            "save_checkpoints_steps": save_checkpoints_steps, "save_checkpoints_secs": save_checkpoints_secs,
            "session_config": session_config, "keep_checkpoint_max": keep_checkpoint_max,
            "keep_checkpoint_every_n_hours": keep_checkpoint_every_n_hours,
            "log_step_count_steps": log_step_count_steps, "train_distribute": train_distribute,
            "device_fn": device_fn, "protocol": protocol, "eval_distribute": eval_distribute,
            "experimental_distribute": experimental_distribute,
            "experimental_max_worker_delay_secs": experimental_max_worker_delay_secs,
            "session_creation_timeout_secs": session_creation_timeout_secs,
        }

    def replace(self, **kwargs) -> RunConfig:
        """A new RunConfig with the given properties changed: `config.replace(save_summary_steps=10)`."""
        unknown = sorted(set(kwargs) - set(_REPLACEABLE))
        if unknown:
            raise ValueError(f"RunConfig.replace() got unknown or unreplaceable properties {unknown}; "
                             f"replaceable are {list(_REPLACEABLE)}.")
        values = dict(self._values)
        # One of the two checkpoint triggers replaced means the other one is off, as in TF1.
        if kwargs.get("save_checkpoints_steps") is not None and "save_checkpoints_secs" not in kwargs:
            values["save_checkpoints_secs"] = None
        if kwargs.get("save_checkpoints_secs") is not None and "save_checkpoints_steps" not in kwargs:
            values["save_checkpoints_steps"] = None
        values.update(kwargs)
        return RunConfig(**values)

    def __setattr__(self, name, value):
        if "_values" in self.__dict__:
            raise AttributeError(f"RunConfig is immutable; use config.replace({name}=...) for a changed copy.")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return "RunConfig(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"

    def __eq__(self, other):
        return (isinstance(other, RunConfig) and self._values == other._values
                and self._distributed == other._distributed)

    __hash__ = None

    model_dir = property(lambda self: self._values["model_dir"])
    tf_random_seed = property(lambda self: self._values["tf_random_seed"])
    save_summary_steps = property(lambda self: self._values["save_summary_steps"])
    save_checkpoints_steps = property(lambda self: self._values["save_checkpoints_steps"])
    save_checkpoints_secs = property(lambda self: self._values["save_checkpoints_secs"])
    session_config = property(lambda self: self._values["session_config"])
    keep_checkpoint_max = property(lambda self: self._values["keep_checkpoint_max"])
    keep_checkpoint_every_n_hours = property(lambda self: self._values["keep_checkpoint_every_n_hours"])
    log_step_count_steps = property(lambda self: self._values["log_step_count_steps"])
    train_distribute = property(lambda self: self._values["train_distribute"])
    eval_distribute = property(lambda self: self._values["eval_distribute"])
    device_fn = property(lambda self: self._values["device_fn"])
    protocol = property(lambda self: self._values["protocol"])
    experimental_distribute = property(lambda self: self._values["experimental_distribute"])
    experimental_max_worker_delay_secs = property(lambda self: self._values["experimental_max_worker_delay_secs"])
    session_creation_timeout_secs = property(lambda self: self._values["session_creation_timeout_secs"])
    # From TF_CONFIG (see the module docstring).
    cluster_spec = property(lambda self: ClusterSpec(self._distributed["cluster_spec"]))
    task_type = property(lambda self: self._distributed["task_type"])
    task_id = property(lambda self: self._distributed["task_id"])
    is_chief = property(lambda self: self._distributed["is_chief"])
    master = property(lambda self: self._distributed["master"])
    evaluation_master = property(lambda self: self._distributed["evaluation_master"])
    num_ps_replicas = property(lambda self: self._distributed["num_ps_replicas"])
    num_worker_replicas = property(lambda self: self._distributed["num_worker_replicas"])
    global_id_in_cluster = property(lambda self: self._distributed["global_id_in_cluster"])
    service = property(lambda self: None)
