"""The namespace controller: a deleted namespace is emptied, then removed once its time has passed."""

from __future__ import annotations

from labkit.sim import resources
from labkit.sim.controllers.timers import Timers
from labkit.sim.store import Store

_NAMESPACED_KINDS = [r.kind for r in resources.RESOURCES if r.namespaced]


class NamespaceController:
    def __init__(self, store: Store, timers: Timers):
        self.store = store
        self.timers = timers

    def reconcile(self) -> None:
        for ns in list(self.store.iter("Namespace")):
            if not ns["metadata"].get("deletionTimestamp"):
                continue
            name = ns["metadata"]["name"]
            for kind in _NAMESPACED_KINDS:
                for obj in self.store.list(kind, name):
                    self.store.delete(kind, name, obj["metadata"]["name"])
            if self.timers.elapsed(ns["metadata"]["uid"], "terminating"):
                self.store.delete("Namespace", "", name)
