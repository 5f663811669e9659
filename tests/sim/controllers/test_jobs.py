"""The Job controller: a GPU Job runs to Complete, its status reaches watchers and SQLite, its pod logs the GPU."""

from __future__ import annotations

import json
import sqlite3

from kubernetes import watch

from labkit import manifests


def stored_body(sim, kind, namespace, name):
    """The object as written to SQLite, bypassing the in-memory copy."""
    with sqlite3.connect(sim.state_dir / "state.db") as db:
        row = db.execute("SELECT body FROM kube WHERE kind=? AND namespace=? AND name=?", (kind, namespace, name)).fetchone()
    return json.loads(row[0]) if row else None


def test_job_completion_reaches_watchers_and_sqlite(sim, kube, make_pool):
    make_pool("gpust")
    kube.core.create_namespace({"metadata": {"name": "status-check"}})
    job = manifests.load(manifests.GPU_WORKLOAD, namespace="status-check")[0]
    job["spec"]["template"]["spec"]["nodeSelector"]["agentpool"] = "gpust"
    kube.batch.create_namespaced_job("status-check", job)
    completed = []
    for event in watch.Watch().stream(kube.batch.list_namespaced_job, "status-check", timeout_seconds=10):
        if any(c.type == "Complete" and c.status == "True" for c in event["object"].status.conditions or []):
            completed.append(event["type"])
            break
    assert completed == ["MODIFIED"]
    conditions = stored_body(sim, "Job", "status-check", "windows-gpu-workload")["status"]["conditions"]
    assert {"Complete", "SuccessCriteriaMet"} <= {c["type"] for c in conditions}


def test_the_gpu_jobs_pod_succeeded_and_logged_the_gpu(kube):
    (pod,) = kube.core.list_namespaced_pod("status-check", label_selector="job-name=windows-gpu-workload").items
    assert pod.status.phase == "Succeeded" and pod.spec.node_name == "aksgpust000000"
    log = kube.core.read_namespaced_pod_log(pod.metadata.name, "status-check")
    assert "NVIDIA Tesla T4" in log and "CUDA" in log


def test_a_finished_job_with_a_ttl_is_deleted_with_its_pods(kube, until):
    job = manifests.load(manifests.GPU_WORKLOAD, namespace="status-check")[0]
    job["metadata"]["name"] = "short-lived"
    job["spec"]["ttlSecondsAfterFinished"] = 0  # deleted as soon as it finishes
    job["spec"]["template"]["spec"]["nodeSelector"]["agentpool"] = "gpust"
    kube.batch.create_namespaced_job("status-check", job)
    until(lambda: not kube.batch.list_namespaced_job("status-check", field_selector="metadata.name=short-lived").items,
          what="the TTL-after-finished controller to delete the Job")
    assert not kube.core.list_namespaced_pod("status-check", label_selector="job-name=short-lived").items


def test_a_gpu_pod_tolerates_a_taint_named_after_the_gpu(kube):
    (pod,) = kube.core.list_namespaced_pod("status-check", label_selector="job-name=windows-gpu-workload").items
    tolerations = {(t.key, t.operator, t.effect) for t in pod.spec.tolerations}
    assert ("microsoft.com/directx", "Exists", "NoSchedule") in tolerations  # ExtendedResourceToleration
