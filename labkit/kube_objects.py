"""The lab's Kubernetes objects: namespace, DirectX device plugin DaemonSet, and the sample GPU Job.

Each is created when missing and left alone (or brought back to the manifest) when present, so a
lesson can run twice; deleting one that is gone succeeds.
"""

from __future__ import annotations

from typing import Any, Optional

from labkit import catalog, manifests
from labkit.errors import MissingPrerequisite, OperationError
from labkit.failures import reported
from labkit.lab import Lab
from labkit.waiting import wait_for

PLUGIN_DAEMONSET = "nvidia-device-plugin-daemonset"
WORKLOAD_JOB = "windows-gpu-workload"


def load(lab: Lab, name: str) -> dict[str, Any]:
    """The manifest's one document, with the lesson's namespace, GPU resource name and Windows image."""
    os_sku = lab.params.os_sku or catalog.default_os_sku(lab.cluster_version())
    (doc,) = manifests.load(name, namespace=lab.params.plugin_namespace, gpu_resource_name=lab.params.gpu_resource_name,
                            windows_image_tag=catalog.WINDOWS_OS_SKUS[os_sku].servercore_tag)
    return doc


def _ours(obj: dict[str, Any]) -> bool:
    key, value = manifests.MANAGED_BY
    return obj["metadata"].get("labels", {}).get(key) == value


def ensure_namespace(lab: Lab) -> bool:
    """Create the plugin namespace unless it exists; True if this call created it."""
    name = lab.params.plugin_namespace
    with reported(f"creating namespace {name}"):
        if lab.k8s.read("Namespace", name) is not None:
            return False
        lab.k8s.create("Namespace", load(lab, manifests.NAMESPACE))
    return True


def deploy_device_plugin(lab: Lab) -> dict[str, Any]:
    """Apply the DirectX device plugin DaemonSet and wait for its rollout on the Windows GPU nodes."""
    namespace = lab.params.plugin_namespace
    with reported("listing Windows nodes"):
        windows_nodes = lab.k8s.list("Node", label_selector="kubernetes.io/os=windows")
    if not windows_nodes:
        raise MissingPrerequisite("a Windows node for the DirectX plugin", "03_gpu_pool_manual_driver.ipynb (its pool step)")
    ensure_namespace(lab)
    body = load(lab, manifests.DEVICE_PLUGIN)
    with reported(f"applying DaemonSet {PLUGIN_DAEMONSET}"):
        existing = lab.k8s.read("DaemonSet", PLUGIN_DAEMONSET, namespace)
        if existing is None:
            lab.k8s.create("DaemonSet", body, namespace)
        elif _ours(existing):
            lab.k8s.patch("DaemonSet", body, namespace)
        else:
            print(f"DaemonSet {PLUGIN_DAEMONSET} exists and was not created by labkit: it is used as it is, and clean-up will leave it")

    def rolled_out() -> tuple[bool, str]:
        ds = lab.k8s.read("DaemonSet", PLUGIN_DAEMONSET, namespace)
        if ds is None:
            raise MissingPrerequisite(f"DaemonSet {PLUGIN_DAEMONSET} (it was deleted meanwhile)", "this cell again")
        status = ds.get("status", {})
        desired, ready = status.get("desiredNumberScheduled", 0), status.get("numberReady", 0)
        current = status.get("observedGeneration", 0) >= ds["metadata"].get("generation", 0)
        updated = status.get("updatedNumberScheduled", 0) == desired
        return current and updated and desired > 0 and ready == desired, f"{ready}/{desired} pods ready"

    with reported(f"waiting for DaemonSet {PLUGIN_DAEMONSET}"):
        wait_for(rolled_out, what=f"DaemonSet {PLUGIN_DAEMONSET} rollout", **lab.wait_options())
        return lab.k8s.read("DaemonSet", PLUGIN_DAEMONSET, namespace)


def run_workload(lab: Lab) -> tuple[str, str]:
    """Run the sample GPU Job (once; a finished one is reused) and return (node, log)."""
    namespace = lab.params.plugin_namespace
    ensure_namespace(lab)
    with reported(f"creating Job {WORKLOAD_JOB}"):
        existing = lab.k8s.read("Job", WORKLOAD_JOB, namespace)
        if existing is not None and _ours(existing) and "Failed" in _true_conditions(existing):
            lab.k8s.delete("Job", WORKLOAD_JOB, namespace)  # a failed run of ours is retried, not reported again
            _wait_gone(lab, "Job", WORKLOAD_JOB, namespace)
            existing = None
        if existing is None:
            lab.k8s.create("Job", load(lab, manifests.GPU_WORKLOAD), namespace)

    def finished() -> tuple[bool, str]:
        job = lab.k8s.read("Job", WORKLOAD_JOB, namespace)
        if job is None:
            raise MissingPrerequisite(f"Job {WORKLOAD_JOB} (it was deleted meanwhile)", "this cell again")
        conditions = _true_conditions(job)
        if "Failed" in conditions:
            failed = conditions["Failed"]
            raise OperationError(f"running Job {WORKLOAD_JOB}", failed.get("reason", "Failed"), failed.get("message", "the Job failed"),
                                 f"Read its pod's events: kubectl describe pods -l job-name={WORKLOAD_JOB} -n {namespace}")
        if "Complete" in conditions:
            return True, "Complete"
        return False, _pending_reason(lab) or "Running"

    with reported(f"waiting for Job {WORKLOAD_JOB}"):
        wait_for(finished, what=f"Job {WORKLOAD_JOB}", **lab.wait_options())
        pod = _workload_pods(lab)[-1]
        log = lab.k8s.log(pod["metadata"]["name"], namespace)
    return pod["spec"]["nodeName"], log


def _true_conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in obj.get("status", {}).get("conditions", []) if c["status"] == "True"}


def _workload_pods(lab: Lab) -> list[dict[str, Any]]:
    pods = lab.k8s.list("Pod", lab.params.plugin_namespace, label_selector=f"job-name={WORKLOAD_JOB}")
    return sorted(pods, key=lambda pod: pod["metadata"]["creationTimestamp"])


def _pending_reason(lab: Lab) -> str:
    """Why the workload's pod waits, e.g. 'Pending: 0/3 nodes are available: 1 Insufficient ...'."""
    for pod in _workload_pods(lab):
        for condition in pod.get("status", {}).get("conditions", []):
            if condition["type"] == "PodScheduled" and condition["status"] == "False":
                return f"Pending: {condition.get('message', '')}"
    return ""


def delete_lab_objects(lab: Lab) -> list[str]:
    """Delete the Job, the DaemonSet and (if the lab created it) the namespace; returns what was removed."""
    namespace = lab.params.plugin_namespace
    removed = []
    for kind, name, ns in (("Job", WORKLOAD_JOB, namespace), ("DaemonSet", PLUGIN_DAEMONSET, namespace), ("Namespace", namespace, None)):
        label = f"{kind} {ns}/{name}" if ns else f"{kind} {name}"
        with reported(f"deleting {label}"):
            obj = lab.k8s.read(kind, name, ns)
            if obj is None or not _ours(obj):
                continue
            if lab.k8s.delete(kind, name, ns):
                removed.append(label)
    if f"Namespace {namespace}" in removed:
        _wait_gone(lab, "Namespace", namespace)
    return removed


def _wait_gone(lab: Lab, kind: str, name: str, namespace: Optional[str] = None) -> None:
    """Wait until the object no longer reads back (a namespace shows its Terminating phase meanwhile)."""

    def gone() -> tuple[bool, str]:
        obj = lab.k8s.read(kind, name, namespace)
        return obj is None, obj.get("status", {}).get("phase", "deleting") if obj else "deleted"

    with reported(f"waiting for {kind} {name} to go"):
        wait_for(gone, what=f"{kind.lower()} {name}", **lab.wait_options())


def labelled_objects(lab: Lab) -> list[str]:
    """Every object carrying the lab's managed-by label that is still in the cluster."""
    selector = "=".join(manifests.MANAGED_BY)
    found = []
    with reported("listing the lab's Kubernetes objects"):
        for kind in ("Namespace", "DaemonSet", "Job"):
            for obj in lab.k8s.list(kind, label_selector=selector):
                meta = obj["metadata"]
                found.append(f"{kind} {meta['namespace']}/{meta['name']}" if meta.get("namespace") else f"{kind} {meta['name']}")
    return found
