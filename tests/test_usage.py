"""What a run used in Azure: GPU VM-minutes from the pools' lifetimes, their cost, Azure time and the critical path."""

from __future__ import annotations

import json
import time

from labkit import results, usage
from labkit.cleanup import cleanup
from labkit.pools import create_gpu_pool
from labkit.preview import register_feature
from labkit.report import report
from labkit.sim.world import DURATIONS



def write(directory, name, entries):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.jsonl").write_text("".join(json.dumps(entry) + "\n" for entry in entries))


def created(pool, at, nodes=1, usd=0.71):
    return {"pool": pool, "event": "created", "at": at, "vm_size": "Standard_NC4as_T4_v3", "nodes": nodes,
            "usd_per_hour": usd, "price": "Retail Prices API, effective 2026-03-09", "scale": 600.0}


def step(kind, name, started, ended):
    return {"kind": kind, "name": name, "started": started, "ended": ended, "scale": 600.0}


def test_vm_minutes_run_from_each_pools_creation_to_its_deletion_on_the_azure_clock(tmp_path):
    write(tmp_path, usage.POOLS, [created("gpunp", 100.0, nodes=2), created("gpudx", 100.5),
                                  {"pool": "gpunp", "event": "deleted", "at": 101.5}])
    summary = usage.summary(tmp_path, ended_at=102.0)  # gpudx was never deleted: it counts until the run's end
    pools = {pool["pool"]: pool for pool in summary["pools"]}
    assert (pools["gpunp"]["minutes"], pools["gpunp"]["vm_minutes"], pools["gpunp"]["usd"]) == (15.0, 30.0, 0.35)
    assert (pools["gpudx"]["minutes"], pools["gpudx"]["still_exists"]) == (15.0, True)
    assert (summary["gpu_vm_minutes"], summary["gpu_cost_usd"]) == (45.0, 0.53)


def test_azure_time_counts_steps_that_ran_at_once_once_and_the_critical_path_the_slower_pool(tmp_path):
    write(tmp_path, usage.STEPS, [step("registration", "feature", 0.0, 0.5), step("registration", "provider", 0.5, 0.6),
                                  step("pool", "gpunp", 1.0, 1.7), step("pool", "gpudx", 1.0, 1.8),
                                  step("verification", "Job", 2.0, 2.1), step("deletion", "lab", 2.5, 2.9)])
    summary = usage.summary(tmp_path, ended_at=3.0)
    assert summary["critical_path"] == {"registration": 6.0, "pool": 8.0, "verification": 1.0, "deletion": 4.0}
    assert (summary["critical_path_minutes"], summary["azure_minutes"]) == (19.0, 19.0)  # the pools overlapped fully
    write(tmp_path, usage.STEPS, [step("pool", "gpunp", 1.0, 1.7), step("pool", "gpudx", 1.7, 2.5)])  # one after the other
    assert usage.summary(tmp_path, ended_at=3.0)["azure_minutes"] == 15.0


def test_the_report_shows_vm_minutes_cost_and_azure_time_against_the_critical_path(tmp_path):
    write(tmp_path, usage.POOLS, [created("gpunp", 100.0), {"pool": "gpunp", "event": "deleted", "at": 101.0}])
    write(tmp_path, usage.STEPS, [step("pool", "gpunp", 100.0, 100.7)])
    summary = {"status": "passed", "lab_id": "team3", "backend": "sim", "duration_seconds": 1.0, "gpu_capacity": [],
               "lessons": [], "left_after_cleanup": [], "cleanup_command": "labkit cleanup --lab-id team3",
               "azure_usage": usage.summary(tmp_path, ended_at=102.0)}
    text = report(summary)
    assert "- GPU VM-minutes: 10.0, about $0.12 at pay-as-you-go prices" in text
    assert "  - gpunp: 1 x Standard_NC4as_T4_v3 for 10.0 min, $0.12 (Retail Prices API, effective 2026-03-09)" in text
    assert "- Azure time: 7.0 min while an Azure step ran, against a critical path of 7.0 min" in text
    assert "On the simulator's clock (600 Azure seconds a second)" in text


def test_a_lessons_pool_counts_from_before_its_creation_to_after_its_deletion(sim, lab, tmp_path, monkeypatch):
    monkeypatch.setenv(results.ENV, str(tmp_path))
    register_feature(lab)
    started = time.time()
    create_gpu_pool(lab)
    cleanup(lab)
    ended = time.time()
    summary = usage.summary(tmp_path, ended_at=ended)
    [pool] = summary["pools"]
    assert (pool["pool"], pool["nodes"], pool["still_exists"], pool["usd"] is not None) == ("gpunp", 1, False, True)
    # On the simulator's clock the pool lived through its whole creation and deletion (their simulated durations),
    # and no longer than the calls that made and removed it.
    azure_seconds = pool["minutes"] * 60
    scale = summary["azure_seconds_per_second"]
    assert scale == 1 / sim.config.time_scale
    assert DURATIONS["pool_create"] + DURATIONS["pool_delete"] - 6 <= azure_seconds <= (ended - started) * scale + 6
    assert summary["gpu_vm_minutes"] == pool["vm_minutes"] == pool["minutes"]
    assert [entry["kind"] for entry in results.read_entries(tmp_path, usage.STEPS)] == ["registration", "pool", "deletion"]
