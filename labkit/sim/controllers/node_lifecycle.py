"""The node lifecycle controller: NoSchedule taints that follow each node's conditions, and RegisteredNode.

Every node, AKS's or hand-made, carries ``node.kubernetes.io/not-ready:NoSchedule`` while its Ready
condition is False (``unreachable`` while Unknown), a pressure taint while a pressure condition is True,
and ``node.kubernetes.io/unschedulable:NoSchedule`` while cordoned; the scheduler then keeps pods away
through its taint filter. Source: kubernetes pkg/controller/nodelifecycle/node_lifecycle_controller.go
(``nodeConditionToTaintKeyStatusMap``, ``doNoScheduleTaintingPass``). The NoExecute taints of taint-based
eviction are not simulated.
"""

from __future__ import annotations

from labkit.sim.controllers.events import Events
from labkit.sim.store import Obj, Store

#: condition type -> {condition status -> taint key}.
CONDITION_TAINTS = {
    "Ready": {"False": "node.kubernetes.io/not-ready", "Unknown": "node.kubernetes.io/unreachable"},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
_MANAGED = {key for taints in CONDITION_TAINTS.values() for key in taints.values()} | {UNSCHEDULABLE_TAINT}


def condition_taints(node: Obj) -> list[Obj]:
    """The NoSchedule taints this controller wants on ``node`` now."""
    keys = [CONDITION_TAINTS.get(c.get("type"), {}).get(c.get("status"))
            for c in (node.get("status") or {}).get("conditions") or []]
    if (node.get("spec") or {}).get("unschedulable"):
        keys.append(UNSCHEDULABLE_TAINT)
    return [{"key": key, "effect": "NoSchedule"} for key in keys if key]


class NodeLifecycleController:
    def __init__(self, store: Store, events: Events):
        self.store = store
        self.events = events
        self._registered: set[str] = set()

    def reconcile(self) -> None:
        for stored in list(self.store.iter("Node")):
            if stored["metadata"]["uid"] not in self._registered:
                self._registered.add(stored["metadata"]["uid"])
                name = stored["metadata"]["name"]
                self.events.record(stored, "RegisteredNode", f"Node {name} event: Registered Node {name} in Controller",
                                   component="node-controller")
            self._taint(stored)

    def _taint(self, stored: Obj) -> None:
        taints = (stored.get("spec") or {}).get("taints") or []
        others = [t for t in taints if not (t.get("key") in _MANAGED and t.get("effect") == "NoSchedule")]
        wanted = others + condition_taints(stored)
        if _keys(wanted) != _keys(taints):
            node = self.store.get("Node", "", stored["metadata"]["name"])
            node.setdefault("spec", {})["taints"] = wanted
            self.store.update(node)


def _keys(taints: list[Obj]) -> set[tuple]:
    return {(t.get("key"), t.get("value"), t.get("effect")) for t in taints}
