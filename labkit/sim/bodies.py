"""Request bodies as both planes read them: size limits, and JSON or YAML decoded safely.

Limits, and where they come from:

- Kubernetes: 3 MiB (3145728 bytes), kube-apiserver's ``MaxRequestBodyBytes``
  (staging/src/k8s.io/apiserver/pkg/server/config.go: twice etcd's 1.5 MiB request limit, since JSON shrinks
  to protobuf in etcd), answered 413 ``RequestEntityTooLarge`` "Request entity too large: limit is 3145728"
  (handlers/rest.go ``limitedReadBody``).
- ARM: 4 MB (4194304 bytes), answered 413 ``RequestContentTooLarge`` "The request content size exceeds the
  maximum size of 4 MB." (ARM's own answer, quoted in github.com/Azure/Azure-Landing-Zones/issues/2644; the
  limit is in the ARM RPC's common API details, github.com/Azure/azure-resource-manager-rpc/pull/138).
- Stored objects: at most 1.5 MiB of JSON, etcd's default request limit (``--max-request-bytes``; the etcd
  docs' "Dev guide: limit", confirmed in kubernetes/kubernetes#72053), which an object that passes the body
  limit can still exceed; kube-apiserver answers 413 for it (kubernetes/kubernetes#74600).
- Nesting: kube-apiserver's JSON decoder stops at 10,000 levels (Go encoding/json ``maxNestingDepth``, which
  sigs.k8s.io/json keeps). The simulator stops at :data:`MAX_DEPTH`: no object of the kinds it serves nests
  past about 15 levels, and Python's own decoders and copies recurse once per level.

Bytes that are not UTF-8 become U+FFFD, as Go's decoder makes them; ``NaN``, ``Infinity`` and numbers
too large for a float are refused, as Go refuses them.

Example:
    >>> decode_json(b'{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> decode_json(b"[" * 200 + b"]" * 200)
    Traceback (most recent call last):
    ...
    labkit.sim.bodies.Undecodable: exceeded max depth of 100
"""

from __future__ import annotations

import json
import math
from typing import Any

import yaml

KUBE_MAX_BODY_BYTES = 3 * 1024 * 1024
ARM_MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_STORED_OBJECT_BYTES = 1536 * 1024
MAX_DEPTH = 100
#: The most values a YAML document may expand to through its aliases (a "billion laughs" stops here).
MAX_VALUES = 1_000_000


class Undecodable(ValueError):
    """The body is not a JSON (or YAML) document the server takes; the message says why."""


def decode_json(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise Undecodable(f"exceeded max depth of {MAX_DEPTH}") from None
    except ValueError as error:  # JSONDecodeError, an int of too many digits
        raise Undecodable(str(error)) from None
    check_shape(value)
    return value


def decode_yaml(raw: bytes) -> Any:
    """A YAML document as the JSON it stands for: timestamps stay strings, keys become strings."""
    try:
        value = yaml.load(raw.decode("utf-8", errors="replace"), Loader=_JsonishLoader)
    except RecursionError:
        raise Undecodable(f"exceeded max depth of {MAX_DEPTH}") from None
    except yaml.YAMLError as error:
        raise Undecodable(str(error)) from None
    check_shape(value)
    return _jsonish(value)


def check_shape(value: Any) -> None:
    """Refuse documents nested deeper than :data:`MAX_DEPTH` or expanding past :data:`MAX_VALUES` values."""
    stack, count = [(value, 1)], 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise Undecodable(f"exceeded max depth of {MAX_DEPTH}")
        if count > MAX_VALUES:
            raise Undecodable(f"the document expands to more than {MAX_VALUES} values")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise Undecodable(f"number {item} is not a finite number")
        elif isinstance(item, int) and not isinstance(item, bool) and not -2 ** 63 <= item < 2 ** 63:
            raise Undecodable("a number overflows a 64-bit integer")


def _refuse_constant(name: str) -> Any:
    raise Undecodable(f"invalid character '{name[0]}' looking for beginning of value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Undecodable(f"number {text} overflows a 64-bit float")
    return value


class _JsonishLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp type: sigs.k8s.io/yaml turns YAML into JSON, where dates are strings."""


_JsonishLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _jsonish(value: Any) -> Any:
    """Keys as strings; values JSON has (binary, sets and explicit timestamps are refused)."""
    if isinstance(value, dict):
        return {_key(k): _jsonish(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonish(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise Undecodable(f"a YAML {type(value).__name__} has no JSON form")


def _key(key: Any) -> str:
    if isinstance(key, bool) or key is None:
        return json.dumps(key)
    if isinstance(key, (str, int, float)):
        return str(key)
    raise Undecodable(f"a YAML {type(key).__name__} cannot be an object key in JSON")
