"""Label and field selectors, parsed once per request into predicates over stored objects.

Example:
    >>> matches = label_selector("app in (web, api),tier!=db,!legacy")
    >>> matches({"metadata": {"labels": {"app": "web"}}})
    True
    >>> field_selector("status.phase!=Failed", ("status.phase",))({"status": {"phase": "Running"}})
    True
"""

from __future__ import annotations

import re
from typing import Any, Callable

from labkit.sim.apierrors import bad_request

Obj = dict[str, Any]
Predicate = Callable[[Obj], bool]

_SET_REQUIREMENT = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQUALITY = re.compile(r"^\s*([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")


def everything(obj: Obj) -> bool:
    return True


def label_selector(text: str) -> Predicate:
    """A predicate for a label selector (``=``, ``==``, ``!=``, ``in``, ``notin``, ``key``, ``!key``).

    Raises:
        ApiError: 400 BadRequest when the selector does not parse.
    """
    requirements = [_label_requirement(part) for part in _split(text)]
    if not requirements:
        return everything

    def matches(obj: Obj) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(requirement(labels) for requirement in requirements)

    return matches


def field_selector(text: str, supported: tuple[str, ...]) -> Predicate:
    """A predicate for a field selector over ``metadata.name``, ``metadata.namespace`` and ``supported``.

    Raises:
        ApiError: 400 BadRequest for a malformed selector or a field the resource cannot select on.
    """
    requirements = [_field_requirement(part, supported) for part in _split(text)]
    if not requirements:
        return everything
    return lambda obj: all(requirement(obj) for requirement in requirements)


def _split(text: str) -> list[str]:
    """Split on the commas that are outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def _label_requirement(part: str) -> Callable[[dict[str, str]], bool]:
    if match := _SET_REQUIREMENT.match(part):
        key, operator, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",")}
        if operator == "in":
            return lambda labels: key in labels and labels[key] in values
        return lambda labels: labels.get(key) not in values
    if match := _EQUALITY.match(part):
        key, operator, value = match.groups()
        if operator == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS.match(part):
        negated, key = match.group(1) == "!", match.group(2)
        return lambda labels: (key in labels) != negated
    raise bad_request(f"unable to parse requirement: {part.strip()!r}")


def _field_requirement(part: str, supported: tuple[str, ...]) -> Predicate:
    match = _EQUALITY.match(part)
    if not match:
        raise bad_request(f"invalid field selector: {part.strip()!r}")
    field, operator, value = match.groups()
    if field not in ("metadata.name", "metadata.namespace", *supported):
        raise bad_request(f'field label not supported: {field}')
    if operator == "!=":
        return lambda obj: field_value(obj, field) != value
    return lambda obj: field_value(obj, field) == value


def field_value(obj: Obj, field: str) -> str:
    """The string a field selector compares: booleans as ``true``/``false``, missing as ``""``."""
    if field == "source":
        field = "source.component"
    value: Any = obj
    for step in field.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    if field == "spec.unschedulable":
        return "true" if value else "false"
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)
