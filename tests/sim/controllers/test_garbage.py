"""The garbage collector: pods go with their owner, and with their node."""

from __future__ import annotations


def test_a_pod_goes_with_its_node(kube, until):
    core = kube.core
    core.create_node({"metadata": {"name": "short-lived"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    core.create_namespaced_pod("default", {"metadata": {"name": "on-it"},
                                           "spec": {"nodeName": "short-lived", "containers": [{"name": "c", "image": "busybox"}]}})
    core.delete_node("short-lived")
    until(lambda: not core.list_namespaced_pod("default", field_selector="metadata.name=on-it").items, what="the pod to go")


def test_a_pod_goes_with_its_owner(kube, until):
    core, batch = kube.core, kube.batch
    job = {"metadata": {"name": "owner"}, "spec": {"template": {"spec": {
        "restartPolicy": "Never", "nodeSelector": {"nowhere": "true"}, "containers": [{"name": "c", "image": "busybox"}]}}}}
    batch.create_namespaced_job("default", job)
    until(lambda: core.list_namespaced_pod("default", label_selector="job-name=owner").items, what="the Job's pod")
    batch.delete_namespaced_job("owner", "default", propagation_policy="Background")  # as kubectl deletes
    until(lambda: not core.list_namespaced_pod("default", label_selector="job-name=owner").items, what="the orphan to go")
