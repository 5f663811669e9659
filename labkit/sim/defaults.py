"""What kube-apiserver fills in on the objects it stores, where clients and kubectl depend on it.

``for_create`` runs once, on a new object (status reset, a Job's selector from its uid, a Namespace's
phase); ``apply`` is the idempotent defaulting that runs on every write.

Example:
    >>> pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    >>> pod = apply(for_create(pod))
    >>> pod["status"]["phase"], pod["spec"]["restartPolicy"], pod["spec"]["containers"][0]["imagePullPolicy"]
    ('Pending', 'Always', 'Always')
"""

from __future__ import annotations

import uuid
from typing import Any

Obj = dict[str, Any]

#: Labels the Job controller's selector relies on, on every Job's pod template.
JOB_UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")

#: rand.SafeEncodeString's alphabet (k8s.io/apimachinery/pkg/util/rand): the characters of generated name suffixes
#: (generateName, controllers' pod names) and of the template hashes in names and labels.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

#: Kinds whose ``spec`` and ``status`` are always there (``{}`` at least), as Go's structs serialize them.
_SPEC_KINDS = {"Namespace", "Node", "Pod", "DaemonSet", "Job", "Lease", "Service"}
_STATUS_KINDS = {"Namespace", "Node", "Pod", "DaemonSet", "Job", "Service"}


def for_create(obj: Obj) -> Obj:
    """Set what only a create sets: the uid, the initial status, a Job's generated selector and labels."""
    obj["metadata"]["uid"] = str(uuid.uuid4())
    kind = obj["kind"]
    if kind == "Pod":
        _admit_pod(obj)
    elif kind == "Job":
        _select_job_pods(obj)
        obj["status"] = {}
    elif kind == "DaemonSet":
        obj["status"] = {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                         "desiredNumberScheduled": 0, "numberReady": 0}
    elif kind == "Namespace":
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
    return obj


def apply(obj: Obj) -> Obj:
    """Default an object's fields as the apiserver's defaulting functions do; safe to repeat."""
    kind = obj["kind"]
    if kind in _SPEC_KINDS:
        obj.setdefault("spec", {})
    if kind in _STATUS_KINDS:
        obj.setdefault("status", {})
    spec = obj.get("spec")
    if kind == "Namespace":
        meta = obj["metadata"]
        meta["labels"] = {**(meta.get("labels") or {}), "kubernetes.io/metadata.name": meta["name"]}
    elif kind == "Pod" and isinstance(spec, dict):
        _pod_spec(spec)
    elif kind == "Job" and isinstance(spec, dict):
        _job_spec(spec)
    elif kind == "DaemonSet" and isinstance(spec, dict):
        _daemonset_spec(spec)
    elif kind == "Service" and isinstance(spec, dict):
        _service_spec(spec)
    return obj


def _pod_spec(spec: Obj) -> None:
    """Defaults of a PodSpec, in a Pod or a pod template."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if isinstance(container, dict):
            _container(container)


def _container(container: Obj) -> None:
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("imagePullPolicy", _pull_policy(container.get("image") or ""))
    resources = container.setdefault("resources", {})
    limits = resources.get("limits") or {}
    if limits:
        requests = resources.setdefault("requests", {})
        for name, quantity in limits.items():
            requests.setdefault(name, quantity)
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")


def _pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or untagged images, else ``IfNotPresent``."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _admit_pod(pod: Obj) -> None:
    """What the ServiceAccount admission plugin and create add to a new Pod: service account, status."""
    spec = pod.get("spec")
    if isinstance(spec, dict):
        account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        spec["serviceAccountName"] = spec["serviceAccount"] = account
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    pod["status"] = {"phase": "Pending", "qosClass": _qos_class(spec if isinstance(spec, dict) else {})}


def _qos_class(spec: Obj) -> str:
    """The pod's QoS class from its containers' cpu and memory requests and limits."""
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    sections = [c.get("resources") or {} for c in containers]
    requests = [{k: v for k, v in (s.get("requests") or {}).items() if k in ("cpu", "memory")} for s in sections]
    limits = [{k: v for k, v in (s.get("limits") or {}).items() if k in ("cpu", "memory")} for s in sections]
    if not any(requests) and not any(limits):
        return "BestEffort"
    guaranteed = all(len(lim) == 2 and (req or lim) == lim for req, lim in zip(requests, limits))
    return "Guaranteed" if guaranteed else "Burstable"


def _select_job_pods(job: Obj) -> None:
    """A Job's generated selector and the labels it puts on its template, from the Job's uid."""
    spec = job.get("spec")
    if not isinstance(spec, dict) or spec.get("manualSelector"):
        return
    uid, name = job["metadata"]["uid"], job["metadata"]["name"]
    spec["selector"] = {"matchLabels": {JOB_UID_LABELS[0]: uid}}
    template = spec.get("template")
    if isinstance(template, dict):
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels.update({key: uid for key in JOB_UID_LABELS})
        labels.update({key: name for key in JOB_NAME_LABELS})


def _job_spec(spec: Obj) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    _template(spec)


def _daemonset_spec(spec: Obj) -> None:
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        strategy["type"] = "RollingUpdate"
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    _template(spec)


def _service_spec(spec: Obj) -> None:
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))


def _template(spec: Obj) -> None:
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        _pod_spec(template["spec"])
