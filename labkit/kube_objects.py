"""The lab's Kubernetes objects: namespace, DirectX device plugin DaemonSet, and the sample GPU Job.

Each is created when missing and left alone (or brought back to the manifest) when present, so a
lesson can run twice; deleting one that is gone succeeds.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from kubernetes.client.exceptions import ApiException

from labkit import manifests
from labkit.errors import MissingPrerequisite, OperationError
from labkit.failures import reported
from labkit.lab import Lab
from labkit.waiting import wait_for

PLUGIN_DAEMONSET = "nvidia-device-plugin-daemonset"
WORKLOAD_JOB = "windows-gpu-workload"


def load(lab: Lab, name: str) -> dict[str, Any]:
    """The manifest's one document, with the lesson's namespace and GPU resource name."""
    (doc,) = manifests.load(name, namespace=lab.params.plugin_namespace, gpu_resource_name=lab.params.gpu_resource_name)
    return doc


def read_or_none(read: Callable[[], Any]) -> Optional[Any]:
    """``read()``, or None on 404; other failures are reported."""
    try:
        return read()
    except ApiException as error:
        if error.status == 404:
            return None
        with reported("reading from the cluster"):
            raise


def ensure_namespace(lab: Lab) -> bool:
    """Create the plugin namespace unless it exists; True if this call created it."""
    name = lab.params.plugin_namespace
    if read_or_none(lambda: lab.core.read_namespace(name)) is not None:
        return False
    with reported(f"creating namespace {name}"):
        lab.core.create_namespace(body=load(lab, manifests.NAMESPACE))
    return True


def deploy_device_plugin(lab: Lab) -> Any:
    """Apply the DirectX device plugin DaemonSet and wait for its rollout on the Windows GPU nodes."""
    p = lab.params
    windows_nodes = lab.core.list_node(label_selector="kubernetes.io/os=windows").items
    if not windows_nodes:
        raise MissingPrerequisite("a Windows node for the DirectX plugin", "03_gpu_pool_manual_driver.ipynb (its pool step)")
    ensure_namespace(lab)
    body = load(lab, manifests.DEVICE_PLUGIN)
    with reported(f"applying DaemonSet {PLUGIN_DAEMONSET}"):
        if read_or_none(lambda: lab.apps.read_namespaced_daemon_set(PLUGIN_DAEMONSET, p.plugin_namespace)) is None:
            lab.apps.create_namespaced_daemon_set(p.plugin_namespace, body)
        else:
            lab.apps.patch_namespaced_daemon_set(PLUGIN_DAEMONSET, p.plugin_namespace, body)

    def rolled_out() -> tuple[bool, str]:
        ds = lab.apps.read_namespaced_daemon_set(PLUGIN_DAEMONSET, p.plugin_namespace)
        status = ds.status
        desired, ready = status.desired_number_scheduled or 0, status.number_ready or 0
        current = (status.observed_generation or 0) >= (ds.metadata.generation or 0)
        return current and desired > 0 and ready == desired, f"{ready}/{desired} pods ready"

    with reported(f"waiting for DaemonSet {PLUGIN_DAEMONSET}"):
        wait_for(rolled_out, what=f"DaemonSet {PLUGIN_DAEMONSET} rollout", **lab.wait_options())
        return lab.apps.read_namespaced_daemon_set(PLUGIN_DAEMONSET, p.plugin_namespace)


def run_workload(lab: Lab) -> tuple[str, str]:
    """Run the sample GPU Job (once; a finished one is reused) and return (node, log)."""
    p = lab.params
    ensure_namespace(lab)
    if read_or_none(lambda: lab.batch.read_namespaced_job(WORKLOAD_JOB, p.plugin_namespace)) is None:
        with reported(f"creating Job {WORKLOAD_JOB}"):
            lab.batch.create_namespaced_job(p.plugin_namespace, load(lab, manifests.GPU_WORKLOAD))

    def finished() -> tuple[bool, str]:
        job = lab.batch.read_namespaced_job(WORKLOAD_JOB, p.plugin_namespace)
        conditions = {c.type: c for c in (job.status.conditions or []) if c.status == "True"}
        if "Failed" in conditions:
            raise OperationError(f"running Job {WORKLOAD_JOB}", conditions["Failed"].reason or "Failed",
                                 conditions["Failed"].message or "the Job failed",
                                 f"Read its pod's events: kubectl describe pods -l job-name={WORKLOAD_JOB} -n {p.plugin_namespace}")
        if "Complete" in conditions:
            return True, "Complete"
        return False, _pending_reason(lab) or "Running"

    with reported(f"waiting for Job {WORKLOAD_JOB}"):
        wait_for(finished, what=f"Job {WORKLOAD_JOB}", **lab.wait_options())
        pod = _workload_pods(lab)[-1]
        log = lab.core.read_namespaced_pod_log(pod.metadata.name, p.plugin_namespace)
    return pod.spec.node_name, log


def _workload_pods(lab: Lab) -> list[Any]:
    pods = lab.core.list_namespaced_pod(lab.params.plugin_namespace, label_selector=f"job-name={WORKLOAD_JOB}").items
    return sorted(pods, key=lambda pod: pod.metadata.creation_timestamp)


def _pending_reason(lab: Lab) -> str:
    """Why the workload's pod waits, e.g. 'Pending: 0/3 nodes are available: 1 Insufficient ...'."""
    for pod in _workload_pods(lab):
        for condition in pod.status.conditions or []:
            if condition.type == "PodScheduled" and condition.status == "False":
                return f"Pending: {condition.message}"
    return ""


def delete_lab_objects(lab: Lab) -> list[str]:
    """Delete the Job, the DaemonSet and (if the lab created it) the namespace; returns what was removed."""
    p = lab.params
    key, value = manifests.MANAGED_BY
    removed = []
    deletions = [
        (f"Job {p.plugin_namespace}/{WORKLOAD_JOB}", lambda: lab.batch.read_namespaced_job(WORKLOAD_JOB, p.plugin_namespace),
         lambda: lab.batch.delete_namespaced_job(WORKLOAD_JOB, p.plugin_namespace, propagation_policy="Background")),
        (f"DaemonSet {p.plugin_namespace}/{PLUGIN_DAEMONSET}", lambda: lab.apps.read_namespaced_daemon_set(PLUGIN_DAEMONSET, p.plugin_namespace),
         lambda: lab.apps.delete_namespaced_daemon_set(PLUGIN_DAEMONSET, p.plugin_namespace)),
        (f"Namespace {p.plugin_namespace}", lambda: lab.core.read_namespace(p.plugin_namespace),
         lambda: lab.core.delete_namespace(p.plugin_namespace)),
    ]
    for label, read, delete in deletions:
        obj = read_or_none(read)
        if obj is None or (obj.metadata.labels or {}).get(key) != value:
            continue
        with reported(f"deleting {label}"):
            delete()
        removed.append(label)
    if f"Namespace {p.plugin_namespace}" in removed:
        _wait_namespace_gone(lab)
    return removed


def _wait_namespace_gone(lab: Lab) -> None:
    name = lab.params.plugin_namespace

    def gone() -> tuple[bool, str]:
        ns = read_or_none(lambda: lab.core.read_namespace(name))
        return ns is None, ns.status.phase if ns else "deleted"

    wait_for(gone, what=f"namespace {name}", **lab.wait_options())


def labelled_objects(lab: Lab) -> list[str]:
    """Every object carrying the lab's managed-by label that is still in the cluster."""
    selector = "=".join(manifests.MANAGED_BY)
    with reported("listing the lab's Kubernetes objects"):
        found = [f"Namespace {n.metadata.name}" for n in lab.core.list_namespace(label_selector=selector).items]
        found += [f"DaemonSet {d.metadata.namespace}/{d.metadata.name}" for d in lab.apps.list_daemon_set_for_all_namespaces(label_selector=selector).items]
        found += [f"Job {j.metadata.namespace}/{j.metadata.name}" for j in lab.batch.list_job_for_all_namespaces(label_selector=selector).items]
    return found
