"""The DaemonSet controller: one pod per eligible node, replaced when the template changes; status counts."""

from __future__ import annotations

from labkit.sim.controllers.events import Events
from labkit.sim.controllers.pods import delete_quietly, owned_pods, pod_from_template, pod_ready
from labkit.sim.controllers.taints import untolerated_taint
from labkit.sim.store import Obj, Store

_POD_TOLERATED = {
    "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "node.kubernetes.io/unschedulable",
    "node.kubernetes.io/memory-pressure", "node.kubernetes.io/disk-pressure", "node.kubernetes.io/pid-pressure",
}


class DaemonSetController:
    def __init__(self, store: Store, events: Events):
        self.store = store
        self.events = events

    def reconcile(self) -> None:
        nodes = list(self.store.iter("Node"))
        for ds in list(self.store.iter("DaemonSet")):
            template = ds["spec"]["template"]
            generation = str(ds["metadata"].get("generation", 1))
            eligible = {n["metadata"]["name"] for n in nodes if _daemon_fits(template["spec"], n)}
            placed: set[str] = set()
            for pod in owned_pods(self.store, ds):
                node = pod["spec"].get("nodeName")
                stale = pod["metadata"].get("labels", {}).get("pod-template-generation") != generation
                if node not in eligible or node in placed or stale:
                    delete_quietly(self.store, "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
                else:
                    placed.add(node)
            for node in sorted(eligible - placed):
                pod = pod_from_template(ds, "DaemonSet", "apps/v1", {"pod-template-generation": generation})
                pod["spec"]["nodeName"] = node
                created = self.store.create(pod)
                self.events.record(ds, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}", component="daemonset-controller")
                self.events.record(created, "Scheduled", f"Successfully assigned {created['metadata']['namespace']}/{created['metadata']['name']} to {node}", component="default-scheduler")

    def report(self) -> None:
        nodes = list(self.store.iter("Node"))
        for stored in list(self.store.iter("DaemonSet")):
            ds = self.store.get("DaemonSet", stored["metadata"]["namespace"], stored["metadata"]["name"])
            eligible = {n["metadata"]["name"] for n in nodes if _daemon_fits(ds["spec"]["template"]["spec"], n)}
            pods = [p for p in owned_pods(self.store, ds) if p["spec"].get("nodeName") in eligible]
            ready = sum(1 for p in pods if pod_ready(p))
            status = {
                "currentNumberScheduled": len(pods),
                "desiredNumberScheduled": len(eligible),
                "numberMisscheduled": 0,
                "numberReady": ready,
                "numberAvailable": ready,
                "updatedNumberScheduled": len(pods),
                "observedGeneration": ds["metadata"].get("generation", 1),
            }
            if len(eligible) > ready:
                status["numberUnavailable"] = len(eligible) - ready
            if ds.get("status") != status:
                ds["status"] = status
                self.store.update(ds)


def _daemon_fits(pod_spec: Obj, node: Obj) -> bool:
    labels = node["metadata"].get("labels", {})
    if any(labels.get(k) != v for k, v in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    tolerations = (pod_spec.get("tolerations") or []) + [{"key": k, "operator": "Exists"} for k in _POD_TOLERATED]
    return untolerated_taint(tolerations, node["spec"].get("taints") or []) is None
