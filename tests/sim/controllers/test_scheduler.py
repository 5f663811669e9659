"""The scheduler: a pod that finds no free GPU stays Pending with FailedScheduling saying why."""

from __future__ import annotations

from kubernetes import utils

from labkit import manifests


def test_job_without_a_free_gpu_is_pending_with_failed_scheduling(kube, make_pool, gpu_of, until):
    core = kube.core
    make_pool("gpunp")
    until(lambda: gpu_of("aksgpunp000000") == ("1", "1"), what="GPU on the node")
    utils.create_from_yaml(kube.api, yaml_objects=manifests.load(manifests.NAMESPACE))
    job_pod_spec = manifests.load(manifests.GPU_WORKLOAD)[0]["spec"]["template"]["spec"]
    hog = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gpu-hog", "namespace": "gpu-resources"},
           "spec": {**job_pod_spec, "restartPolicy": "Always"}}  # a long-running pod holding the only GPU
    core.create_namespaced_pod("gpu-resources", hog)
    until(lambda: core.read_namespaced_pod("gpu-hog", "gpu-resources").status.phase == "Running", what="GPU hog running")
    utils.create_from_yaml(kube.api, yaml_objects=manifests.load(manifests.GPU_WORKLOAD))

    def failed_scheduling():
        events = core.list_namespaced_event("gpu-resources", field_selector="reason=FailedScheduling").items
        return [e.message for e in events]

    messages = until(failed_scheduling, what="FailedScheduling event")
    assert "Insufficient microsoft.com/directx" in messages[0]
    assert "didn't match Pod's node affinity/selector" in messages[0]
    pods = core.list_namespaced_pod("gpu-resources", label_selector="job-name=windows-gpu-workload").items
    assert [p.status.phase for p in pods] == ["Pending"]


def test_the_pending_pod_is_scheduled_once_the_gpu_is_free(kube, until):
    kube.core.delete_namespaced_pod("gpu-hog", "gpu-resources")

    def scheduled():
        pods = kube.core.list_namespaced_pod("gpu-resources", label_selector="job-name=windows-gpu-workload").items
        return pods and pods[0].spec.node_name

    assert until(scheduled, what="the Job's pod to be scheduled") == "aksgpunp000000"
