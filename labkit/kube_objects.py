"""The lab's Kubernetes objects: its namespace, the DirectX device plugin DaemonSet, and the sample GPU Job.

Labs sharing a cluster never share a namespace. A lab's namespace is ``plugin_namespace`` when that is set;
otherwise the doc's ``gpu-resources`` when no one else has it, and ``gpu-resources-<lab id>`` when someone
has. Either way it carries the lab's label, and later lessons find it by that label. The DaemonSet runs only
on the lab's driver-skipped pool (on AKS, the pool with the driver installed already runs AKS's own plugin),
and the Job only on one of the lab's pools (see :func:`workload_pool`).

Each object is created when missing and left alone (or brought back to the manifest) when present, so a
lesson can run twice.
"""

from __future__ import annotations

from typing import Any, Optional

from labkit import catalog, manifests, usage
from labkit.errors import MissingPrerequisite, OperationError
from labkit.failures import reported
from labkit.identity import MANUAL_DRIVER_LESSON, lab_selector, object_lab
from labkit.lab import Lab
from labkit.pools import created_in, lab_pools
from labkit.waiting import wait_for

PLUGIN_DAEMONSET = "nvidia-device-plugin-daemonset"
WORKLOAD_JOB = "windows-gpu-workload"
#: The namespace the AKS doc uses; a lab finding it taken gets one of its own.
DOC_NAMESPACE = manifests.SHIPPED_NAMESPACE


def load(lab: Lab, name: str, *, namespace: str, node_pool: Optional[str] = None) -> dict[str, Any]:
    """The manifest's one document with the lab's namespace, label, GPU resource, Windows image and pool."""
    os_sku = lab.params.os_sku or catalog.default_os_sku(lab.cluster_version())
    (doc,) = manifests.load(name, namespace=namespace, gpu_resource_name=lab.params.gpu_resource_name,
                            windows_image_tag=catalog.WINDOWS_OS_SKUS[os_sku].servercore_tag,
                            lab_id=lab.params.lab_id, node_pool=node_pool)
    return doc


def _ours(lab: Lab, obj: dict[str, Any]) -> bool:
    return object_lab(obj) == lab.params.lab_id


# --- the lab's namespace -----------------------------------------------------------------------------


def lab_namespace(lab: Lab) -> str:
    """The namespace the lab uses (or will claim): see the module's rule. Creates nothing."""
    if lab.params.plugin_namespace:
        return lab.params.plugin_namespace
    with reported("finding the lab's namespace"):
        mine = lab.k8s.list("Namespace", label_selector=lab_selector(lab.params.lab_id))
        if mine:
            return mine[0]["metadata"]["name"]
        return DOC_NAMESPACE if lab.k8s.read("Namespace", DOC_NAMESPACE) is None else own_namespace(lab.params.lab_id)


def own_namespace(lab_id: str) -> str:
    """The namespace of a lab's own, used when the doc's is taken (and planned for every workshop attendee)."""
    return f"{DOC_NAMESPACE}-{lab_id}"


def ensure_namespace(lab: Lab) -> str:
    """Claim the lab's namespace (create it, labelled as the lab's, unless it is already) and return its name.

    Two labs claiming ``gpu-resources`` at once are told apart by the API server: one creates it, the
    other is refused and takes its own name.
    """
    name = lab_namespace(lab)
    while True:
        with reported(f"creating namespace {name}"):
            existing = lab.k8s.read("Namespace", name)
            if existing is None:
                body = load(lab, manifests.NAMESPACE, namespace=name)
                if lab.k8s.create_unless_exists("Namespace", body) is not None:
                    return name
                continue  # someone created it meanwhile: look at whose it is
        if _ours(lab, existing):
            if existing["metadata"].get("deletionTimestamp"):
                _wait_gone(lab, "Namespace", name)  # a clean-up a moment ago; create it anew
                continue
            return name
        instead = _not_ours(lab, existing)
        if instead == name:  # the user's own namespace, which they named: used as it is
            return name
        name = instead


def _not_ours(lab: Lab, namespace: dict[str, Any]) -> str:
    """The name to use instead of a namespace the lab does not own, or an error when the user chose it."""
    name, owner = namespace["metadata"]["name"], object_lab(namespace)
    if not lab.params.plugin_namespace:
        print(f"namespace {name} is {f'lab {owner}' if owner else 'not a lab'}'s: this lab uses {own_namespace(lab.params.lab_id)}")
        return own_namespace(lab.params.lab_id)
    if owner is None:
        print(f"namespace {name} was not created by labkit: the lab puts its objects in it, and clean-up leaves the namespace")
        return name
    raise OperationError(
        f"creating namespace {name}", "NamespaceOfAnotherLab", f"namespace {name} belongs to lab {owner}",
        "A lab never uses another lab's namespace: set plugin_namespace=None (the lab's own) or to a free name.",
    )


# --- the device plugin ------------------------------------------------------------------------------


def deploy_device_plugin(lab: Lab) -> dict[str, Any]:
    """Apply the DirectX device plugin DaemonSet for the lab's driver-skipped pool and wait for its rollout."""
    pool = lab.params.manual_pool_name
    with reported(f"listing the nodes of pool {pool}"):
        if not lab.k8s.list("Node", label_selector=f"{manifests.POOL_LABEL}={pool}"):
            raise MissingPrerequisite(f"a node of pool {pool} for the DirectX plugin", "03_gpu_pool_manual_driver.ipynb (its pool step)")
    namespace = ensure_namespace(lab)
    body = load(lab, manifests.DEVICE_PLUGIN, namespace=namespace, node_pool=pool)
    with reported(f"applying DaemonSet {PLUGIN_DAEMONSET}"):
        existing = lab.k8s.read("DaemonSet", PLUGIN_DAEMONSET, namespace)
        if existing is None:
            lab.k8s.create("DaemonSet", body, namespace)
        elif _ours(lab, existing):
            lab.k8s.patch("DaemonSet", body, namespace)
        else:
            print(f"DaemonSet {PLUGIN_DAEMONSET} exists and was not created by this lab: it is used as it is, and clean-up will leave it")

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


# --- the sample workload ----------------------------------------------------------------------------


def workload_pool(lab: Lab) -> str:
    """The lab pool the sample Job runs on: the driver-skipped one (lesson 03) if the lab has it, else lesson 02's.

    Lesson 03's pool shows its GPU only through the plugin the learner deployed by hand, so a workload that
    gets a GPU there proves that path end to end; lesson 02's GPU comes from AKS's own driver and plugin.
    """
    pools = sorted(lab_pools(lab), key=lambda pool: created_in(pool) != MANUAL_DRIVER_LESSON)
    if not pools:
        raise MissingPrerequisite("a GPU pool of this lab", "02_gpu_pool_auto_driver.ipynb or 03_gpu_pool_manual_driver.ipynb")
    return pools[0].name


def run_workload(lab: Lab) -> tuple[str, str]:
    """Run the sample GPU Job on the lab's pool (once; a finished one is reused) and return (node, log)."""
    with usage.step(lab, "verification", f"Job {WORKLOAD_JOB}"):
        return _run_workload(lab)


def _run_workload(lab: Lab) -> tuple[str, str]:
    namespace = ensure_namespace(lab)
    body = load(lab, manifests.GPU_WORKLOAD, namespace=namespace, node_pool=workload_pool(lab))
    with reported(f"creating Job {WORKLOAD_JOB}"):
        existing = lab.k8s.read("Job", WORKLOAD_JOB, namespace)
        if existing is not None and not _ours(lab, existing):
            raise OperationError(f"creating Job {WORKLOAD_JOB}", "JobOfAnotherOwner", f"Job {WORKLOAD_JOB} in {namespace} is not this lab's",
                                 "Set plugin_namespace=None to use the lab's own namespace.")
        if existing is not None and (_failed(existing) or _node_selector(existing) != _node_selector(body)):
            lab.k8s.delete("Job", WORKLOAD_JOB, namespace)  # a failed run, or one meant for another pool, is run again
            _wait_gone(lab, "Job", WORKLOAD_JOB, namespace)
            existing = None
        if existing is None:
            lab.k8s.create("Job", body, namespace)

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
        return False, _pending_reason(lab, namespace) or "Running"

    with reported(f"waiting for Job {WORKLOAD_JOB}"):
        wait_for(finished, what=f"Job {WORKLOAD_JOB}", **lab.wait_options())
        pod = _workload_pods(lab, namespace)[-1]
        log = lab.k8s.log(pod["metadata"]["name"], namespace)
    return pod["spec"]["nodeName"], log


def _failed(job: dict[str, Any]) -> bool:
    return "Failed" in _true_conditions(job)


def _node_selector(job: dict[str, Any]) -> Optional[dict[str, str]]:
    return job["spec"]["template"]["spec"].get("nodeSelector")


def _true_conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in obj.get("status", {}).get("conditions", []) if c["status"] == "True"}


def _workload_pods(lab: Lab, namespace: str) -> list[dict[str, Any]]:
    pods = lab.k8s.list("Pod", namespace, label_selector=f"job-name={WORKLOAD_JOB}")
    return sorted(pods, key=lambda pod: pod["metadata"]["creationTimestamp"])


def _pending_reason(lab: Lab, namespace: str) -> str:
    """Why the workload's pod waits, e.g. 'Pending: 0/3 nodes are available: 1 Insufficient ...'."""
    for pod in _workload_pods(lab, namespace):
        for condition in pod.get("status", {}).get("conditions", []):
            if condition["type"] == "PodScheduled" and condition["status"] == "False":
                return f"Pending: {condition.get('message', '')}"
    return ""


def _wait_gone(lab: Lab, kind: str, name: str, namespace: Optional[str] = None) -> None:
    """Wait until the object no longer reads back (a namespace shows its Terminating phase meanwhile)."""

    def gone() -> tuple[bool, str]:
        obj = lab.k8s.read(kind, name, namespace)
        return obj is None, obj.get("status", {}).get("phase", "deleting") if obj else "deleted"

    with reported(f"waiting for {kind} {name} to go"):
        wait_for(gone, what=f"{kind.lower()} {name}", **lab.wait_options())
