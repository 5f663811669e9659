"""The scheduler: pending pods go to the least busy node that fits, or get ``FailedScheduling`` saying why not.

A node fits when it passes kube-scheduler's filters in their order, the first failing one giving the
node's reason (pkg/scheduler/framework/plugins): NodeUnschedulable, TaintToleration (a NotReady node
carries the not-ready taint), NodeAffinity (node selector and required node affinity), NodeResourcesFit
for the extended resources (the GPU) the pod asks for.
"""

from __future__ import annotations

from labkit.sim.controllers.events import Events
from labkit.sim.controllers import affinity
from labkit.sim.controllers.node_lifecycle import UNSCHEDULABLE_TAINT
from labkit.sim.controllers.pods import condition, extended_requests, quantity, set_condition
from labkit.sim.controllers.taints import tolerates, untolerated_taint
from labkit.sim.store import Obj, Store, rfc3339


_UNSCHEDULABLE = {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}


class Scheduler:
    def __init__(self, store: Store, events: Events):
        self.store = store
        self.events = events

    def reconcile(self) -> None:
        pending = [p for p in self.store.iter("Pod") if not p["spec"].get("nodeName") and p.get("status", {}).get("phase", "Pending") == "Pending"]
        if not pending:
            return
        nodes = list(self.store.iter("Node"))
        for pod in pending:
            reasons: dict[str, int] = {}
            fitting = [n for n in nodes if self._fits(pod, n, reasons)]
            pod = self.store.get("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
            if fitting:
                node = min(fitting, key=lambda n: (self._pods_on(n["metadata"]["name"]), n["metadata"]["name"]))["metadata"]["name"]
                pod["spec"]["nodeName"] = node
                set_condition(pod, condition("PodScheduled", None, None, rfc3339(), status="True"))
                self.store.update(pod)
                self.events.record(pod, "Scheduled", f"Successfully assigned {pod['metadata']['namespace']}/{pod['metadata']['name']} to {node}", component="default-scheduler")
            else:
                detail = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
                message = f"0/{len(nodes)} nodes are available: {detail}." if nodes else "no nodes available to schedule pods"
                if set_condition(pod, condition("PodScheduled", "Unschedulable", message, rfc3339(), status="False")):
                    self.store.update(pod)
                    self.events.record(pod, "FailedScheduling", message, event_type="Warning", component="default-scheduler")

    def _fits(self, pod: Obj, node: Obj, reasons: dict[str, int]) -> bool:
        def no(reason: str) -> bool:
            reasons[reason] = reasons.get(reason, 0) + 1
            return False

        tolerations = pod["spec"].get("tolerations") or []
        if node["spec"].get("unschedulable") and not any(tolerates(t, _UNSCHEDULABLE) for t in tolerations):
            return no("node(s) were unschedulable")
        taint = untolerated_taint(tolerations, node["spec"].get("taints") or [])
        if taint:
            return no(f"node(s) had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}")
        if not affinity.allows(pod["spec"], node):
            return no("node(s) didn't match Pod's node affinity/selector")
        for resource, amount in extended_requests(pod).items():
            free = quantity(node["status"].get("allocatable", {}).get(resource, "0")) - self._used(node["metadata"]["name"], resource)
            if free < amount:
                return no(f"Insufficient {resource}")
        return True

    def _pods_on(self, node: str) -> int:
        return sum(1 for p in self.store.iter("Pod") if p["spec"].get("nodeName") == node)

    def _used(self, node: str, resource: str) -> int:
        return sum(
            extended_requests(p).get(resource, 0)
            for p in self.store.iter("Pod")
            if p["spec"].get("nodeName") == node and p.get("status", {}).get("phase") in ("Pending", "Running")
        )
