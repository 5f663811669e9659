"""Kubernetes API errors, answered as ``Status`` objects so clients raise them with the right reason.

Example:
    >>> from labkit.sim.resources import by_kind
    >>> error = not_found(by_kind("Pod"), "web")
    >>> error.status["message"], error.status["code"]
    ('pods "web" not found', 404)
"""

from __future__ import annotations

from typing import Any, Optional

from labkit.sim.resources import Resource

Obj = dict[str, Any]


class ApiError(Exception):
    """An error the Kubernetes plane answers with a Failure ``Status``."""

    def __init__(self, code: int, reason: str, message: str, details: Optional[Obj] = None):
        super().__init__(message)
        self.status: Obj = {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code,
        }
        if details is not None:
            self.status["details"] = details


def _details(resource: Resource, name: str, **extra: Any) -> Obj:
    details: Obj = {"name": name, "kind": resource.name, **extra}
    if resource.group:
        details["group"] = resource.group
    return details


def not_found(resource: Resource, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{resource.group_resource} "{name}" not found', _details(resource, name))


def already_exists(resource: Resource, name: str, *, deleting: bool = False) -> ApiError:
    prefix = "object is being deleted: " if deleting else ""
    return ApiError(409, "AlreadyExists", f'{prefix}{resource.group_resource} "{name}" already exists',
                    _details(resource, name))


def conflict(resource: Resource, name: str, why: str) -> ApiError:
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {resource.group_resource} "{name}": {why}',
                    _details(resource, name))


def forbidden(resource: Resource, name: str, why: str, cause: Optional[Obj] = None) -> ApiError:
    extra = {"causes": [cause]} if cause else {}
    return ApiError(403, "Forbidden", f'{resource.group_resource} "{name}" is forbidden: {why}',
                    _details(resource, name, **extra))


def invalid(resource: Resource, name: str, causes: list[Obj]) -> ApiError:
    """422 Invalid; ``causes`` are ``{reason, message, field}`` dicts as the apiserver lists them."""
    summary = [f"{c['field']}: {c['message']}" for c in causes]
    text = summary[0] if len(summary) == 1 else "[" + ", ".join(summary) + "]"
    details: Obj = {"name": name, "kind": resource.kind, "causes": causes}
    if resource.group:
        details["group"] = resource.group
    return ApiError(422, "Invalid", f'{resource.kind} "{name}" is invalid: {text}', details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def route_not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def method_not_allowed(method: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed",
                    f"the server does not allow this method on the requested resource ({method})", {})


def unsupported_media_type(content_type: str) -> ApiError:
    accepted = "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json"
    return ApiError(415, "UnsupportedMediaType",
                    f"the body of the request was in an unknown format ({content_type}) - accepted media types "
                    f"include: {accepted}", {})


def request_entity_too_large(why: str) -> ApiError:
    """413 as kube-apiserver words it (apimachinery errors.NewRequestEntityTooLargeError)."""
    return ApiError(413, "RequestEntityTooLarge", f"Request entity too large: {why}")


def expired(requested: str, oldest: str) -> ApiError:
    return ApiError(410, "Expired", f"too old resource version: {requested} ({oldest})")
