"""Failures to practise: scenarios switched on in a running (or not yet started) simulator.

A scenario is a line in ``faults.json`` in the state directory, written by ``labkit sim fault add``
and read by the server on every request, so it takes effect at once and ``labkit sim fault clear``
ends it. Each kind is what a learner meets on a real subscription:

- ``quota``: a VM family's vCPU quota at ``limit`` (default 0, as GPU families often are on a new
  subscription): pool creation fails with ErrCode_InsufficientVCPUQuota.
- ``pool-failure``: the next pool created (or the one named ``pool``) ends Failed with AKS's
  OutboundConnFailVMExtensionError.
- ``throttle``: ARM answers the next ``times`` requests 429 with ``Retry-After``, as when a subscription's
  request budget is spent.
- ``server-error``: ARM answers the next ``times`` requests with ``status`` (500 or 503).
- ``feature-stuck``: registering a preview feature never completes (it stays Registering).
- ``credentials-forbidden``: the cluster-credentials calls answer 403 AuthorizationFailed.

Example:
    >>> from labkit.sim import faults
    >>> faults.add(tmp_path, "quota", family="standardNCASv3_T4Family")   # doctest: +SKIP
    {'id': 1, 'kind': 'quota', 'family': 'standardNCASv3_T4Family', 'limit': 0}
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Optional

from labkit import catalog
from labkit.errors import LabError
from labkit.files import exclusive_lock, private_dir, write_private

FILE = "faults.json"

#: Every kind with its options and their defaults.
KINDS: dict[str, dict[str, Any]] = {
    "quota": {"family": catalog.gpu_size(catalog.DEFAULT_VM_SIZE).family.quota_family, "limit": 0},
    "pool-failure": {"pool": "*"},
    "throttle": {"times": 3, "retry_after": 1},
    "server-error": {"status": 503, "times": 2},
    "feature-stuck": {"feature": "WindowsGPUPreview"},
    "credentials-forbidden": {},
}


class FaultError(LabError):
    """A fault that cannot be added: an unknown kind or option."""


def add(state_dir: Path, kind: str, **options: Any) -> dict[str, Any]:
    """Switch a scenario on; returns it as stored (with its id and every option)."""
    if kind not in KINDS:
        raise FaultError(f"unknown fault {kind!r}; the kinds are {', '.join(KINDS)}")
    unknown = set(options) - set(KINDS[kind])
    if unknown:
        raise FaultError(f"fault {kind!r} takes {', '.join(KINDS[kind]) or 'no options'}, not {', '.join(sorted(unknown))}")
    given = {k: v for k, v in options.items() if v is not None}
    with exclusive_lock(private_dir(Path(state_dir)) / "faults.lock"):
        saved = _saved(state_dir)
        fault = {"id": saved["last_id"] + 1, "kind": kind, **KINDS[kind], **given}
        _write(state_dir, fault["id"], saved["faults"] + [fault])
    return fault


def read(state_dir: Path) -> list[dict[str, Any]]:
    """The scenarios switched on, oldest first (entries a hand edit broke are left out)."""
    return [f for f in _saved(state_dir)["faults"] if _valid(f)]


def _valid(fault: Any) -> bool:
    """A fault of a known kind whose options have their defaults' types."""
    if not isinstance(fault, dict) or fault.get("kind") not in KINDS or not isinstance(fault.get("id"), int):
        return False
    return all(isinstance(fault.get(name), type(default)) for name, default in KINDS[fault["kind"]].items())


def clear(state_dir: Path) -> int:
    """Switch every scenario off; returns how many there were."""
    with exclusive_lock(private_dir(Path(state_dir)) / "faults.lock"):
        saved = _saved(state_dir)
        _write(state_dir, saved["last_id"], [])
    return len(saved["faults"])


def _saved(state_dir: Path) -> dict[str, Any]:
    """The file's content; ids are never reused, so the server's use counts never carry over to a new fault."""
    try:
        saved = json.loads((Path(state_dir) / FILE).read_text())
    except (OSError, ValueError):
        saved = None
    if not isinstance(saved, dict) or not isinstance(saved.get("faults"), list):
        return {"last_id": 0, "faults": []}
    return {"last_id": int(saved.get("last_id", 0)), "faults": saved["faults"]}


def _write(state_dir: Path, last_id: int, faults: list[dict[str, Any]]) -> None:
    write_private(Path(state_dir) / FILE, json.dumps({"last_id": last_id, "faults": faults}, indent=2).encode())


class Faults:
    """The server's view of ``faults.json``: re-read when the file changes; counts what each fault served."""

    def __init__(self, state_dir: Path):
        self._state_dir = Path(state_dir)
        self._seen: Optional[tuple[int, int]] = None
        self._faults: list[dict[str, Any]] = []
        self._served: dict[int, int] = {}

    def active(self, kind: str) -> list[dict[str, Any]]:
        self._reload()
        return [f for f in self._faults if f["kind"] == kind]

    def take(self, kind: str, applies: Callable[[dict[str, Any]], bool] = lambda fault: True) -> Optional[dict[str, Any]]:
        """The first fault of ``kind`` that ``applies`` and has uses left, counting this use; None when there is none."""
        for fault in self.active(kind):
            if applies(fault) and self._served.get(fault["id"], 0) < int(fault.get("times", 1)):
                self._served[fault["id"]] = self._served.get(fault["id"], 0) + 1
                return fault
        return None

    def quota_limits(self) -> dict[str, int]:
        return {f["family"]: int(f["limit"]) for f in self.active("quota")}

    def _reload(self) -> None:
        try:
            stat = os.stat(self._state_dir / FILE)
            seen = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            seen = None
        if seen != self._seen:
            self._seen, self._faults = seen, read(self._state_dir)
