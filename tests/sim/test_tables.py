"""Server-side printing for kubectl: cells as kube-apiserver renders them."""

from __future__ import annotations

import pytest

from labkit.sim.tables import human_duration, table

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z
NOW_TEXT = "2027-01-15T08:00:00Z"


@pytest.mark.parametrize("seconds, text", [
    (-5, "<invalid>"), (-1, "0s"), (5, "5s"), (119, "119s"), (182, "3m2s"), (600, "10m"), (3 * 3600, "3h"),
    (5 * 3600 + 180, "5h3m"), (30 * 3600, "30h"), (3 * 86400 + 4 * 3600, "3d4h"), (40 * 86400, "40d"),
    (3 * 365 * 86400 + 7 * 86400, "3y7d"), (9 * 365 * 86400, "9y"),
])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def cells(kind: str, obj: dict) -> list:
    obj = {"kind": kind, **obj, "metadata": {"name": "x", "creationTimestamp": "2027-01-15T07:59:00Z", **obj.get("metadata", {})}}
    return table(kind, [obj], include_object="Metadata", now=NOW)["rows"][0]["cells"]


def test_node_status_and_roles():
    node = {"metadata": {"labels": {"kubernetes.io/role": "agent", "node-role.kubernetes.io/agent": ""}},
            "spec": {"unschedulable": True},
            "status": {"conditions": [{"type": "Ready", "status": "False"}], "nodeInfo": {"kubeletVersion": "v1.33.2"},
                       "addresses": [{"type": "InternalIP", "address": "10.224.0.4"}]}}
    assert cells("Node", node) == ["x", "NotReady,SchedulingDisabled", "agent", "60s", "v1.33.2", "10.224.0.4",
                                   "<none>", "<unknown>", "<unknown>", "<unknown>"]
    assert cells("Node", {})[1:3] == ["Unknown", "<none>"]


def test_pod_status_column():
    def status(pod_status: dict, **meta) -> str:
        return cells("Pod", {"metadata": meta, "spec": {"containers": [{"name": "c"}]}, "status": pod_status})[2]

    assert status({"phase": "Pending"}) == "Pending"
    assert status({"phase": "Pending", "containerStatuses": [{"state": {"waiting": {"reason": "ContainerCreating"}}}]}) == "ContainerCreating"
    assert status({"phase": "Succeeded", "containerStatuses": [{"state": {"terminated": {"reason": "Completed"}}}]}) == "Completed"
    assert status({"phase": "Failed", "containerStatuses": [{"state": {"terminated": {"exitCode": 2}}}]}) == "ExitCode:2"
    assert status({"phase": "Running"}, deletionTimestamp=NOW_TEXT) == "Terminating"


def test_pod_ready_and_restarts():
    pod = {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}, "status": {"phase": "Running", "containerStatuses": [
        {"name": "a", "ready": True, "restartCount": 2, "state": {"running": {}},
         "lastState": {"terminated": {"finishedAt": "2027-01-15T07:59:30Z"}}},
        {"name": "b", "ready": False, "restartCount": 0, "state": {"running": {}}}]}}
    assert cells("Pod", pod)[1:4] == ["1/2", "Running", "2 (30s ago)"]


def test_job_and_daemonset_cells():
    job = {"spec": {"completions": 1, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}},
                    "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}}},
           "status": {"succeeded": 1, "startTime": "2027-01-15T07:59:00Z", "completionTime": "2027-01-15T07:59:12Z",
                      "conditions": [{"type": "Complete", "status": "True"}]}}
    assert cells("Job", job) == ["x", "Complete", "1/1", "12s", "60s", "c", "i", "batch.kubernetes.io/controller-uid=u"]
    daemonset = {"spec": {"selector": {"matchLabels": {"name": "plugin"}}, "template": {"spec": {
        "nodeSelector": {"kubernetes.io/os": "windows"}, "containers": [{"name": "c", "image": "i"}]}}},
        "status": {"desiredNumberScheduled": 2, "currentNumberScheduled": 1, "numberReady": 1}}
    assert cells("DaemonSet", daemonset) == ["x", 2, 1, 1, 0, 0, "kubernetes.io/os=windows", "60s", "c", "i", "name=plugin"]


def test_rows_carry_partial_object_metadata_unless_asked_otherwise():
    node = {"kind": "Node", "metadata": {"name": "n", "labels": {"a": "b"}}}
    assert table("Node", [node], include_object="Metadata", now=NOW)["rows"][0]["object"] == {
        "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": node["metadata"]}
    assert table("Node", [node], include_object="Object", now=NOW)["rows"][0]["object"] is node
    assert "object" not in table("Node", [node], include_object="None", now=NOW)["rows"][0]


def test_service_cells():
    service = {"spec": {"type": "ClusterIP", "clusterIP": "10.0.0.10", "selector": {"k8s-app": "kube-dns"},
                        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 80, "nodePort": 30080}]}}
    assert cells("Service", service) == ["x", "ClusterIP", "10.0.0.10", "<none>", "53/UDP,80:30080/TCP", "60s", "k8s-app=kube-dns"]
