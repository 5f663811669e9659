"""The DaemonSet controller, as kubernetes' daemon controller does it (pkg/controller/daemon).

For every node it decides whether the daemon should run there and whether a pod already there may stay
(``NodeShouldRunDaemonPod``: node selector and required node affinity, taints against the template's
tolerations plus the daemon tolerations), creates the missing pods, removes those that may not stay, and
replaces pods of an old template within ``maxUnavailable`` (RollingUpdate) or leaves them (OnDelete).
Each pod gets, as ``daemonset_util.go`` gives it: the daemon tolerations without a time limit, node
affinity on ``metadata.name`` (``matchFields``) in place of the template's required terms, and the labels
``controller-revision-hash`` and ``pod-template-generation``; the default scheduler binds it. Every
template has a ControllerRevision ``<name>-<hash>``, which ``kubectl rollout history`` reads.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from labkit.sim.admission import admit, same_toleration
from labkit.sim.controllers import affinity
from labkit.sim.controllers.events import Events
from labkit.sim.controllers.pods import delete_quietly, owned, owned_pods, pod_from_template, pod_ready
from labkit.sim.controllers.taints import untolerated_taint
from labkit.sim.defaults import SAFE_ALPHABET
from labkit.sim.store import Obj, Store

#: AddOrUpdateDaemonPodTolerations (pkg/controller/daemon/util/daemonset_util.go): daemons survive node
#: problems and cordons; with hostNetwork they also run where the network is not ready yet.
DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]
HOST_NETWORK_TOLERATION = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}


def template_hash(template: Obj) -> str:
    """The ``controller-revision-hash`` of a template: FNV-32a, encoded as controller.ComputeHash does (no collision count)."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(SAFE_ALPHABET[ord(c) % len(SAFE_ALPHABET)] for c in str(value))


def daemon_tolerations(template_spec: Obj) -> list[Obj]:
    """The template's tolerations with the daemon tolerations added or put in place of their like."""
    tolerations = list(template_spec.get("tolerations") or [])
    wanted = DAEMON_TOLERATIONS + ([HOST_NETWORK_TOLERATION] if template_spec.get("hostNetwork") else [])
    for toleration in wanted:
        tolerations = [t for t in tolerations if not same_toleration(t, toleration)] + [dict(toleration)]
    return tolerations


def daemon_pod_spec(template_spec: Obj, node: str) -> Obj:
    """The template's pod spec with the daemon tolerations and node affinity on ``node``'s name."""
    spec = copy.deepcopy(template_spec)
    spec["tolerations"] = daemon_tolerations(template_spec)
    on_node = {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}
    node_affinity = spec.setdefault("affinity", {}).setdefault("nodeAffinity", {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = on_node
    return spec


def node_should_run(template_spec: Obj, tolerations: list[Obj], node: Obj) -> tuple[bool, bool]:
    """(should a daemon pod be created there, may an existing one stay), as NodeShouldRunDaemonPod says.

    ``tolerations`` are the template's :func:`daemon_tolerations`.
    """
    if template_spec.get("nodeName") and template_spec["nodeName"] != node["metadata"]["name"]:
        return False, False
    if not affinity.allows(template_spec, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    if untolerated_taint(tolerations, taints) is None:
        return True, True
    no_execute = [t for t in taints if t.get("effect") == "NoExecute"]
    return False, untolerated_taint(tolerations, no_execute) is None


def target_node(pod: Obj) -> str:
    """The node a daemon pod is for: where it is bound, else its ``matchFields`` affinity."""
    if pod["spec"].get("nodeName"):
        return pod["spec"]["nodeName"]
    terms = (((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {})
             .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or []
    for term in terms:
        for requirement in term.get("matchFields") or []:
            if requirement.get("key") == "metadata.name" and requirement.get("values"):
                return requirement["values"][0]
    return ""


class DaemonSetController:
    def __init__(self, store: Store, events: Events):
        self.store = store
        self.events = events
        self._hashes: dict[tuple[str, int], str] = {}  # by (uid, generation): templates change with generations

    def reconcile(self) -> None:
        nodes = list(self.store.iter("Node"))
        for ds in list(self.store.iter("DaemonSet")):
            current = self._hash(ds)
            ds_pods = owned_pods(self.store, ds)  # the revision upkeep leaves pods as they are
            self._keep_revision(ds, current, ds_pods)
            self._sync(ds, nodes, current, ds_pods)

    def _hash(self, ds: Obj) -> str:
        key = (ds["metadata"]["uid"], ds["metadata"].get("generation", 1))
        if key not in self._hashes:
            self._hashes[key] = template_hash(ds["spec"]["template"])
        return self._hashes[key]

    def _sync(self, ds: Obj, nodes: list[Obj], current: str, ds_pods: list[Obj]) -> None:
        template_spec = ds["spec"]["template"]["spec"]
        tolerations = daemon_tolerations(template_spec)
        by_node: dict[str, list[Obj]] = {}
        for pod in ds_pods:
            by_node.setdefault(target_node(pod), []).append(pod)
        names = {n["metadata"]["name"] for n in nodes}
        for node_name in set(by_node) - names:
            self._delete(ds, by_node.pop(node_name))
        unavailable, old = 0, []
        for node in nodes:
            name = node["metadata"]["name"]
            run, stay = node_should_run(template_spec, tolerations, node)
            pods = sorted(by_node.get(name, []), key=lambda p: p["metadata"]["creationTimestamp"])
            failed = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
            keep = [p for p in pods if p not in failed][:1] if stay else []
            self._delete(ds, [p for p in pods if p not in keep])
            if run and not keep:
                self._create(ds, name, current)
            if run and not (keep and pod_ready(keep[0])):
                unavailable += 1
            old += [p for p in keep if _revision_hash(p) != current]
        if _strategy(ds) == "RollingUpdate":
            self._roll(ds, old, unavailable)

    def _roll(self, ds: Obj, old: list[Obj], unavailable: int) -> None:
        """Replace old pods: the unready ones at once, the ready ones while fewer than maxUnavailable are down."""
        budget = _max_unavailable(ds) - unavailable
        for pod in sorted(old, key=pod_ready):
            if not pod_ready(pod):
                self._delete(ds, [pod])
            elif budget > 0:
                self._delete(ds, [pod])
                budget -= 1

    def _create(self, ds: Obj, node: str, current: str) -> None:
        labels = {"controller-revision-hash": current, "pod-template-generation": str(ds["metadata"].get("generation", 1))}
        pod = pod_from_template(ds, "DaemonSet", "apps/v1", labels)
        pod["spec"] = daemon_pod_spec(pod["spec"], node)
        created = self.store.create(admit(pod))
        self.events.record(ds, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}", component="daemonset-controller")

    def _delete(self, ds: Obj, pods: list[Obj]) -> None:
        for pod in pods:
            delete_quietly(self.store, "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
            self.events.record(ds, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}", component="daemonset-controller")

    def _keep_revision(self, ds: Obj, current: str, ds_pods: list[Obj]) -> None:
        """The ControllerRevision of the current template is the newest; old ones beyond the history limit go."""
        revisions = owned(self.store, "ControllerRevision", ds)
        newest = max((r.get("revision", 0) for r in revisions), default=0)
        mine = next((r for r in revisions if _revision_hash(r) == current), None)
        if mine is None:
            self.store.create(_revision(ds, current, newest + 1))
        elif mine.get("revision", 0) != newest:
            renumbered = self.store.get("ControllerRevision", mine["metadata"]["namespace"], mine["metadata"]["name"])
            renumbered["revision"] = newest + 1
            self.store.update(renumbered)
        limit = ds["spec"].get("revisionHistoryLimit", 10)
        in_use = {_revision_hash(p) for p in ds_pods} | {current}
        stale = sorted((r for r in revisions if (r["metadata"].get("labels") or {}).get("controller-revision-hash") not in in_use),
                       key=lambda r: r.get("revision", 0))
        for revision in stale[:max(0, len(stale) - limit)]:
            delete_quietly(self.store, "ControllerRevision", revision["metadata"]["namespace"], revision["metadata"]["name"])

    def report(self) -> None:
        nodes = list(self.store.iter("Node"))
        alive = set()
        for stored in list(self.store.iter("DaemonSet")):
            alive.add(stored["metadata"]["uid"])
            status = _status(stored, self._hash(stored), nodes, owned_pods(self.store, stored))
            if stored.get("status") != status:
                ds = self.store.get("DaemonSet", stored["metadata"]["namespace"], stored["metadata"]["name"])
                ds["status"] = status
                self.store.update(ds)
        self._hashes = {key: value for key, value in self._hashes.items() if key[0] in alive}


def _status(ds: Obj, current: str, nodes: list[Obj], pods: list[Obj]) -> Obj:
    spec = ds["spec"]["template"]["spec"]
    tolerations = daemon_tolerations(spec)
    should_run = {n["metadata"]["name"] for n in nodes if node_should_run(spec, tolerations, n)[0]}
    scheduled = {target_node(p): p for p in pods if p["spec"].get("nodeName")}
    on_desired = [p for node, p in scheduled.items() if node in should_run]
    ready = sum(1 for p in on_desired if pod_ready(p))
    status: dict[str, Any] = {
        "currentNumberScheduled": len(on_desired),
        "desiredNumberScheduled": len(should_run),
        "numberMisscheduled": len(set(scheduled) - should_run),
        "numberReady": ready,
        "numberAvailable": ready,
        "updatedNumberScheduled": sum(1 for p in on_desired if _revision_hash(p) == current),
        "observedGeneration": ds["metadata"].get("generation", 1),
    }
    if len(should_run) > ready:
        status["numberUnavailable"] = len(should_run) - ready
    return status


def _revision(ds: Obj, current: str, number: int) -> Obj:
    template = ds["spec"]["template"]
    return {
        "apiVersion": "apps/v1", "kind": "ControllerRevision",
        "metadata": {
            "name": f"{ds['metadata']['name']}-{current}", "namespace": ds["metadata"]["namespace"],
            "labels": {**(template.get("metadata") or {}).get("labels", {}), "controller-revision-hash": current},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": ds["metadata"]["name"],
                                 "uid": ds["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}],
        },
        "data": {"spec": {"template": {**copy.deepcopy(template), "$patch": "replace"}}},
        "revision": number,
    }


def _revision_hash(obj: Obj) -> str:
    """The ``controller-revision-hash`` label of a pod or a ControllerRevision; "" without one."""
    return (obj["metadata"].get("labels") or {}).get("controller-revision-hash", "")


def _strategy(ds: Obj) -> str:
    return (ds["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate")


def _max_unavailable(ds: Obj) -> int:
    """``maxUnavailable`` as a number of pods (a percentage of the desired ones, rounded up); at least 1."""
    value = ((ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}).get("maxUnavailable", 1)
    desired = (ds.get("status") or {}).get("desiredNumberScheduled", 0)
    if isinstance(value, str) and value.endswith("%"):
        value = math.ceil(desired * int(value[:-1]) / 100) if value[:-1].isdigit() else 1
    return max(1, value if isinstance(value, int) else 1)
