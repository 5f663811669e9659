"""Events as Kubernetes' components record them: about an object, from a component, Normal or Warning."""

from __future__ import annotations

import secrets

from labkit.sim.store import Obj, Store, rfc3339


def kubelet_node_reference(name: str) -> Obj:
    """The node as its kubelet names it in events: uid = node name (``kubectl describe node`` asks for both
    the node's uid and its name as uid, kubernetes staging/src/k8s.io/kubectl/pkg/describe/describe.go)."""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": name}}


class Events:
    """Writes ``v1`` Events to the store, one per call (no aggregation of repeats)."""

    def __init__(self, store: Store):
        self._store = store

    def record(self, obj: Obj, reason: str, message: str, *, component: str, event_type: str = "Normal",
               host: str = "") -> None:
        """Record one event; ``host`` is the node of a node-local component (the kubelet)."""
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        now = rfc3339()
        self._store.create({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{secrets.token_hex(8)}", "namespace": namespace},
            "involvedObject": {
                "apiVersion": obj.get("apiVersion"), "kind": obj["kind"], "name": meta["name"],
                "namespace": meta.get("namespace", ""), "uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": reason, "message": message, "type": event_type, "count": 1,
            "firstTimestamp": now, "lastTimestamp": now,
            "source": {"component": component, **({"host": host} if host else {})},
            "reportingComponent": component, "reportingInstance": host,
        })
