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

from labkit.sim.apierrors import bad_request, invalid
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


def check_shape(obj: Obj) -> None:
    """Refuse, as a decode error, bodies whose fields have the wrong JSON type where the server looks inside.

    Raises:
        ApiError: 400 BadRequest naming the first misshapen field.
    """
    problem = _shape_problem(obj.get("spec"))
    if problem:
        raise bad_request(f"the body of the request could not be decoded: {problem}")


def _shape_problem(spec: Any) -> str:
    if spec is None:
        return ""
    if not isinstance(spec, dict):
        return "spec must be a JSON object"
    for field in ("template", "selector"):
        problem = _not_object(f"spec.{field}", spec.get(field))
        if problem:
            return problem
    template = spec.get("template")
    if template is None:
        return _pod_spec_shape(spec, "spec")
    pod_spec = template.get("spec")
    return _not_object("spec.template.spec", pod_spec) or _pod_spec_shape(pod_spec or {}, "spec.template.spec")


def _pod_spec_shape(spec: Obj, where: str) -> str:
    for field in ("containers", "initContainers", "tolerations", "volumes"):
        problem = _not_list_of_objects(f"{where}.{field}", spec.get(field))
        if problem:
            return problem
    for group in ("containers", "initContainers"):
        for index, container in enumerate(spec.get(group) or []):
            at = f"{where}.{group}[{index}]"
            problems = [_not_object(f"{at}.resources", container.get("resources"))]
            problems += [_not_list_of_objects(f"{at}.{field}", container.get(field)) for field in ("ports", "env")]
            if any(problems):
                return next(p for p in problems if p)
    return ""


def _not_object(field: str, value: Any) -> str:
    return "" if value is None or isinstance(value, dict) else f"{field} must be a JSON object"


def _not_list_of_objects(field: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return f"{field} must be a JSON array of objects"
    return ""


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
    for index, toleration in enumerate(spec.get("tolerations") or []):
        if toleration.get("operator") == "Exists" and toleration.get("value"):
            causes.append(_invalid_value(f"{field}.tolerations[{index}].operator", toleration.get("value"),
                                         "value must be empty when `operator` is 'Exists'"))
    return causes


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
    return causes


def _template(obj: Obj) -> Any:
    return ((obj.get("spec") or {}).get("template") or {})


def _pod(pod: Obj) -> list[Cause]:
    return _pod_spec(pod.get("spec"), "spec", ("Always", "OnFailure", "Never"))


def _job(job: Obj) -> list[Cause]:
    return _pod_spec(_template(job).get("spec"), "spec.template.spec", ("OnFailure", "Never"))


def _daemonset(daemonset: Obj) -> list[Cause]:
    spec = daemonset.get("spec") or {}
    causes = _pod_spec(_template(daemonset).get("spec"), "spec.template.spec", ("Always",))
    selector = spec.get("selector")
    if not selector:
        return [_required("spec.selector"), *causes]
    labels = (_template(daemonset).get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        causes.append(_invalid_value("spec.template.metadata.labels", labels,
                                     "`selector` does not match template `labels`"))
    return causes


def _node(node: Obj) -> list[Cause]:
    causes = _listed_fields(node.get("spec") or {}, "spec", "taints", ("key", "effect"))
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
