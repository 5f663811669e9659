"""Helpers on pods and nodes that several controllers share: ownership, conditions, requests."""

from __future__ import annotations

import copy
import secrets
import zlib
from typing import Any, Optional

from labkit.sim.defaults import SAFE_ALPHABET
from labkit.sim.store import NotFound, Obj, Store


def owned(store: Store, kind: str, owner: Obj) -> list[Obj]:
    """The objects of ``kind`` in the owner's namespace that name it as an owner, as stored: read them only."""
    uid, namespace = owner["metadata"]["uid"], owner["metadata"]["namespace"]
    return [
        o for o in store.iter(kind)
        if o["metadata"].get("namespace") == namespace
        and any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])
    ]


def owned_pods(store: Store, owner: Obj) -> list[Obj]:
    return owned(store, "Pod", owner)


def pod_from_template(owner: Obj, kind: str, api_version: str, extra_labels: dict[str, str]) -> Obj:
    """A new pod of ``owner``'s template, owned by it, as its controller sends it to the apiserver."""
    template = owner["spec"]["template"]
    name = owner["metadata"]["name"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{name}-{suffix()}",
            "namespace": owner["metadata"]["namespace"],
            "labels": {**template.get("metadata", {}).get("labels", {}), **extra_labels},
            "annotations": dict(template.get("metadata", {}).get("annotations", {})),
            "ownerReferences": [{"apiVersion": api_version, "kind": kind, "name": name, "uid": owner["metadata"]["uid"],
                                 "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": copy.deepcopy(template["spec"]),
    }
    return pod


def delete_quietly(store: Store, kind: str, namespace: str, name: str) -> None:
    try:
        store.delete(kind, namespace, name)
    except NotFound:
        pass


def suffix() -> str:
    """The random suffix controllers give the objects they name (``-x7k2p``)."""
    return "".join(secrets.choice(SAFE_ALPHABET) for _ in range(5))


def node_ready(node: Obj) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in node.get("status", {}).get("conditions", []))


def internal_ips(node: Obj) -> list[Any]:
    """The node's InternalIP addresses, in its status's order (one on every node the simulator makes)."""
    return [a.get("address") for a in (node.get("status") or {}).get("addresses") or [] if a.get("type") == "InternalIP"]


def pod_ready(pod: Obj) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def extended_requests(pod: Obj) -> dict[str, int]:
    """Requests of resources with a domain (extended resources); limits count as requests for them."""
    totals: dict[str, int] = {}
    for container in pod["spec"].get("containers", []):
        resources = container.get("resources") or {}
        merged = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        for name, amount in merged.items():
            if "/" in name:
                totals[name] = totals.get(name, 0) + quantity(amount)
    return totals


def quantity(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def condition(kind: str, reason: Optional[str], message: Optional[str], now: str, *, status: str = "True") -> Obj:
    found = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": now}
    if reason:
        found["reason"] = reason
    if message:
        found["message"] = message
    return found


def set_condition(obj: Obj, new: Obj) -> bool:
    """Put a condition in place of the one of its type; False when nothing but timestamps would change."""
    conditions = obj.setdefault("status", {}).setdefault("conditions", [])
    for i, old in enumerate(conditions):
        if old["type"] == new["type"]:
            if all(old.get(k) == new.get(k) for k in ("status", "reason", "message")):
                return False
            conditions[i] = new
            return True
    conditions.append(new)
    return True


def container_status(container: Obj, state: Obj, *, ready: bool) -> Obj:
    return {
        "name": container["name"], "image": container["image"],
        "imageID": f"{container['image'].split(':')[0]}@sha256:{zlib.crc32(container['image'].encode()):064x}",
        "containerID": f"containerd://{secrets.token_hex(32)}",
        "ready": ready, "started": "running" in state, "restartCount": 0, "state": state,
    }
