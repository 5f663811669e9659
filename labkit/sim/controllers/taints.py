"""Taints and tolerations: which taint of a node a pod's tolerations leave untolerated."""

from __future__ import annotations

from typing import Optional

from labkit.sim.store import Obj


def parse_taint(text: str) -> dict[str, str]:
    """A taint from AKS's ``key=value:Effect`` notation (a pool's ``nodeTaints``)."""
    key_value, _, effect = text.partition(":")
    key, _, value = key_value.partition("=")
    taint = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    return taint


def untolerated_taint(tolerations: list[Obj], taints: list[Obj]) -> Optional[Obj]:
    """The first NoSchedule or NoExecute taint no toleration matches, or None."""
    for taint in taints:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def tolerates(toleration: Obj, taint: Obj) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if not toleration.get("key"):
        return toleration.get("operator") == "Exists"
    if toleration["key"] != taint.get("key"):
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return True
    return toleration.get("value", "") == taint.get("value", "")
