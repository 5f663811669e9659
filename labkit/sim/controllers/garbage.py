"""Garbage collection: objects whose controlling owner is gone, and pods whose node is gone, are deleted.

The first is the garbage collector's background deletion through owner references
(pkg/controller/garbagecollector), the second the pod GC's orphaned pods (pkg/controller/podgc).
"""

from __future__ import annotations

from labkit.sim.controllers.pods import delete_quietly
from labkit.sim.store import Store

#: The kinds that own objects here, and the kinds they own.
_OWNER_KINDS = ("DaemonSet", "Job")
_OWNED_KINDS = ("Pod", "ControllerRevision")


class GarbageCollector:
    def __init__(self, store: Store):
        self.store = store

    def reconcile(self) -> None:
        owners = {o["metadata"]["uid"] for kind in _OWNER_KINDS for o in self.store.iter(kind)}
        nodes = {n["metadata"]["name"] for n in self.store.iter("Node")}
        for kind in _OWNED_KINDS:
            for obj in list(self.store.iter(kind)):
                refs = obj["metadata"].get("ownerReferences") or []
                orphan = any(r.get("controller") and r.get("uid") not in owners for r in refs)
                node = (obj.get("spec") or {}).get("nodeName") if kind == "Pod" else None
                if orphan or (node and node not in nodes):
                    delete_quietly(self.store, kind, obj["metadata"]["namespace"], obj["metadata"]["name"])
