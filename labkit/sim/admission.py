"""Admission as kube-apiserver runs it on a create: defaulting, the mutating plugins AKS enables, validation.

The plugins, in kube-apiserver's order (pkg/kubeapiserver/options/plugins.go, ``AllOrderedPlugins``):

- TaintNodesByCondition (plugin/pkg/admission/nodetaint): a new Node starts with
  ``node.kubernetes.io/not-ready:NoSchedule``, which the node lifecycle controller lifts once it is Ready;
- DefaultTolerationSeconds (plugin/pkg/admission/defaulttolerationseconds): pods tolerate not-ready and
  unreachable nodes for 300 s unless they say otherwise;
- PodTolerationRestriction (plugin/pkg/admission/podtolerationrestriction): pods that are not BestEffort
  tolerate ``node.kubernetes.io/memory-pressure:NoSchedule``;
- ExtendedResourceToleration (plugin/pkg/admission/extendedresourcetoleration): a pod requesting an extended
  resource tolerates a NoSchedule taint of that name (``microsoft.com/directx:NoSchedule op=Exists``, as a
  real AKS Windows GPU pod shows in marosset/aks-windows-gpu-acceleration).

Controllers create their pods through :func:`admit_create` too, as their requests go through the apiserver.

Example:
    >>> from labkit.sim.resources import by_kind
    >>> pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [
    ...     {"name": "c", "image": "i", "resources": {"limits": {"microsoft.com/directx": "1"}}}]}}
    >>> [t["key"] for t in admit_create(by_kind("Pod"), pod)["spec"]["tolerations"]]
    ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable', 'microsoft.com/directx']
"""

from __future__ import annotations

from typing import Any

from labkit.sim import defaults, validation
from labkit.sim.resources import Resource, by_kind

Obj = dict[str, Any]

#: Added to every Pod by DefaultTolerationSeconds (``--default-not-ready-toleration-seconds`` and
#: ``--default-unreachable-toleration-seconds``, both 300 by default).
DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]
MEMORY_PRESSURE_TOLERATION = {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}
NOT_READY_TAINT = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}


def admit(obj: Obj) -> Obj:
    """A controller's new object as the apiserver would store it (:func:`admit_create` for its kind)."""
    return admit_create(by_kind(obj["kind"]), obj)


def admit_create(resource: Resource, obj: Obj) -> Obj:
    """The object as kube-apiserver would store it from a create, or an ApiError (422 Invalid).

    Raises:
        ApiError: 422 Invalid naming each field that breaks a rule.
    """
    validation.check_metadata(resource, obj)
    obj = defaults.apply(defaults.for_create(obj))
    mutate(obj)
    validation.validate(resource, obj)
    return obj


def mutate(obj: Obj) -> None:
    """Apply the mutating admission plugins to a new object."""
    if obj["kind"] == "Node":
        _taint_new_node(obj)
    elif obj["kind"] == "Pod" and isinstance(obj.get("spec"), dict):
        spec = obj["spec"]
        tolerations = spec.setdefault("tolerations", [])
        for toleration in DEFAULT_TOLERATIONS:
            if not any(t.get("key") in (toleration["key"], None, "") and t.get("effect") in ("NoExecute", None, "")
                       for t in tolerations):
                tolerations.append(dict(toleration))
        if obj.get("status", {}).get("qosClass") != "BestEffort":
            _merge(tolerations, MEMORY_PRESSURE_TOLERATION)
        for name in sorted(_extended_resources_requested(spec)):
            _add_or_update(tolerations, {"key": name, "operator": "Exists", "effect": "NoSchedule"})


def _taint_new_node(node: Obj) -> None:
    taints = node.setdefault("spec", {}).setdefault("taints", [])
    if not any(t.get("key") == NOT_READY_TAINT["key"] and t.get("effect") == "NoSchedule" for t in taints):
        taints.append(dict(NOT_READY_TAINT))


def _extended_resources_requested(spec: Obj) -> set[str]:
    return {name for container in (spec.get("containers") or []) + (spec.get("initContainers") or [])
            for name in ((container.get("resources") or {}).get("requests") or {}) if validation.is_extended_resource(name)}


def _merge(tolerations: list[Obj], toleration: Obj) -> None:
    """MergeTolerations: add unless an existing toleration already covers it."""
    for existing in tolerations:
        same_key = not existing.get("key") or existing.get("key") == toleration["key"]
        same_effect = not existing.get("effect") or existing.get("effect") == toleration["effect"]
        if same_key and same_effect and existing.get("operator") == "Exists":
            return
    tolerations.append(dict(toleration))


def same_toleration(a: Obj, b: Obj) -> bool:
    """Toleration.MatchToleration: same key, operator, value and effect."""
    return all(a.get(k, "") == b.get(k, "") for k in ("key", "operator", "value", "effect"))


def _add_or_update(tolerations: list[Obj], toleration: Obj) -> None:
    """AddOrUpdateTolerationInPod: replace a toleration of the same key, operator, value and effect, else add."""
    for i, existing in enumerate(tolerations):
        if same_toleration(existing, toleration):
            tolerations[i] = dict(toleration)
            return
    tolerations.append(dict(toleration))
