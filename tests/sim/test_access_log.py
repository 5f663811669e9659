"""The access log: one JSON line per request with no secret in it, bounded, and ``labkit sim requests`` over it."""

from __future__ import annotations

import json

import pytest
import requests
from click.testing import CliRunner

from labkit.cli import main
from labkit import prices
from labkit.sim import access_log
from labkit.sim.client import credential
from labkit.sim.entra.directory import read_secret
from labkit.sim.server import SimServer

ARM_SCOPE = "https://management.azure.com/.default"
LINE_KEYS = {"time", "method", "path", "api_version", "status", "ms", "client", "step"}


@pytest.fixture
def fresh_sim(tmp_path):
    server = SimServer(tmp_path / "state", time_scale=1 / 3000).start_in_thread()
    yield server
    server.stop()


def call(sim, path: str, *, token: str | None = None, user_agent: str = "python-requests/2.32") -> int:
    headers = {"User-Agent": user_agent, **({"Authorization": f"Bearer {token}"} if token else {})}
    return requests.get(sim.url + path, headers=headers, verify=str(sim.state_dir / "ca.pem"), timeout=10).status_code


def test_one_line_per_request_with_its_client_and_step_and_no_secret(fresh_sim):
    sim = fresh_sim
    token = credential(sim.state_dir, sim.url).get_token(ARM_SCOPE).token
    sub = f"/subscriptions/{sim.config.subscription_id}"
    az = "AZURECLI/2.91.0 (PIP) azsdk-python-core/1.39.0 Python/3.11.7 labkit-step/create_pool"
    assert call(sim, f"{sub}?api-version=2022-12-01&$filter=secret-ish", token=token, user_agent=az) == 200
    assert call(sim, "/api/v1/nodes", token=sim.world.token, user_agent="kubectl/v1.20.2 (linux/amd64)") == 200
    assert call(sim, "/api/v1/nodes", user_agent="labkit/0.1.0 OpenAPI-Generator/37.0/python") == 401

    lines = (sim.state_dir / access_log.FILE).read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert all(set(entry) == LINE_KEYS for entry in entries)
    arm, kubectl, refused = entries[-3:]
    assert (arm["method"], arm["path"], arm["api_version"], arm["status"], arm["client"], arm["step"]) == (
        "GET", sub, "2022-12-01", 200, "az", "create_pool")
    assert (kubectl["client"], kubectl["step"], kubectl["api_version"]) == ("kubectl", None, None)
    assert (refused["status"], refused["client"]) == (401, "labkit")
    text = "\n".join(lines)
    for secret in (token, sim.world.token, read_secret(sim.state_dir), "secret-ish"):
        assert secret not in text
    assert oct((sim.state_dir / access_log.FILE).stat().st_mode & 0o777) == "0o600"


def test_the_log_moves_aside_when_it_grows_so_it_stays_small(fresh_sim, monkeypatch):
    monkeypatch.setattr(access_log, "MAX_BYTES", 2000)
    for _ in range(40):
        call(fresh_sim, "/api/v1/nodes")
    current, previous = fresh_sim.state_dir / access_log.FILE, fresh_sim.state_dir / (access_log.FILE + ".1")
    assert previous.exists() and current.stat().st_size <= 2400 and previous.stat().st_size <= 2400
    assert 0 < len(access_log.read(fresh_sim.state_dir)) < 40  # what the two files still hold, oldest first


def test_labkit_sim_requests_counts_by_step_and_route_and_lists(fresh_sim):
    sim = fresh_sim
    token = credential(sim.state_dir, sim.url).get_token(ARM_SCOPE).token
    cluster = (f"/subscriptions/{sim.config.subscription_id}/resourceGroups/{sim.config.resource_group}"
               f"/providers/Microsoft.ContainerService/managedClusters/{sim.config.cluster_name}")
    for pool in ("nodepool1", "nothere"):
        call(sim, f"{cluster}/agentPools/{pool}?api-version=2026-08-01", token=token,
             user_agent="AZURECLI/2.91.0 labkit-step/show_pool")
    state = ["--state-dir", str(sim.state_dir)]

    by_step = CliRunner().invoke(main, ["sim", "requests", *state, "--json"])
    rows = {(row["step"], row["client"]): row for row in json.loads(by_step.output)}
    assert rows["show_pool", "az"] == {"step": "show_pool", "client": "az", "requests": 2, "arm": 2, "kubernetes": 0,
                                       "sign_in": 0, "errors": 1}
    table = CliRunner().invoke(main, ["sim", "requests", *state]).output.splitlines()
    assert table[0].split() == ["STEP", "CLIENT", "REQUESTS", "ARM", "KUBERNETES", "SIGN_IN", "ERRORS"]
    assert ["show_pool", "az", "2", "2", "0", "0", "1"] in [line.split() for line in table]

    by_route = CliRunner().invoke(main, ["sim", "requests", *state, "--by", "route"]).output
    assert "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}/agentPools/{}" in by_route
    listed = CliRunner().invoke(main, ["sim", "requests", *state, "--list", "--since", "5m"]).output.splitlines()
    assert listed[-1].split()[1:4] == ["az", "show_pool", "404"] and "api-version=2026-08-01" in listed[-1]
    refused = CliRunner().invoke(main, ["sim", "requests", *state, "--since", "yesterday"])
    assert refused.exit_code == 2 and "a duration such as 90s" in refused.output


def test_labkit_s_own_requests_say_so_and_carry_a_step_label_from_the_environment(sim, monkeypatch):
    from labkit import Lab, load_params

    monkeypatch.setenv("LABKIT_STATE_DIR", str(sim.state_dir))
    monkeypatch.setenv("AZURE_HTTP_USER_AGENT", "labkit-step/show_cluster")
    before = len(access_log.read(sim.state_dir))
    lab = Lab(load_params(lab_id="uaone"))
    lab.cluster_version()
    lab.k8s.list("Node")
    prices.hourly_price(lab.backend, "Standard_NC8as_T4_v3", "westus3")  # a lookup no other test made (they are kept)
    made = access_log.read(sim.state_dir)[before:]
    arm = [e for e in made if access_log.plane_of(e["path"]) == "arm"]
    kubernetes = [e for e in made if access_log.plane_of(e["path"]) == "kubernetes"]
    price_list = [e for e in made if e["path"].startswith(prices.PRICES_PATH)]
    assert arm and {(e["client"], e["step"]) for e in arm} == {("labkit", "show_cluster")}
    assert kubernetes and {e["client"] for e in kubernetes} == {"labkit"}
    assert price_list and {(e["client"], e["step"]) for e in price_list} == {("labkit", "show_cluster")}
