"""The Azure code path end to end: `labkit run --backend azure` in a custom cloud, which is the simulator, signed in to
by DefaultAzureCredential as a service principal (EnvironmentCredential) at the simulator's Entra ID stand-in.

Nothing here starts a simulator on labkit's behalf: the run finds the cloud by its ARM endpoint, as it would Azure
Stack Hub, so every line it runs is the one a nightly run against a real subscription runs.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from labkit.runner import LESSONS
from labkit_command import labkit
from labkit.sim import access_log, service
from labkit.sim.entra.directory import read_principal, read_secret

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """The simulator, running as a cloud of its own (its state directory is nobody else's)."""
    state_dir = tmp_path_factory.mktemp("cloud")
    yield service.start(state_dir, time_scale=0.0005)
    service.stop(state_dir)


@pytest.fixture(scope="module")
def azure_run(cloud, tmp_path_factory):
    home = tmp_path_factory.mktemp("runner")
    state_dir = Path(cloud["state_dir"])
    principal = read_principal(state_dir)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AZURE_", "LABKIT_"))}
    env.update({
        # a service principal, as EnvironmentCredential reads it (and a CI secret store would hold it)
        "AZURE_TENANT_ID": principal.tenant_id, "AZURE_CLIENT_ID": principal.client_id,
        "AZURE_CLIENT_SECRET": read_secret(state_dir), "AZURE_SUBSCRIPTION_ID": cloud["subscription_id"],
        "REQUESTS_CA_BUNDLE": cloud["ca_file"],  # the cloud's CA, as for a private cloud's
        "LABKIT_POLL_SECONDS": "0.05",  # the simulator's clock is fast; Azure's default of 10 s would only wait
        "LABKIT_STATE_DIR": str(home / "no-simulator"), "LABKIT_CONFIG_DIR": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"), "AZURE_CONFIG_DIR": str(home / "azure"), "LABKIT_PROGRESS": "off",
    })
    out = home / "run"
    return labkit(env, "run", "--backend", "azure", "-p", f"cloud={cloud['arm_endpoint']}", "-p", "lab_id=nightly1",
                  "--out", str(out)), out, home, env


def test_all_six_lessons_pass_on_the_azure_path_and_leave_nothing(azure_run):
    result, out, _, _ = azure_run
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["backend"], summary["status"], summary["lab_id"]) == ("azure", "passed", "nightly1")
    assert [(lesson["name"], lesson["status"]) for lesson in summary["lessons"]] == [(name, "passed") for name in LESSONS]
    assert {row["pool"] for row in summary["gpu_capacity"] if row["allocatable"] >= 1} == {"gpunp", "gpudx"}
    assert summary["left_after_cleanup"] == []


def test_the_run_signed_in_at_the_clouds_authority_and_started_no_simulator(azure_run, cloud):
    _, _, home, env = azure_run
    requests = access_log.read(Path(cloud["state_dir"]))
    tenant = env["AZURE_TENANT_ID"]
    assert any(r["path"] == "/metadata/endpoints" for r in requests)
    assert any(r["method"] == "POST" and r["path"] == f"/{tenant}/oauth2/v2.0/token" and r["status"] == 200 and
               r["client"] == "azsdk-python-identity" for r in requests)
    assert any(r["path"].endswith("/agentPools/gpunp") and r["method"] == "PUT" for r in requests)
    assert not (home / "no-simulator").exists()


def test_the_kubeconfig_is_written_0600_in_the_users_cache(azure_run):
    _, _, home, _ = azure_run
    kubeconfigs = list((home / "cache" / "labkit" / "kubeconfigs").iterdir())
    assert len(kubeconfigs) == 1 and stat.S_IMODE(kubeconfigs[0].stat().st_mode) == 0o600


def test_no_secret_of_the_service_principal_in_any_output(azure_run):
    result, out, _, env = azure_run
    files = [path for path in out.rglob("*") if path.is_file()]
    assert len(files) >= len(LESSONS) + 2
    for text in [result.stdout + result.stderr, *(path.read_text(errors="replace") for path in files)]:
        assert env["AZURE_CLIENT_SECRET"] not in text


def test_the_cleanup_a_nightly_job_ends_with_finds_nothing_left(azure_run, cloud):
    _, _, _, env = azure_run
    result = labkit(env, "cleanup", "--backend", "azure", "-p", f"cloud={cloud['arm_endpoint']}", "--lab-id", "nightly1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"lab nightly1 in subscription {cloud['subscription_id']}: nothing")
