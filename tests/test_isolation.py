"""Cleanup goes by the lab id, not by the parameters. (Many labs at once on one cluster, each verifying its own
nodes: the workshop rehearsal in tests/workshop/test_rehearsal.py.)"""

from __future__ import annotations

import json
import os
from pathlib import Path

from labkit.exits import RunExit
from labkit_command import labkit

ROOT = Path(__file__).resolve().parent.parent


def test_cleanup_finds_a_pool_created_under_another_name(sim_env, tmp_path):
    import papermill

    notebooks = ROOT / "notebooks"
    env_backup = dict(os.environ)
    os.environ.update(sim_env)
    try:
        for lesson, parameters in [("00_prerequisites", {}), ("01_preview_setup", {}),
                                   ("02_gpu_pool_auto_driver", {"pool_name": "gpu1"}), ("05_cleanup", {})]:
            papermill.execute_notebook(str(notebooks / f"{lesson}.ipynb"), str(tmp_path / f"{lesson}.ipynb"), parameters=parameters,
                                       cwd=str(notebooks), progress_bar=False, kernel_name="python3")
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    cleanup_output = (tmp_path / "05_cleanup.ipynb").read_text()
    assert "pool gpu1 in myResourceGroup/myAKSCluster" in cleanup_output and "Nothing left." in cleanup_output
    assert ": nothing" in labkit(sim_env, "cleanup", "--dry-run").stdout


def test_a_kept_run_is_listed_exactly_by_the_dry_run_and_then_removed(sim_env, tmp_path):
    # The nodes advertise microsoft.com/directx: lessons 02 and 03 (run at once) fail right after their pools exist.
    kept = labkit(sim_env, "run", "--keep", "--out", str(tmp_path / "kept"), "-p", "lab_id=kept",
                  "-p", "gpu_resource_name=microsoft.com.directx/gpu")
    assert kept.returncode == RunExit.RESOURCES_LEFT  # --keep keeps the failed lab's pools, which bill: not just 1
    summary = json.loads((tmp_path / "kept" / "summary.json").read_text())
    assert [lesson["status"] for lesson in summary["lessons"]][2:] == ["failed", "failed", "skipped", "skipped"]
    assert summary["left_after_cleanup"][:2] == [f"pool {name} in myResourceGroup/myAKSCluster (Succeeded)"
                                                 for name in ("gpudx", "gpunp")]
    assert "Namespace gpu-resources (Active)" in summary["left_after_cleanup"]  # lesson 03's plugin, in its namespace
    assert "Remove it with `labkit cleanup --lab-id kept`" in (tmp_path / "kept" / "report.md").read_text()
    dry = labkit(sim_env, "cleanup", "--lab-id", "kept", "--dry-run")
    listed = [line.strip() for line in dry.stdout.splitlines() if line.startswith("  ")]
    assert listed == summary["left_after_cleanup"]
    assert "az aks nodepool delete --resource-group myResourceGroup --cluster-name myAKSCluster --name gpunp" in dry.stdout
    removed = labkit(sim_env, "cleanup", "--lab-id", "kept")
    assert removed.returncode == 0 and "nothing left." in removed.stdout, removed.stdout + removed.stderr
    assert ": nothing" in labkit(sim_env, "cleanup", "--lab-id", "kept", "--dry-run").stdout


def test_all_labs_cleanup_asks_first_and_then_removes_every_labs_resources(sim_env, monkeypatch):
    from labkit import Lab, load_params

    for name, value in sim_env.items():
        monkeypatch.setenv(name, value)
    lab = Lab(load_params(lab_id="someone"))
    pool = {"properties": {"count": 1, "vmSize": "Standard_D2s_v3", "osType": "Linux", "mode": "User",
                           "tags": {"labkit": "02_gpu_pool_auto_driver", "labkit-lab": "someone"}}}
    lab.aks.agent_pools.begin_create_or_update("myResourceGroup", "myAKSCluster", "theirs", pool).result()
    refused = labkit(sim_env, "cleanup", "--lab-id", "instructor", "--all-labs", input="n\n")
    assert refused.returncode != 0 and "Remove these 1, of every lab?" in refused.stdout and "Aborted" in refused.stderr
    assert "pool theirs in myResourceGroup/myAKSCluster" in labkit(sim_env, "cleanup", "--all-labs", "--dry-run").stdout
    assert "other labs' pools, left alone:\n  pool theirs" in labkit(sim_env, "cleanup", "--lab-id", "instructor").stdout
    swept = labkit(sim_env, "cleanup", "--all-labs", "--yes")
    assert swept.returncode == 0 and "nothing left." in swept.stdout
