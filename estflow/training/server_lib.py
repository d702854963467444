"""`tf.train.ClusterSpec`: the jobs of a cluster and their task addresses (TF1's class).

    cluster = tf.train.ClusterSpec({"worker": ["w0:2222", "w1:2222"], "ps": ["ps0:2222"]})
    cluster.jobs                        # ["worker", "ps"]
    cluster.num_tasks("worker")         # 2
    cluster.task_address("ps", 0)       # "ps0:2222"
    cluster.as_cluster_def()            # a tensorflow.ClusterDef protocol buffer

A job's tasks are a list (dense indices) or a dict from task index to address (sparse).
Only the description lives here: estflow runs no distributed servers yet.
"""

from __future__ import annotations

from estflow.core.protos import cluster_pb2


def _text(value, what) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    raise TypeError(f"{what} {value!r} must be bytes or unicode")


class ClusterSpec:
    """A cluster as job name -> tasks; built from a dict, a `ClusterDef` or another ClusterSpec."""

    def __init__(self, cluster):
        if isinstance(cluster, dict):
            self._cluster_spec = {}
            for job_name, tasks in cluster.items():
                if isinstance(tasks, (list, tuple)):
                    job_tasks = dict(enumerate(tasks))
                elif isinstance(tasks, dict):
                    job_tasks = dict(tasks)
                else:
                    raise TypeError(f"The tasks for job {job_name!r} must be a list or a dictionary from integers "
                                    f"to strings.")
                self._cluster_spec[job_name] = job_tasks
            self._make_cluster_def()
        elif isinstance(cluster, (cluster_pb2.ClusterDef, ClusterSpec)):
            cluster_def = cluster if isinstance(cluster, cluster_pb2.ClusterDef) else cluster.as_cluster_def()
            self._cluster_def = cluster_pb2.ClusterDef()
            self._cluster_def.MergeFrom(cluster_def)
            self._cluster_spec = {job.name: dict(job.tasks.items()) for job in self._cluster_def.job}
        else:
            raise TypeError("`cluster` must be a dictionary mapping one or more job names to lists of network "
                            f"addresses, or a `ClusterDef` protocol buffer; got {type(cluster).__name__}.")

    def _make_cluster_def(self) -> None:
        self._cluster_def = cluster_pb2.ClusterDef()
        for job_name, tasks in sorted(self._cluster_spec.items()):  # sorted: deterministic protobufs, as TF's
            job_def = self._cluster_def.job.add()
            job_def.name = _text(job_name, "Job name")
            for index, address in sorted(tasks.items()):
                job_def.tasks[index] = _text(address, "Task address")

    def __bool__(self) -> bool:
        return bool(self._cluster_spec)

    def __eq__(self, other) -> bool:
        return self._cluster_spec == other

    def __ne__(self, other) -> bool:
        return self._cluster_spec != other

    __hash__ = None  # mutable-looking and compared by value, as TF's

    def __repr__(self) -> str:
        as_dict = self.as_dict()
        return "ClusterSpec({" + ", ".join(f"{job!r}: {as_dict[job]!r}" for job in sorted(as_dict)) + "})"

    def as_dict(self) -> dict:
        """job name -> list of addresses (dense task indices) or dict index -> address (sparse)."""
        result = {}
        for job in self.jobs:
            indices = self.task_indices(job)
            if not indices:
                result[job] = {}
            elif max(indices) + 1 == len(indices):
                result[job] = self.job_tasks(job)
            else:
                result[job] = {i: self.task_address(job, i) for i in indices}
        return result

    def as_cluster_def(self):
        """The cluster as a `tensorflow.ClusterDef` protocol buffer."""
        return self._cluster_def

    @property
    def jobs(self) -> list:
        return list(self._cluster_spec)

    def _job(self, job_name) -> dict:
        try:
            return self._cluster_spec[job_name]
        except KeyError:
            raise ValueError(f"No such job in cluster: {job_name!r}") from None

    def num_tasks(self, job_name) -> int:
        return len(self._job(job_name))

    def task_indices(self, job_name) -> list:
        return sorted(self._job(job_name))

    def task_address(self, job_name, task_index) -> str:
        job = self._job(job_name)
        try:
            return job[task_index]
        except KeyError:
            raise ValueError(f"No task with index {task_index!r} in job {job_name!r}") from None

    def job_tasks(self, job_name) -> list:
        """The job's addresses by task index, None where an index has no task."""
        job = self._job(job_name)
        tasks = [None] * (max(job) + 1 if job else 0)
        for index, address in job.items():
            tasks[index] = address
        return tasks
