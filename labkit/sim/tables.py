"""Server-side printing: ``meta.k8s.io/v1`` Tables with the columns kube-apiserver gives kubectl.

Cells follow kubernetes' ``pkg/printers/internalversion`` printers; the server always fills the
wide (priority 1) cells and kubectl decides whether to show them.

Example:
    >>> human_duration(182)
    '3m2s'
    >>> table("Namespace", [], include_object="Metadata", now=0.0)["columnDefinitions"][0]["name"]
    'Name'
"""

from __future__ import annotations

import calendar
import time
from typing import Any, Callable

Obj = dict[str, Any]
Row = list[Any]

_NONE = "<none>"


def table(kind: str, objects: list[Obj], *, include_object: str, now: float, resource_version: str = "") -> Obj:
    """A Table of ``objects`` of one kind.

    Args:
        kind: The objects' kind, one of ``PRINTERS``.
        objects: The objects, in the order to show them.
        include_object: ``None``, ``Metadata`` (PartialObjectMetadata) or ``Object``, as the request asked.
        now: The time AGE counts to, in epoch seconds.
        resource_version: The list's resourceVersion.
    """
    columns, cells = PRINTERS[kind]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": [_column(*c) for c in columns],
        "rows": [_row(obj, cells(obj, now), include_object) for obj in objects],
    }


def human_duration(seconds: float) -> str:
    """kubernetes' ``duration.HumanDuration``: ``45s``, ``3m2s``, ``15m``, ``5h3m``, ``3d4h``, ``2y7d``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def age(timestamp: Any, now: float) -> str:
    """How long ago an RFC 3339 timestamp was, or ``<unknown>`` without one."""
    if not timestamp:
        return "<unknown>"
    return human_duration(now - epoch(timestamp))


def epoch(timestamp: str) -> float:
    """Seconds since the epoch of an RFC 3339 UTC timestamp (fractions of a second allowed)."""
    whole = timestamp.rstrip("Z").split(".")[0]
    return float(calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")))


def _column(name: str, priority: int = 0, type_: str = "string", format_: str = "") -> Obj:
    return {"name": name, "type": type_, "format": format_, "description": "", "priority": priority}


def _row(obj: Obj, cells: Row, include_object: str) -> Obj:
    row: Obj = {"cells": cells}
    if include_object == "Object":
        row["object"] = obj
    elif include_object != "None":
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
    if obj.get("kind") == "Pod" and obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
        row["conditions"] = [{"type": "Completed", "status": "True",
                              "reason": obj["status"]["phase"], "message": "The pod has completed"}]
    return row


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata", {})


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _format_labels(labels: dict[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or _NONE


def _format_selector(selector: Obj | None) -> str:
    """kubernetes' ``metav1.FormatLabelSelector``."""
    if not selector:
        return _NONE
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        operator, values = expression["operator"], ",".join(sorted(expression.get("values") or []))
        if operator in ("In", "NotIn"):
            parts.append(f"{expression['key']} {operator.lower()} ({values})")
        else:
            parts.append(("!" if operator == "DoesNotExist" else "") + expression["key"])
    return ",".join(parts) or _NONE


def _containers_and_images(pod_spec: Obj) -> Row:
    containers = pod_spec.get("containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


# --- nodes ---------------------------------------------------------------------------------------

_NODE_COLUMNS = [("Name", 0, "string", "name"), ("Status",), ("Roles",), ("Age",), ("Version",),
                 ("Internal-IP", 1), ("External-IP", 1), ("OS-Image", 1), ("Kernel-Version", 1),
                 ("Container-Runtime", 1)]


def _node_cells(node: Obj, now: float) -> Row:
    status, info = _status(node), _status(node).get("nodeInfo") or {}
    return [
        _meta(node)["name"], _node_status(node), _node_roles(_meta(node).get("labels") or {}),
        age(_meta(node).get("creationTimestamp"), now), info.get("kubeletVersion", ""),
        _node_address(status, "InternalIP"), _node_address(status, "ExternalIP"),
        info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _node_status(node: Obj) -> str:
    ready = [c for c in _status(node).get("conditions") or [] if c.get("type") == "Ready"]
    states = ["Ready" if ready[0].get("status") == "True" else "NotReady"] if ready else ["Unknown"]
    if _spec(node).get("unschedulable"):
        states.append("SchedulingDisabled")
    return ",".join(states)


def _node_roles(labels: dict[str, str]) -> str:
    """Roles from ``node-role.kubernetes.io/<role>`` labels and the value of ``kubernetes.io/role``."""
    roles = {k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and k.split("/", 1)[1]}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    return ",".join(sorted(roles)) or _NONE


def _node_address(status: Obj, kind: str) -> str:
    return next((a["address"] for a in status.get("addresses") or [] if a.get("type") == kind), _NONE)


# --- pods ----------------------------------------------------------------------------------------

_POD_COLUMNS = [("Name", 0, "string", "name"), ("Ready",), ("Status",), ("Restarts", 0, "string"), ("Age",),
                ("IP", 1), ("Node", 1), ("Nominated Node", 1), ("Readiness Gates", 1)]


def _pod_cells(pod: Obj, now: float) -> Row:
    spec, status = _spec(pod), _status(pod)
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready") and "running" in (c.get("state") or {}))
    gates = spec.get("readinessGates") or []
    return [
        _meta(pod)["name"], f"{ready}/{len(spec.get('containers') or [])}", _pod_reason(pod),
        _restarts(status, now), age(_meta(pod).get("creationTimestamp"), now),
        status.get("podIP") or _NONE, spec.get("nodeName") or _NONE,
        status.get("nominatedNodeName") or _NONE, _readiness_gates(gates, status),
    ]


def _pod_reason(pod: Obj) -> str:
    """The STATUS column: the phase, refined by init and container states as ``kubectl get pods`` shows."""
    spec, status = _spec(pod), _status(pod)
    reason = status.get("reason") or status.get("phase") or ""
    init_reason = _init_reason(spec, status)
    if init_reason:
        reason = init_reason
    else:
        for container in reversed(status.get("containerStatuses") or []):
            state = container.get("state") or {}
            waiting, terminated = state.get("waiting") or {}, state.get("terminated")
            if waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None:
                reason = terminated.get("reason") or _exit_reason(terminated)
        running = any("running" in (c.get("state") or {}) for c in status.get("containerStatuses") or [])
        if reason == "Completed" and running:
            reason = "Running" if _has_condition(status, "Ready") else "NotReady"
    if _meta(pod).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason


def _has_condition(status: Obj, kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or [])


def _init_reason(spec: Obj, status: Obj) -> str:
    """The ``Init:...`` status while init containers have not all succeeded, else ``""``."""
    count = len(spec.get("initContainers") or [])
    for index, container in enumerate(status.get("initContainerStatuses") or []):
        state = container.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting") or {}
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if terminated is not None:
            return "Init:" + (terminated.get("reason") or _exit_reason(terminated))
        if waiting.get("reason") and waiting["reason"] != "PodInitializing":
            return "Init:" + waiting["reason"]
        return f"Init:{index}/{count}"
    return ""


def _exit_reason(terminated: Obj) -> str:
    if terminated.get("signal"):
        return f"Signal:{terminated['signal']}"
    return f"ExitCode:{terminated.get('exitCode', 0)}"


def _restarts(status: Obj, now: float) -> str:
    """RESTARTS as kubectl 1.22+ shows it: ``2 (35s ago)`` after a restart."""
    containers = status.get("containerStatuses") or []
    count = sum(c.get("restartCount", 0) for c in containers)
    finished = [((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt") for c in containers]
    finished = [f for f in finished if f]
    if count and finished:
        return f"{count} ({age(max(finished), now)} ago)"
    return str(count)


def _readiness_gates(gates: list[Obj], status: Obj) -> str:
    if not gates:
        return _NONE
    true = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
    return f"{sum(1 for g in gates if g.get('conditionType') in true)}/{len(gates)}"


# --- namespaces, daemonsets, jobs, events, services, leases -------------------------------------

_NAMESPACE_COLUMNS = [("Name", 0, "string", "name"), ("Status",), ("Age",)]


def _namespace_cells(namespace: Obj, now: float) -> Row:
    return [_meta(namespace)["name"], _status(namespace).get("phase", ""),
            age(_meta(namespace).get("creationTimestamp"), now)]


_DAEMONSET_COLUMNS = [("Name", 0, "string", "name"), ("Desired", 0, "integer"), ("Current", 0, "integer"),
                      ("Ready", 0, "integer"), ("Up-to-date", 0, "integer"), ("Available", 0, "integer"),
                      ("Node Selector",), ("Age",), ("Containers", 1), ("Images", 1), ("Selector", 1)]


def _daemonset_cells(daemonset: Obj, now: float) -> Row:
    spec, status = _spec(daemonset), _status(daemonset)
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    return [
        _meta(daemonset)["name"], status.get("desiredNumberScheduled", 0), status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0), status.get("updatedNumberScheduled", 0), status.get("numberAvailable", 0),
        _format_labels(pod_spec.get("nodeSelector")), age(_meta(daemonset).get("creationTimestamp"), now),
        *_containers_and_images(pod_spec), _format_selector(spec.get("selector")),
    ]


_JOB_COLUMNS = [("Name", 0, "string", "name"), ("Status",), ("Completions",), ("Duration",), ("Age",),
                ("Containers", 1), ("Images", 1), ("Selector", 1)]

#: The STATUS column's word for a Job condition, in kubectl's order of precedence.
_JOB_STATES = (("Complete", "Complete"), ("Failed", "Failed"), ("Suspended", "Suspended"),
               ("FailureTarget", "FailureTarget"), ("SuccessCriteriaMet", "SuccessCriteriaMet"))


def _job_cells(job: Obj, now: float) -> Row:
    spec, status = _spec(job), _status(job)
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    return [
        _meta(job)["name"], _job_status(job), _job_completions(spec, status), _job_duration(status, now),
        age(_meta(job).get("creationTimestamp"), now), *_containers_and_images(pod_spec),
        _format_selector(spec.get("selector")),
    ]


def _job_status(job: Obj) -> str:
    true = {c.get("type") for c in _status(job).get("conditions") or [] if c.get("status") == "True"}
    if _meta(job).get("deletionTimestamp") and not true & {"Complete", "Failed"}:
        return "Terminating"
    return next((word for condition, word in _JOB_STATES if condition in true), "Running")


def _job_completions(spec: Obj, status: Obj) -> str:
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = spec.get("parallelism") or 0
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_duration(status: Obj, now: float) -> str:
    if not status.get("startTime"):
        return ""
    end = epoch(status["completionTime"]) if status.get("completionTime") else now
    return human_duration(end - epoch(status["startTime"]))


_EVENT_COLUMNS = [("Last Seen",), ("Type",), ("Reason",), ("Object",), ("Subobject", 1), ("Source", 1),
                  ("Message",), ("First Seen", 1), ("Count", 1, "integer"), ("Name", 1, "string", "name")]


def _event_cells(event: Obj, now: float) -> Row:
    involved = event.get("involvedObject") or {}
    first = age(event.get("firstTimestamp") or event.get("eventTime"), now)
    last = age(event["lastTimestamp"], now) if event.get("lastTimestamp") else first
    kind = (involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    return [last, event.get("type", ""), event.get("reason", ""), target, involved.get("fieldPath", ""),
            _event_source(event), (event.get("message") or "").strip(), first, event.get("count") or 1,
            _meta(event)["name"]]


def _event_source(event: Obj) -> str:
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    host = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {host}" if host else component


_SERVICE_COLUMNS = [("Name", 0, "string", "name"), ("Type",), ("Cluster-IP",), ("External-IP",), ("Port(s)",),
                    ("Age",), ("Selector", 1)]


def _service_cells(service: Obj, now: float) -> Row:
    spec = _spec(service)
    ingress = ((_status(service).get("loadBalancer") or {}).get("ingress") or [])
    external = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress) or (
        "<pending>" if spec.get("type") == "LoadBalancer" else _NONE)
    ports = ",".join(_service_port(p) for p in spec.get("ports") or []) or _NONE
    return [_meta(service)["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP") or _NONE, external, ports,
            age(_meta(service).get("creationTimestamp"), now), _format_labels(spec.get("selector"))]


def _service_port(port: Obj) -> str:
    node_port = f":{port['nodePort']}" if port.get("nodePort") else ""
    return f"{port.get('port')}{node_port}/{port.get('protocol', 'TCP')}"


_LEASE_COLUMNS = [("Name", 0, "string", "name"), ("Holder",), ("Age",)]


def _lease_cells(lease: Obj, now: float) -> Row:
    return [_meta(lease)["name"], _spec(lease).get("holderIdentity", ""),
            age(_meta(lease).get("creationTimestamp"), now)]


_REVISION_COLUMNS = [("Name", 0, "string", "name"), ("Controller",), ("Revision", 0, "integer"), ("Age",)]


def _revision_cells(revision: Obj, now: float) -> Row:
    owner = next((r for r in _meta(revision).get("ownerReferences") or [] if r.get("controller")), None)
    controller = f"{owner['kind'].lower()}.{owner['apiVersion'].split('/')[0]}/{owner['name']}" if owner else _NONE
    return [_meta(revision)["name"], controller, revision.get("revision", 0),
            age(_meta(revision).get("creationTimestamp"), now)]


PRINTERS: dict[str, tuple[list, Callable[[Obj, float], Row]]] = {
    "Node": (_NODE_COLUMNS, _node_cells),
    "Pod": (_POD_COLUMNS, _pod_cells),
    "Namespace": (_NAMESPACE_COLUMNS, _namespace_cells),
    "DaemonSet": (_DAEMONSET_COLUMNS, _daemonset_cells),
    "Job": (_JOB_COLUMNS, _job_cells),
    "Event": (_EVENT_COLUMNS, _event_cells),
    "Lease": (_LEASE_COLUMNS, _lease_cells),
    "Service": (_SERVICE_COLUMNS, _service_cells),
    "ControllerRevision": (_REVISION_COLUMNS, _revision_cells),
}
