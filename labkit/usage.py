"""What a run used in Azure: the lessons record their Azure steps and their GPU pools' lifetimes, and ``labkit run``
sums them up for its report (GPU VM-minutes, their cost, the run's Azure time against its critical path).

Times are taken on the lab's clock and counted in Azure time: the backend says how many Azure seconds one second
stands for (1 on Azure; the simulator compresses minutes into seconds), so a simulator run reports what the same
run would take and cost on Azure. Outside ``labkit run`` nothing is recorded (:mod:`labkit.results`).

Example:
    >>> with step(lab, "registration", "feature WindowsGPUPreview"):     # doctest: +SKIP
    ...     register_and_wait()
    >>> summary(results_dir, ended_at=time.time())["gpu_vm_minutes"]      # doctest: +SKIP
    31.5
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from labkit import prices, results

#: The kinds of Azure step on the lab's critical path, in order: the slower pool counts once, every other kind
#: by the sum of its steps.
STEP_KINDS = ("registration", "pool", "verification", "deletion")
STEPS, POOLS = "azure_steps", "pool_lifetimes"


@contextmanager
def step(lab: Any, kind: str, name: str) -> Iterator[None]:
    """Record how long an Azure step of ``kind`` (one of :data:`STEP_KINDS`) took, when it completes."""
    started = time.time()
    yield
    results.append(STEPS, {"kind": kind, "name": name, "started": started, "ended": time.time(),
                           "scale": lab.backend.azure_seconds_per_second})


def pool_created(lab: Any, pool: str, *, vm_size: str, nodes: int, region: str, at: float) -> None:
    """Record that the lab's pool began to exist at ``at`` (its creation was accepted), with its hourly price."""
    if not results.enabled():
        return
    price = prices.hourly_price(lab.backend, vm_size, region)
    results.append(POOLS, {"pool": pool, "event": "created", "at": at, "vm_size": vm_size, "nodes": nodes,
                           "usd_per_hour": price.usd_per_hour, "price": price.source,
                           "scale": lab.backend.azure_seconds_per_second})


def pool_deleted(pool: str, *, at: float) -> None:
    """Record that the lab's pool was gone at ``at`` (its deletion finished)."""
    results.append(POOLS, {"pool": pool, "event": "deleted", "at": at})


def summary(directory: Path, *, ended_at: float) -> dict[str, Any]:
    """What the run's lessons recorded, summed up: a pool still there at ``ended_at`` counts until then."""
    pools = _pools(results.read_entries(directory, POOLS), ended_at)
    steps = results.read_entries(directory, STEPS)
    known = [p["usd"] for p in pools if p["usd"] is not None]
    path = _critical_path(steps)
    return {
        "gpu_vm_minutes": round(sum(p["vm_minutes"] for p in pools), 1),
        "gpu_cost_usd": round(sum(known), 2) if len(known) == len(pools) else None,
        "pools": pools,
        "azure_minutes": round(_busy_seconds(steps) / 60, 1),
        "critical_path_minutes": round(sum(path.values()), 1),
        "critical_path": path,
        "azure_seconds_per_second": steps[0]["scale"] if steps else None,
    }


def _pools(entries: list[dict[str, Any]], ended_at: float) -> list[dict[str, Any]]:
    """Each pool the run created, from its creation to its deletion (or ``ended_at``), in Azure minutes."""
    deleted = {e["pool"]: e["at"] for e in entries if e["event"] == "deleted"}
    rows = []
    for created in (e for e in entries if e["event"] == "created"):
        end = deleted.get(created["pool"], ended_at)
        minutes = max(0.0, end - created["at"]) * created["scale"] / 60
        vm_minutes = minutes * created["nodes"]
        usd = None if created["usd_per_hour"] is None else vm_minutes / 60 * created["usd_per_hour"]
        rows.append({"pool": created["pool"], "vm_size": created["vm_size"], "nodes": created["nodes"],
                     "minutes": round(minutes, 1), "vm_minutes": round(vm_minutes, 1),
                     "usd": None if usd is None else round(usd, 2), "price": created["price"],
                     "still_exists": created["pool"] not in deleted})
    return rows


def _busy_seconds(steps: list[dict[str, Any]]) -> float:
    """Azure seconds during which at least one step ran (steps that ran at once count once)."""
    busy, reach = 0.0, float("-inf")
    for entry in sorted(steps, key=lambda e: e["started"]):
        start = max(entry["started"], reach)
        if entry["ended"] > start:
            busy += (entry["ended"] - start) * entry["scale"]
        reach = max(reach, entry["ended"])
    return busy


def _critical_path(steps: list[dict[str, Any]]) -> dict[str, float]:
    """Azure minutes of each kind of step on the critical path: registration + the slower pool + verification +
    deletion."""
    minutes: dict[str, list[float]] = {kind: [] for kind in STEP_KINDS}
    for entry in steps:
        minutes[entry["kind"]].append((entry["ended"] - entry["started"]) * entry["scale"] / 60)
    return {kind: round(max(values, default=0.0) if kind == "pool" else sum(values), 1)
            for kind, values in minutes.items()}
