"""The three patch formats of the Kubernetes API: JSON patch, JSON merge patch, strategic merge patch.

Strategic merge patch follows the Kubernetes types' patch strategies for the fields the lab's objects
use (looked up by field name, which is unambiguous for the served kinds): listed fields merge list
items by a key, lists of finalizers merge as sets, every other list is replaced.

Example:
    >>> pod = {"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}}
    >>> strategic_merge(pod, {"spec": {"containers": [{"name": "b", "image": "y:2"}]}})["spec"]["containers"]
    [{'name': 'a', 'image': 'x:1'}, {'name': 'b', 'image': 'y:2'}]
"""

from __future__ import annotations

import copy
from typing import Any

from labkit.sim.apierrors import ApiError, bad_request

#: List fields whose items merge by a key (``patchMergeKey`` in the Kubernetes types).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "imagePullSecrets": "name",
    "resourceClaims": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "conditions": "type",
    "addresses": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
}

#: Lists of scalars that merge as sets (``patchStrategy: merge`` without a key).
SET_FIELDS = {"finalizers"}

_ORDER = "$setElementOrder/"
_DELETE_FROM = "$deleteFromPrimitiveList/"


def json_patch(target: Any, operations: Any) -> Any:
    """Apply an RFC 6902 JSON patch (add, remove, replace, move, copy, test).

    Raises:
        ApiError: 400 BadRequest for a malformed patch, 422 Invalid for an operation that does not apply.
    """
    if not isinstance(operations, list):
        raise bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for operation in operations:
        doc = _json_patch_operation(doc, operation)
    return doc


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch: maps merge, ``null`` deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: Any) -> Any:
    """Apply a Kubernetes strategic merge patch, directives included.

    Honours ``$patch: replace|delete`` on maps and list items, ``$retainKeys``,
    ``$deleteFromPrimitiveList/<field>`` and ``$setElementOrder/<field>``.
    """
    if not isinstance(patch, dict):
        raise bad_request("strategic merge patch must be a JSON object")
    return _merge_map(target if isinstance(target, dict) else {}, patch)


def _merge_map(original: dict, patch: dict) -> dict:
    if patch.get("$patch") == "replace":
        return _clean(patch)
    result = copy.deepcopy(original)
    orders = {}
    for key, value in patch.items():
        if key.startswith(_ORDER):
            orders[key[len(_ORDER):]] = value
        elif key.startswith(_DELETE_FROM):
            field = key[len(_DELETE_FROM):]
            result[field] = [item for item in result.get(field) or [] if item not in value]
        elif key in ("$patch", "$retainKeys"):
            continue
        elif value is None or (isinstance(value, dict) and value.get("$patch") == "delete"):
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = _merge_map(result.get(key) if isinstance(result.get(key), dict) else {}, value)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key) or [], value)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(field, result[field], order)
    if "$retainKeys" in patch:
        result = {k: v for k, v in result.items() if k in patch["$retainKeys"]}
    return result


def _merge_list(field: str, original: list, patch: list) -> list:
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [_clean(item) for item in patch if not (isinstance(item, dict) and item.get("$patch") == "replace")]
    key = MERGE_KEYS.get(field)
    if key and all(isinstance(item, dict) for item in patch):
        return _merge_keyed(key, original, patch)
    if field in SET_FIELDS:
        return original + [item for item in patch if item not in original]
    return [_clean(item) for item in patch]


def _merge_keyed(key: str, original: list, patch: list) -> list:
    result = [copy.deepcopy(item) for item in original]
    for item in patch:
        index = next((i for i, old in enumerate(result)
                      if isinstance(old, dict) and old.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
        elif index is None:
            result.append(_clean(item))
        else:
            result[index] = _merge_map(result[index], item)
    return result


def _reorder(field: str, items: list, order: list) -> list:
    """Put the items in ``$setElementOrder`` order; items it does not name keep their place at the end."""
    key = MERGE_KEYS.get(field)
    identity = (lambda item: item.get(key) if isinstance(item, dict) else item) if key else (lambda item: item)
    wanted = [o.get(key) if key and isinstance(o, dict) else o for o in order]
    return sorted(items, key=lambda item: wanted.index(identity(item)) if identity(item) in wanted else len(wanted))


def _clean(value: Any) -> Any:
    """A patch value with its directives removed, for places where it is stored as is."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _json_patch_operation(doc: Any, operation: dict) -> Any:
    op, path = operation.get("op"), operation.get("path")
    if not isinstance(path, str):
        raise bad_request(f"json patch operation without a path: {operation}")
    if op == "test":
        if _get(doc, path) != operation.get("value"):
            raise _unprocessable(f"testing value {path} failed")
        return doc
    if op == "remove":
        return _remove(doc, path)
    if op in ("add", "replace"):
        if op == "replace":
            _get(doc, path)
            doc = _remove(doc, path)
        return _add(doc, path, copy.deepcopy(operation.get("value")))
    if op in ("move", "copy"):
        source = operation.get("from", "")
        value = copy.deepcopy(_get(doc, source))
        if op == "move":
            doc = _remove(doc, source)
        return _add(doc, path, value)
    raise bad_request(f"unknown json patch operation {op!r}")


def _steps(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"json patch path must start with '/': {path!r}")
    return [s.replace("~1", "/").replace("~0", "~") for s in path[1:].split("/")]


def _get(doc: Any, path: str) -> Any:
    return _walk(doc, _steps(path), path)


def _walk(doc: Any, steps: list[str], path: str) -> Any:
    for step in steps:
        doc = _child(doc, step, path)
    return doc


def _child(node: Any, step: str, path: str) -> Any:
    try:
        return node[int(step)] if isinstance(node, list) else node[step]
    except (KeyError, IndexError, ValueError, TypeError):
        raise _unprocessable(f"path {path} not found") from None


def _unprocessable(why: str) -> ApiError:
    return ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: {why}")


def _add(doc: Any, path: str, value: Any) -> Any:
    steps = _steps(path)
    if not steps:
        return value
    parent, last = _walk(doc, steps[:-1], path), steps[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last) if last.isdigit() else -1
        if not 0 <= index <= len(parent):
            raise _unprocessable(f"index {last} out of range in {path}")
        parent.insert(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise _unprocessable(f"cannot add at {path}")
    return doc


def _remove(doc: Any, path: str) -> Any:
    steps = _steps(path)
    if not steps:
        return None
    parent = _walk(doc, steps[:-1], path)
    _child(parent, steps[-1], path)
    if isinstance(parent, list):
        del parent[int(steps[-1])]
    else:
        del parent[steps[-1]]
    return doc
