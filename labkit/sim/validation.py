"""The checks kube-apiserver makes before storing an object, and the fields the clients' models require.

Each finding is a ``Status`` cause (``{reason, message, field}``); :func:`validate` raises them together
as one 422 Invalid, worded like the apiserver.

Example:
    >>> from labkit.sim.apierrors import ApiError
    >>> from labkit.sim.resources import by_kind
    >>> try:
    ...     validate(by_kind("Pod"), {"kind": "Pod", "metadata": {"name": "Web"}, "spec": {}})
    ... except ApiError as error:
    ...     print(error.status["reason"], [c["field"] for c in error.status["details"]["causes"]])
    Invalid ['metadata.name', 'spec.containers']
"""

from __future__ import annotations

import copy
import re
from typing import Any

from labkit.sim.apierrors import invalid
from labkit.sim.resources import Resource

Obj = dict[str, Any]
Cause = dict[str, str]

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_LABEL = re.compile(rf"^{_LABEL}$")
_DNS_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")

_SUBDOMAIN_RULE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                   r"validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_LABEL_RULE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
               "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
               "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
NODE_SELECTOR_OPERATORS = ("DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn")
#: ValidateAnnotationsSize (apimachinery/pkg/api/validation/objectmeta.go): 256 KiB of keys and values.
MAX_ANNOTATIONS_BYTES = 256 * 1024
_LABEL_VALUE_RULE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                     "and must start and end with an alphanumeric character")


def validate(resource: Resource, obj: Obj) -> None:
    """Raise 422 Invalid listing everything wrong with ``obj``; return when it may be stored.

    Raises:
        ApiError: 422 Invalid with one cause per problem.
    """
    causes = _metadata(resource, obj.get("metadata") or {})
    causes += KIND_CHECKS.get(resource.kind, _nothing)(obj)
    if causes:
        raise invalid(resource, (obj.get("metadata") or {}).get("name", ""), causes)


def check_metadata(resource: Resource, obj: Obj) -> None:
    """Raise 422 Invalid when the object's name or labels are wrong, before anything uses them.

    Raises:
        ApiError: 422 Invalid with one cause per problem.
    """
    causes = _metadata(resource, obj.get("metadata") or {})
    if causes:
        raise invalid(resource, (obj.get("metadata") or {}).get("name", ""), causes)


def validate_update(resource: Resource, new: Obj, old: Obj) -> None:
    """Raise 422 Invalid when an update changes what the apiserver keeps immutable, then validate ``new``.

    Raises:
        ApiError: 422 Invalid with one cause per problem.
    """
    causes = IMMUTABLE_CHECKS.get(resource.kind, _nothing_changed)(new, old)
    if causes:
        raise invalid(resource, new["metadata"]["name"], causes)
    validate(resource, new)


def is_dns_label(name: str) -> bool:
    return len(name) <= 63 and bool(_DNS_LABEL.match(name))


def is_dns_subdomain(name: str) -> bool:
    return len(name) <= 253 and bool(_DNS_SUBDOMAIN.match(name))


def _cause(field: str, reason: str, message: str) -> Cause:
    return {"reason": reason, "message": message, "field": field}


def _required(field: str) -> Cause:
    return _cause(field, "FieldValueRequired", "Required value")


def _invalid_value(field: str, value: Any, why: str) -> Cause:
    return _cause(field, "FieldValueInvalid", f'Invalid value: "{value}": {why}')


def _invalid_number(field: str, value: Any, why: str) -> Cause:
    return _cause(field, "FieldValueInvalid", f"Invalid value: {value}: {why}")


def _unsupported(field: str, value: Any, supported: tuple[str, ...]) -> Cause:
    listed = ", ".join(f'"{s}"' for s in supported)
    return _cause(field, "FieldValueNotSupported", f'Unsupported value: "{value}": supported values: {listed}')


def _nothing(obj: Obj) -> list[Cause]:
    return []


def _metadata(resource: Resource, meta: Obj) -> list[Cause]:
    name = meta.get("name")
    causes: list[Cause] = []
    if not name:
        causes.append(_cause("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"))
    elif resource.kind == "Namespace" and not is_dns_label(name):
        causes.append(_invalid_value("metadata.name", name, _LABEL_RULE))
    elif not is_dns_subdomain(name):
        causes.append(_invalid_value("metadata.name", name, _SUBDOMAIN_RULE))
    for key, value in (meta.get("labels") or {}).items():
        causes += _label(key, value)
    size = sum(len(k) + len(v) for k, v in (meta.get("annotations") or {}).items())
    if size > MAX_ANNOTATIONS_BYTES:
        causes.append(_cause("metadata.annotations", "FieldValueTooLong",
                             f"Too long: may not be more than {MAX_ANNOTATIONS_BYTES} bytes"))
    return causes


def _label(key: str, value: Any) -> list[Cause]:
    prefix, _, name = key.rpartition("/")
    field = "metadata.labels"
    causes = []
    if (prefix and not is_dns_subdomain(prefix)) or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        causes.append(_invalid_value(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', "
                                     "and must start and end with an alphanumeric character"))
    if not isinstance(value, str) or len(value) > 63 or (value and not _QUALIFIED_NAME.match(value)):
        causes.append(_invalid_value(field, value, _LABEL_VALUE_RULE))
    return causes


def _pod_spec(spec: Any, field: str, restart_policies: tuple[str, ...]) -> list[Cause]:
    if not isinstance(spec, dict):
        return [_required(f"{field}.containers")]
    containers = spec.get("containers")
    if not containers or not isinstance(containers, list):
        return [_required(f"{field}.containers")]
    causes: list[Cause] = []
    for group in ("initContainers", "containers"):
        causes += _containers(spec.get(group) or [], f"{field}.{group}")
    policy = spec.get("restartPolicy")
    if policy not in restart_policies:
        causes.append(_unsupported(f"{field}.restartPolicy", policy, restart_policies))
    causes += _tolerations(spec.get("tolerations") or [], f"{field}.tolerations")
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is not None:
        causes += _node_selector(required, f"{field}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution")
    return causes


def _tolerations(tolerations: list, field: str) -> list[Cause]:
    """ValidateTolerations (pkg/apis/core/validation): operator, effect, and what each operator allows."""
    causes = []
    for index, toleration in enumerate(tolerations):
        where = f"{field}[{index}]"
        operator, effect = toleration.get("operator") or "Equal", toleration.get("effect") or ""
        if operator not in ("Equal", "Exists"):
            causes.append(_unsupported(f"{where}.operator", operator, ("Equal", "Exists")))
        elif operator == "Exists" and toleration.get("value"):
            causes.append(_invalid_value(f"{where}.operator", toleration.get("value"),
                                         "value must be empty when `operator` is 'Exists'"))
        elif operator == "Equal" and not toleration.get("key"):
            causes.append(_invalid_value(f"{where}.operator", operator, "operator must be Exists when `key` is empty, "
                                         "which means \"match all values and all keys\""))
        if effect and effect not in TAINT_EFFECTS:
            causes.append(_unsupported(f"{where}.effect", effect, TAINT_EFFECTS))
        seconds = toleration.get("tolerationSeconds")
        if seconds is not None and effect != "NoExecute":
            causes.append(_invalid_value(f"{where}.effect", effect,
                                         "effect must be 'NoExecute' when `tolerationSeconds` is set"))
    return causes


def _node_selector(selector: Obj, field: str) -> list[Cause]:
    terms = selector.get("nodeSelectorTerms") or []
    if not terms:
        return [_required(f"{field}.nodeSelectorTerms")]
    causes = []
    for index, term in enumerate(terms):
        for group in ("matchExpressions", "matchFields"):
            for number, requirement in enumerate(term.get(group) or []):
                where = f"{field}.nodeSelectorTerms[{index}].{group}[{number}]"
                causes += _selector_requirement(requirement, where, fields=group == "matchFields")
    return causes


def _selector_requirement(requirement: Obj, where: str, *, fields: bool) -> list[Cause]:
    operator, values = requirement.get("operator"), requirement.get("values") or []
    if fields and requirement.get("key") != "metadata.name":
        return [_invalid_value(f"{where}.key", requirement.get("key"), "not a valid field selector key")]
    if operator not in NODE_SELECTOR_OPERATORS:
        return [_unsupported(f"{where}.operator", operator, NODE_SELECTOR_OPERATORS)]
    if operator in ("In", "NotIn") and not values:
        return [_required(f"{where}.values") | {"message": "Required value: must be specified when `operator` is 'In' or 'NotIn'"}]
    if operator in ("Exists", "DoesNotExist") and values:
        return [_cause(f"{where}.values", "FieldValueForbidden",
                       "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'")]
    return []


def _containers(containers: list, field: str) -> list[Cause]:
    causes, seen = [], set()
    for index, container in enumerate(containers):
        where = f"{field}[{index}]"
        if not isinstance(container, dict):
            causes.append(_required(where))
            continue
        name = container.get("name")
        if not name:
            causes.append(_required(f"{where}.name"))
        elif not is_dns_label(name):
            causes.append(_invalid_value(f"{where}.name", name, _LABEL_RULE))
        elif name in seen:
            causes.append(_cause(f"{where}.name", "FieldValueDuplicate", f'Duplicate value: "{name}"'))
        seen.add(name)
        if not container.get("image"):
            causes.append(_required(f"{where}.image"))
        causes += _resources(container.get("resources") or {}, f"{where}.resources")
        for number, port in enumerate(container.get("ports") or []):
            value = port.get("containerPort")
            if not isinstance(value, int) or not 1 <= value <= 65535:
                causes.append(_invalid_number(f"{where}.ports[{number}].containerPort", value,
                                              "must be between 1 and 65535, inclusive"))
    return causes


def _resources(resources: Obj, field: str) -> list[Cause]:
    """Extended resources are whole numbers, and their requests equal their limits (they cannot be overcommitted)."""
    causes = []
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    for group, amounts in (("limits", limits), ("requests", requests)):
        for name, amount in amounts.items():
            if str(amount).startswith("-"):
                causes.append(_invalid_value(f"{field}.{group}[{name}]", amount, "must be greater than or equal to 0"))
            elif is_extended_resource(name) and not str(amount).isdigit():
                causes.append(_invalid_value(f"{field}.{group}[{name}]", amount, "must be an integer"))
    for name, amount in requests.items():
        if is_extended_resource(name) and name in limits and str(limits[name]) != str(amount):
            causes.append(_invalid_value(f"{field}.requests", amount, f"must be equal to {name} limit of {limits[name]}"))
        elif is_extended_resource(name) and name not in limits:
            causes.append(_cause(f"{field}.limits", "FieldValueRequired", "Required value: Limit must be set for non overcommitable resources"))
    return causes


def is_extended_resource(name: str) -> bool:
    """A resource name outside the kubernetes.io domain (IsExtendedResourceName)."""
    return "/" in name and "kubernetes.io/" not in name and not name.startswith("requests.")


def _template(obj: Obj) -> Any:
    return ((obj.get("spec") or {}).get("template") or {})


def _pod(pod: Obj) -> list[Cause]:
    return _pod_spec(pod.get("spec"), "spec", ("Always", "OnFailure", "Never"))


def _job(job: Obj) -> list[Cause]:
    spec = job.get("spec") or {}
    causes = _pod_spec(_template(job).get("spec"), "spec.template.spec", ("OnFailure", "Never"))
    for name in ("parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished"):
        value = spec.get(name)
        if value is not None and value < 0:
            causes.append(_invalid_number(f"spec.{name}", value, "must be greater than or equal to 0"))
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and deadline <= 0:
        causes.append(_invalid_number("spec.activeDeadlineSeconds", deadline, "must be greater than 0"))
    return causes


def _daemonset(daemonset: Obj) -> list[Cause]:
    spec = daemonset.get("spec") or {}
    causes = _pod_spec(_template(daemonset).get("spec"), "spec.template.spec", ("Always",))
    selector = spec.get("selector")
    if not selector:
        return [_required("spec.selector"), *causes]
    labels = (_template(daemonset).get("metadata") or {}).get("labels") or {}
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        causes.append(_invalid_value("spec.selector", selector, "empty selector is invalid for daemonset"))
    elif any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        causes.append(_invalid_value("spec.template.metadata.labels", labels,
                                     "`selector` does not match template `labels`"))
    strategy = (spec.get("updateStrategy") or {}).get("type", "RollingUpdate")
    if strategy not in ("OnDelete", "RollingUpdate"):
        causes.append(_unsupported("spec.updateStrategy.type", strategy, ("OnDelete", "RollingUpdate")))
    return causes


def _node(node: Obj) -> list[Cause]:
    causes = _listed_fields(node.get("spec") or {}, "spec", "taints", ("key", "effect"))
    for index, taint in enumerate((node.get("spec") or {}).get("taints") or []):
        if taint.get("effect") and taint["effect"] not in TAINT_EFFECTS:
            causes.append(_unsupported(f"spec.taints[{index}].effect", taint["effect"], TAINT_EFFECTS))
    causes += _listed_fields(node.get("status") or {}, "status", "addresses", ("type", "address"))
    return causes + _conditions(node)


def _conditions(obj: Obj) -> list[Cause]:
    return _listed_fields(obj.get("status") or {}, "status", "conditions", ("type", "status"))


def _listed_fields(parent: Obj, field: str, name: str, required: tuple[str, ...]) -> list[Cause]:
    """Required keys of the items of a list the clients' models check (a condition needs a status)."""
    return [_required(f"{field}.{name}[{index}].{key}")
            for index, item in enumerate(parent.get(name) or [])
            for key in required if not isinstance(item, dict) or not item.get(key)]


def _event(event: Obj) -> list[Cause]:
    involved, namespace = event.get("involvedObject"), (event.get("metadata") or {}).get("namespace", "")
    if not isinstance(involved, dict):
        return [_required("involvedObject")]
    about = involved.get("namespace") or ""
    # Events about cluster-scoped objects (nodes) live in "default".
    if (about == namespace) if about else namespace in ("", "default"):
        return []
    return [_invalid_value("involvedObject.namespace", about, "does not match event.namespace")]


def _nothing_changed(new: Obj, old: Obj) -> list[Cause]:
    return []


def _immutable(new: Obj, old: Obj, *fields: str) -> list[Cause]:
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    return [_cause(f"spec.{field}", "FieldValueInvalid", "Invalid value: field is immutable")
            for field in fields if spec.get(field) != old_spec.get(field)]


def _pod_update(new: Obj, old: Obj) -> list[Cause]:
    """Pods may change only images, activeDeadlineSeconds, terminationGracePeriodSeconds, and add tolerations."""
    spec, allowed = new.get("spec") or {}, copy.deepcopy(old.get("spec") or {})
    for group in ("containers", "initContainers"):
        for container, updated in zip(allowed.get(group) or [], spec.get(group) or []):
            if isinstance(container, dict) and isinstance(updated, dict):
                container["image"] = updated.get("image")
    for field in ("activeDeadlineSeconds", "terminationGracePeriodSeconds"):
        if field in spec:
            allowed[field] = spec[field]
    old_tolerations = allowed.get("tolerations") or []
    if all(t in (spec.get("tolerations") or []) for t in old_tolerations):
        allowed["tolerations"] = spec.get("tolerations") or old_tolerations
    if spec == allowed:
        return []
    return [_cause("spec", "FieldValueForbidden", "Forbidden: pod updates may not change fields other than "
                   "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                   "`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds`")]


IMMUTABLE_CHECKS = {
    "Pod": _pod_update,
    "Job": lambda new, old: _immutable(new, old, "selector", "template", "completions"),
    "DaemonSet": lambda new, old: _immutable(new, old, "selector"),
}

KIND_CHECKS = {
    "Pod": lambda pod: _pod(pod) + _conditions(pod),
    "Job": lambda job: _job(job) + _conditions(job),
    "DaemonSet": lambda ds: _daemonset(ds) + _conditions(ds),
    "Node": _node,
    "Event": _event,
}
