"""The simulator's access log: one JSON line per request, in ``access.log`` in its state directory.

It shows which calls a step makes, as ``az --debug`` would, and lets tools count them (``labkit sim requests``).
Each line, a stable format (new keys may be added; these keep their meaning)::

    {"time": "2026-11-30T20:10:00.123Z", "method": "GET", "path": "/subscriptions/.../agentPools/gpunp",
     "api_version": "2026-08-01", "status": 200, "ms": 3.1, "client": "az", "step": "create_pool"}

- ``time``: when the request arrived (UTC, milliseconds); ``ms``: how long the answer took (to its end, for a watch);
- ``path``: without the query string; ``api_version``: the query's api-version, or null;
- ``client``: ``az``, ``labkit``, ``kubectl``, else the first product of the User-Agent (e.g. ``python-requests``);
- ``step``: the label a client put in its User-Agent as ``labkit-step/<name>`` (az and the Azure SDKs append
  ``$AZURE_HTTP_USER_AGENT``), or null.

Never a header, token, body or any other part of the query. At :data:`MAX_BYTES` the file moves to ``access.log.1``
(replacing the one before), so a long-running simulator keeps at most twice that.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

from aiohttp import web

from labkit.sim.auth import is_arm

FILE = "access.log"
#: Size at which the log moves aside to ``access.log.1``.
MAX_BYTES = 4 * 2**20
#: How a client labels its requests with a step: a User-Agent product ``labkit-step/<name>``.
STEP_PRODUCT = "labkit-step/"

_STEP = re.compile(re.escape(STEP_PRODUCT) + r"([A-Za-z0-9_.:-]{1,64})")
_PRODUCT = re.compile(r"[A-Za-z0-9_.-]{1,40}")
#: Clients named by a product in their User-Agent, tried in order (az's also carries the Azure SDK's).
_KNOWN_CLIENTS = (("AZURECLI/", "az"), ("labkit/", "labkit"), ("kubectl/", "kubectl"))


class AccessLog:
    """Appends request lines to ``access.log`` (0600), moving it aside when it grows past :data:`MAX_BYTES`."""

    def __init__(self, state_dir: Path):
        self.path = state_dir / FILE
        self._file = _open_private(self.path)

    def record(self, request: web.Request, status: int, started: float, seconds: float) -> None:
        user_agent = request.headers.get("User-Agent", "")
        step = _STEP.search(user_agent)
        line = {
            "time": _utc_milliseconds(started),
            "method": request.method,
            "path": request.path,
            "api_version": request.query.get("api-version"),
            "status": status,
            "ms": round(seconds * 1000, 1),
            "client": client_of(user_agent),
            "step": step[1] if step else None,
        }
        self._file.write(json.dumps(line) + "\n")
        if self._file.tell() > MAX_BYTES:
            self._file.close()
            os.replace(self.path, self.path.with_name(FILE + ".1"))
            self._file = _open_private(self.path)

    def close(self) -> None:
        self._file.close()


def middleware(log: AccessLog):
    """An aiohttp middleware writing one line per request to ``log``, whatever the answer."""

    @web.middleware
    async def record(request: web.Request, handler):
        started, clock = time.time(), time.monotonic()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            log.record(request, status, started, time.monotonic() - clock)

    return record


def client_of(user_agent: str) -> str:
    """Who sent a request, from its User-Agent: ``az``, ``labkit``, ``kubectl``, else its first product's name."""
    for marker, name in _KNOWN_CLIENTS:
        if marker in user_agent:
            return name
    product = _PRODUCT.match(user_agent.split("/", 1)[0].strip())
    return product[0] if product else "unknown"


def read(state_dir: Path, *, since: Optional[float] = None) -> list[dict[str, Any]]:
    """The logged requests, oldest first (the moved-aside file too), from ``since`` (a Unix time) on."""
    entries = [entry for path in (state_dir / (FILE + ".1"), state_dir / FILE) for entry in _lines(path)]
    if since is None:
        return entries
    cutoff = _utc_milliseconds(since)
    return [entry for entry in entries if entry["time"] >= cutoff]


def summary(entries: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """Requests counted by step (``by="step"``: step and client, split by plane) or by route (``by="route"``: client,
    method and :func:`route_of` the path), the largest counts first; errors are answers of 400 and above."""
    keys = ("step", "client") if by == "step" else ("client", "method", "route")
    rows: dict[tuple, dict[str, Any]] = {}
    for entry in entries:
        values = {"route": route_of(entry["path"]), **entry}
        key = tuple(values.get(name) for name in keys)
        row = rows.setdefault(key, {**dict(zip(keys, key)), "requests": 0, "arm": 0, "kubernetes": 0, "sign_in": 0,
                                    "errors": 0})
        row["requests"] += 1
        row[plane_of(entry["path"])] += 1
        row["errors"] += entry.get("status", 0) >= 400
    return sorted(rows.values(), key=lambda row: (-row["requests"], [str(row[k]) for k in keys]))


def plane_of(path: str) -> str:
    """``arm`` (ARM and its metadata), ``sign_in`` (the Entra stand-in) or ``kubernetes``."""
    if is_arm(path) or path.lower().startswith("/metadata/"):
        return "arm"
    if "/oauth2/" in path or "/.well-known/" in path or "/discovery/" in path:
        return "sign_in"
    return "kubernetes"


def route_of(path: str) -> str:
    """A path with the names in it replaced by placeholders, so that the same call on two pools counts as one route.

    Example:
        >>> route_of("/subscriptions/1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks/agentPools/gpunp")
        '/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}/agentPools/{}'
        >>> route_of("/api/v1/namespaces/gpu-resources/pods/p-1/log")
        '/api/v1/namespaces/{}/pods/{}/log'
    """
    parts = path.split("/")
    if len(parts) > 1 and parts[1] in ("api", "apis"):
        return "/".join(_kubernetes_route(parts))
    named_after = {"subscriptions", "resourcegroups", "managedclusters", "agentpools", "locations", "operations",
                   "operationresults", "features", "tenants"}
    return "/".join("{}" if i > 1 and parts[i - 1].lower() in named_after else part for i, part in enumerate(parts))


def _kubernetes_route(parts: list[str]) -> list[str]:
    """``/api/v1/<kind>/<name>/...`` and ``/apis/<group>/<version>/...``, with ``namespaces/<ns>/`` in between."""
    start = 3 if parts[1] == "api" else 4
    route, rest = parts[:start], parts[start:]
    if len(rest) > 2 and rest[0] == "namespaces":
        route += ["namespaces", "{}"]
        rest = rest[2:]
    if rest:
        route.append(rest[0])
    if len(rest) > 1:
        route.append("{}")
    return route + rest[2:]


def _utc_milliseconds(timestamp: float) -> str:
    """A Unix time as the log writes it (``2026-01-02T03:04:05.678Z``), which orders as the times do."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open() as handle:
            for line in handle:
                try:
                    yield json.loads(line)
                except ValueError:  # a line cut short by a crash
                    continue
    except FileNotFoundError:
        return


def _open_private(path: Path):
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a", buffering=1)
