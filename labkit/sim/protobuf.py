"""Request bodies in Kubernetes' protobuf encoding, decoded to the JSON form the plane stores.

kubectl 1.32 and later send built-in objects made by its typed clients as protobuf
(``kubectl create namespace``, ``kubectl create job``) and never fall back to JSON. The wire format is
the ``k8s\\x00`` magic, then a ``runtime.Unknown`` envelope (type meta, raw object bytes). Decoding
needs each message's field numbers, so :data:`MESSAGES` holds those of the messages such objects use,
from ``k8s.io/api``'s ``generated.proto``. Go's protobuf encoder writes every non-pointer field, zero
or not; zero values are dropped here, as Go's JSON encoder drops them (``omitempty``).

Example:
    >>> body = b'k8s\\x00\\n\\x0f\\n\\x02v1\\x12\\tNamespace\\x12\\x0a\\n\\x08\\n\\x04demo\\x12\\x00'
    >>> decode(body)
    {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'demo'}}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from labkit.sim.apierrors import ApiError

Obj = dict[str, Any]
MAGIC = b"k8s\x00"

# Field types: scalars, "map" (map<string, string>), "map:Quantity", or a message name. A list marks
# a repeated field.
_META = {1: "name", 2: "generateName", 3: "namespace", 4: "selfLink", 5: "uid", 6: "resourceVersion",
         7: ("generation", "int"), 8: ("creationTimestamp", "Time"), 9: ("deletionTimestamp", "Time"),
         10: ("deletionGracePeriodSeconds", "int"), 11: ("labels", "map"), 12: ("annotations", "map"),
         13: ("ownerReferences", ["OwnerReference"]), 14: ("finalizers", ["string"])}

MESSAGES: dict[str, dict[int, Any]] = {
    "Unknown": {1: ("typeMeta", "TypeMeta"), 2: ("raw", "bytes"), 3: "contentEncoding", 4: "contentType"},
    "TypeMeta": {1: "apiVersion", 2: "kind"},
    "ObjectMeta": _META,
    "OwnerReference": {1: "kind", 3: "name", 4: "uid", 5: "apiVersion", 6: ("controller", "bool"),
                       7: ("blockOwnerDeletion", "bool")},
    "LabelSelector": {1: ("matchLabels", "map"), 2: ("matchExpressions", ["LabelSelectorRequirement"])},
    "LabelSelectorRequirement": {1: "key", 2: "operator", 3: ("values", ["string"])},
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec"), 3: ("status", "NamespaceStatus")},
    "NamespaceSpec": {1: ("finalizers", ["string"])},
    "NamespaceStatus": {1: "phase"},
    "Pod": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec"), 3: ("status", "PodStatus")},
    "PodStatus": {1: "phase"},
    "Job": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec"), 3: ("status", "JobStatus")},
    "JobSpec": {6: ("template", "PodTemplateSpec")},
    "JobStatus": {4: ("active", "int"), 5: ("succeeded", "int"), 6: ("failed", "int")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {
        2: ("containers", ["Container"]), 3: "restartPolicy", 4: ("terminationGracePeriodSeconds", "int"),
        5: ("activeDeadlineSeconds", "int"), 6: "dnsPolicy", 7: ("nodeSelector", "map"), 8: "serviceAccountName",
        9: "serviceAccount", 10: "nodeName", 11: ("hostNetwork", "bool"), 12: ("hostPID", "bool"),
        13: ("hostIPC", "bool"), 16: "hostname", 17: "subdomain", 19: "schedulerName",
        20: ("initContainers", ["Container"]), 21: ("automountServiceAccountToken", "bool"),
        22: ("tolerations", ["Toleration"]), 24: "priorityClassName", 25: ("priority", "int"),
        27: ("shareProcessNamespace", "bool"), 29: "runtimeClassName", 30: ("enableServiceLinks", "bool"),
        31: "preemptionPolicy", 35: ("setHostnameAsFQDN", "bool"), 36: ("os", "PodOS"),
    },
    "PodOS": {1: "name"},
    "Container": {
        1: "name", 2: "image", 3: ("command", ["string"]), 4: ("args", ["string"]), 5: "workingDir",
        6: ("ports", ["ContainerPort"]), 7: ("env", ["EnvVar"]), 8: ("resources", "ResourceRequirements"),
        9: ("volumeMounts", ["VolumeMount"]), 13: "terminationMessagePath", 14: "imagePullPolicy",
        16: ("stdin", "bool"), 17: ("stdinOnce", "bool"), 18: ("tty", "bool"), 20: "terminationMessagePolicy",
    },
    "ContainerPort": {1: "name", 2: ("hostPort", "int"), 3: ("containerPort", "int"), 4: "protocol", 5: "hostIP"},
    "EnvVar": {1: "name", 2: "value"},
    "ResourceRequirements": {1: ("limits", "map:Quantity"), 2: ("requests", "map:Quantity")},
    "VolumeMount": {1: "name", 2: ("readOnly", "bool"), 3: "mountPath", 4: "subPath"},
    "Toleration": {1: "key", 2: "operator", 3: "value", 4: "effect", 5: ("tolerationSeconds", "int")},
}

#: The kinds whose protobuf bodies the plane understands.
KINDS = {"Namespace", "Pod", "Job"}


def decode(body: bytes) -> Obj:
    """The JSON form of a protobuf-encoded Kubernetes object.

    Raises:
        ApiError: 415 UnsupportedMediaType for a kind or field this decoder does not know, 400 BadRequest
            for bytes that are not a Kubernetes protobuf object.
    """
    if not body.startswith(MAGIC):
        raise _bad("missing the k8s protobuf magic number")
    envelope = _message("Unknown", body[len(MAGIC):])
    type_meta = envelope.get("typeMeta") or {}
    kind = type_meta.get("kind", "")
    if kind not in KINDS:
        raise _unsupported(f"{kind or 'this kind'} in protobuf; send it as application/json")
    return {"apiVersion": type_meta.get("apiVersion", ""), "kind": kind, **_message(kind, envelope.get("raw", b""))}


def _message(name: str, data: bytes) -> Obj:
    schema = MESSAGES[name]
    result: Obj = {}
    for number, wire_type, value in _fields(data):
        field = schema.get(number)
        if field is None:
            if not _is_zero(wire_type, value):
                raise _unsupported(f"field {number} of {name} in protobuf; send it as application/json")
            continue
        json_name, kind = (field, "string") if isinstance(field, str) else field
        if isinstance(kind, list):
            result.setdefault(json_name, []).append(_value(kind[0], value))
        elif kind.startswith("map"):
            key, item = _map_entry(kind, value)
            result.setdefault(json_name, {})[key] = item
        else:
            result[json_name] = _value(kind, value)
    return {k: v for k, v in result.items() if v not in ("", 0, False, None, {}, []) or k in ("spec", "status")}


def _value(kind: str, value: Any) -> Any:
    if kind == "string":
        return value.decode()
    if kind == "bytes":
        return value
    if kind == "int":
        return value - (1 << 64) if value >= 1 << 63 else value
    if kind == "bool":
        return bool(value)
    if kind == "Time":
        seconds = _message_fields(value).get(1, 0)
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if seconds else None
    return _message(kind, value)


def _map_entry(kind: str, data: bytes) -> tuple[str, Any]:
    fields = _message_fields(data)
    key, value = fields.get(1, b"").decode(), fields.get(2, b"")
    if kind == "map:Quantity":
        return key, _message_fields(value).get(1, b"").decode()
    return key, value.decode()


def _message_fields(data: bytes) -> dict[int, Any]:
    return {number: value for number, _, value in _fields(data)}


def _fields(data: bytes):
    """(field number, wire type, value) of each field: varints as ints, length-delimited as bytes."""
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, position = _varint(data, position)
        elif wire_type == 2:
            length, position = _varint(data, position)
            value, position = data[position:position + length], position + length
            if position > len(data):
                raise _bad("truncated field")
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            value, position = int.from_bytes(data[position:position + size], "little"), position + size
        else:
            raise _bad(f"unknown wire type {wire_type}")
        yield number, wire_type, value


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if position >= len(data):
            raise _bad("truncated varint")
        byte = data[position]
        result |= (byte & 0x7F) << shift
        position += 1
        if not byte & 0x80:
            return result, position
        shift += 7


def _is_zero(wire_type: int, value: Any) -> bool:
    """Whether an unknown field holds only zero values (a nested message of zeros counts)."""
    if wire_type != 2:
        return value == 0
    try:
        return all(_is_zero(t, v) for _, t, v in _fields(value))
    except ApiError:
        return False


def _bad(why: str) -> ApiError:
    return ApiError(400, "BadRequest", f"the body of the request could not be decoded as protobuf: {why}")


def _unsupported(what: str) -> ApiError:
    return ApiError(415, "UnsupportedMediaType", f"the simulator does not decode {what}")
