"""The garbage collector: pods whose controlling owner is gone, or whose node is gone, are deleted."""

from __future__ import annotations

from labkit.sim.controllers.pods import delete_quietly
from labkit.sim.store import Store

#: The kinds that own pods.
_OWNER_KINDS = ("DaemonSet", "Job")


class GarbageCollector:
    def __init__(self, store: Store):
        self.store = store

    def reconcile(self) -> None:
        owners = {o["metadata"]["uid"] for kind in _OWNER_KINDS for o in self.store.iter(kind)}
        nodes = {n["metadata"]["name"] for n in self.store.iter("Node")}
        for pod in list(self.store.iter("Pod")):
            refs = pod["metadata"].get("ownerReferences") or []
            orphan = any(r.get("controller") and r["uid"] not in owners for r in refs)
            node_gone = pod["spec"].get("nodeName") and pod["spec"]["nodeName"] not in nodes
            if orphan or node_gone:
                delete_quietly(self.store, "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
