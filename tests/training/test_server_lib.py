"""tf.train.ClusterSpec: TF1's class from a dict, a ClusterDef or another ClusterSpec."""

import pytest

import estflow as tf
from estflow.core.protos import cluster_pb2


def test_dense_and_sparse_jobs_and_their_queries():
    cluster = tf.train.ClusterSpec({"worker": ["w0:2222", "w1:2222"], "ps": {1: "ps1:2222"}})
    assert cluster.jobs == ["worker", "ps"]
    assert cluster.num_tasks("worker") == 2 and cluster.num_tasks("ps") == 1
    assert cluster.task_indices("ps") == [1] and cluster.task_address("worker", 1) == "w1:2222"
    assert cluster.job_tasks("ps") == [None, "ps1:2222"]
    assert cluster.as_dict() == {"worker": ["w0:2222", "w1:2222"], "ps": {1: "ps1:2222"}}
    assert repr(cluster) == "ClusterSpec({'ps': {1: 'ps1:2222'}, 'worker': ['w0:2222', 'w1:2222']})"
    assert bool(cluster) and not tf.train.ClusterSpec({})
    with pytest.raises(ValueError, match="No such job in cluster: 'chief'"):
        cluster.num_tasks("chief")
    with pytest.raises(ValueError, match="No task with index 5 in job 'worker'"):
        cluster.task_address("worker", 5)


def test_cluster_def_round_trip_sorted_by_job_as_tf():
    cluster = tf.train.ClusterSpec({"worker": ["w0:2222"], "chief": ["c0:2222"]})
    cluster_def = cluster.as_cluster_def()
    assert isinstance(cluster_def, cluster_pb2.ClusterDef)
    assert [job.name for job in cluster_def.job] == ["chief", "worker"]
    assert dict(cluster_def.job[1].tasks) == {0: "w0:2222"}
    again = tf.train.ClusterSpec(cluster_pb2.ClusterDef.FromString(cluster_def.SerializeToString()))
    assert again.as_dict() == {"chief": ["c0:2222"], "worker": ["w0:2222"]}
    copy = tf.train.ClusterSpec(cluster)
    assert copy == cluster and copy.as_cluster_def() == cluster_def
    assert cluster == {"worker": {0: "w0:2222"}, "chief": {0: "c0:2222"}}  # compared as TF's: index -> address


def test_bad_arguments():
    with pytest.raises(TypeError, match="must be a dictionary mapping one or more job names"):
        tf.train.ClusterSpec(["w0:2222"])
    with pytest.raises(TypeError, match="The tasks for job 'worker' must be a list or a dictionary"):
        tf.train.ClusterSpec({"worker": "w0:2222"})
    with pytest.raises(TypeError, match="Task address 3 must be bytes or unicode"):
        tf.train.ClusterSpec({"worker": [3]})
