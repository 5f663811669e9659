"""Whether a pod's node selector and required node affinity allow a node (kube-scheduler's NodeAffinity filter).

Terms of ``requiredDuringSchedulingIgnoredDuringExecution`` are ORed, the requirements within a term
ANDed; ``matchExpressions`` test labels, ``matchFields`` test ``metadata.name`` (the only field selector
the API allows there). Source: kubernetes staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity.

Example:
    >>> node = {"metadata": {"name": "n1", "labels": {"kubernetes.io/os": "windows"}}}
    >>> spec = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
    ...     "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}}}
    >>> allows(spec, node), allows({"nodeSelector": {"kubernetes.io/os": "linux"}}, node)
    (True, False)
"""

from __future__ import annotations

from typing import Any

from labkit.sim.store import Obj


def allows(pod_spec: Obj, node: Obj) -> bool:
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution")
    if not required:
        return True
    fields = {"metadata.name": node["metadata"]["name"]}
    return any(_term_matches(term, labels, fields) for term in required.get("nodeSelectorTerms") or [])


def _term_matches(term: Obj, labels: dict[str, str], fields: dict[str, str]) -> bool:
    expressions, field_requirements = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not expressions and not field_requirements:
        return False  # an empty term matches no node
    return (all(_requirement_holds(r, labels) for r in expressions)
            and all(_requirement_holds(r, fields) for r in field_requirements))


def _requirement_holds(requirement: Obj, values: dict[str, str]) -> bool:
    key, operator, wanted = requirement.get("key"), requirement.get("operator"), requirement.get("values") or []
    present = key in values
    value = values.get(key)
    if operator == "In":
        return present and value in wanted
    if operator == "NotIn":
        return not present or value not in wanted
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt"):
        return present and _compare(value, wanted, operator)
    return False


def _compare(value: Any, wanted: list[str], operator: str) -> bool:
    try:
        mine, theirs = int(value), int(wanted[0])
    except (ValueError, IndexError, TypeError):
        return False
    return mine > theirs if operator == "Gt" else mine < theirs
