"""Time the simulator: start-up, round trips through the real clients, and a full Windows GPU pool cycle.

    .venv/bin/python bench/sim_bench.py [--json]

Runs against a fresh simulator in a temporary state directory, stopped at the end. Targets: start-up
under 2 s, median round trip under 10 ms. The cycle runs on the default clock (``DEFAULT_TIME_SCALE``),
so it shows how Azure's minutes of feature registration and pool provisioning compress into seconds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import kubernetes
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.resource.features import FeatureClient

from labkit import catalog
from labkit.sim import service
from labkit.sim.client import credential as sim_credential
from labkit.sim.server import SimServer
from labkit.sim.world import DEFAULT_TIME_SCALE

ROUNDS = 200
WARM_UP = 20
STARTUP_TARGET_S = 2.0
MEDIAN_TARGET_MS = 10.0
PROVIDER = "Microsoft.ContainerService"
FEATURE = "WindowsGPUPreview"
GPU_RESOURCE = catalog.DIRECTX_RESOURCE
GPU_POOL = "gpunp"
GPU_POOL_BODY = {"properties": {
    "vmSize": "Standard_NC4as_T4_v3", "osType": "Windows", "count": 1, "gpuProfile": {"driver": "Install"},
}}
POLL_S = 0.01


class Clients:
    """The real SDK clients, pointed at the simulator with nothing but what ``service.status`` says."""

    def __init__(self, info: dict[str, Any]):
        credential = sim_credential(Path(info["state_dir"]), info["authority"])
        options = {"base_url": info["arm_endpoint"], "connection_verify": info["ca_file"], "polling_interval": POLL_S}
        self.aks = ContainerServiceClient(credential, info["subscription_id"], **options)
        self.features = FeatureClient(credential, info["subscription_id"], **options).features
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(config_file=info["kubeconfig"], client_configuration=configuration)
        self.core = kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(configuration))
        self.cluster = info["resource_group"], info["cluster_name"]


def thread_start_seconds(state_dir: Path) -> float:
    """How long ``SimServer(...).start_in_thread()`` takes on a fresh state directory."""
    started = time.perf_counter()
    server = SimServer(state_dir, time_scale=DEFAULT_TIME_SCALE).start_in_thread()
    elapsed = time.perf_counter() - started
    server.stop()
    return elapsed


def typical_calls(clients: Clients) -> dict[str, Callable[[], Any]]:
    """The calls the lessons make most, by name; each returns once the client has parsed the answer."""
    aks, core, cluster = clients.aks, clients.core, clients.cluster
    return {
        "ARM managed_clusters.get": lambda: aks.managed_clusters.get(*cluster),
        "ARM agent_pools.get": lambda: aks.agent_pools.get(*cluster, "nodepool1"),
        "ARM agent_pools.list": lambda: list(aks.agent_pools.list(*cluster)),
        "ARM features.get": lambda: clients.features.get(PROVIDER, FEATURE),
        "k8s list_node": core.list_node,
        "k8s read_namespace": lambda: core.read_namespace("default"),
        "k8s list_namespaced_pod": lambda: core.list_namespaced_pod("kube-system"),
        "k8s create+delete namespace": namespace_create_and_delete(core),
    }


def namespace_create_and_delete(core: kubernetes.client.CoreV1Api) -> Callable[[], None]:
    """A call pair on a new namespace each time: a deleted one stays Terminating for a while."""
    names = (f"bench-{index}" for index in itertools.count())

    def create_and_delete() -> None:
        name = next(names)
        core.create_namespace({"metadata": {"name": name}})
        core.delete_namespace(name)

    return create_and_delete


def round_trip_ms(call: Callable[[], Any]) -> dict[str, float]:
    """Median and 95th percentile of ``ROUNDS`` calls after ``WARM_UP`` unmeasured ones, in ms."""
    for _ in range(WARM_UP):
        call()
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median": statistics.median(samples), "p95": samples[math.ceil(0.95 * len(samples)) - 1]}


def poll_until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done within {timeout} s")
        time.sleep(POLL_S)


def gpu_advertised(core: kubernetes.client.CoreV1Api) -> bool:
    nodes = core.list_node(label_selector=f"agentpool={GPU_POOL}").items
    return any(int((node.status.allocatable or {}).get(GPU_RESOURCE, "0")) > 0 for node in nodes)


def gpu_cycle_seconds(clients: Clients) -> dict[str, float]:
    """Real seconds from registering the preview feature until each milestone of a new GPU pool."""
    milestones = {}
    started = time.perf_counter()
    clients.features.register(PROVIDER, FEATURE)
    poll_until(lambda: clients.features.get(PROVIDER, FEATURE).properties.state == "Registered")
    milestones["feature Registered"] = time.perf_counter() - started
    clients.aks.agent_pools.begin_create_or_update(*clients.cluster, GPU_POOL, GPU_POOL_BODY).result(timeout=60)
    milestones["pool Succeeded (LRO poller done)"] = time.perf_counter() - started
    poll_until(lambda: gpu_advertised(clients.core))
    milestones[f"node advertises {GPU_RESOURCE}"] = time.perf_counter() - started
    return milestones


def measure(workdir: Path) -> dict[str, Any]:
    """Every number of the report; the background simulator is stopped whatever happens."""
    report: dict[str, Any] = {"startup_s": {"thread": thread_start_seconds(workdir / "thread")}}
    state_dir = workdir / "service"
    try:
        started = time.perf_counter()
        info = service.start(state_dir, time_scale=DEFAULT_TIME_SCALE)
        report["startup_s"]["service"] = time.perf_counter() - started
        clients = Clients(info)
        report["round_trip_ms"] = {name: round_trip_ms(call) for name, call in typical_calls(clients).items()}
        report["cycle"] = {"time_scale": DEFAULT_TIME_SCALE, "real_s": gpu_cycle_seconds(clients)}
    finally:
        service.stop(state_dir)
    return report


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def print_table(report: dict[str, Any]) -> None:
    startup = report["startup_s"]
    print(f"start-up (target < {STARTUP_TARGET_S:g} s)")
    print(f"  labkit.sim.service.start     {startup['service']:6.2f} s   {verdict(startup['service'] < STARTUP_TARGET_S)}")
    print(f"  SimServer.start_in_thread    {startup['thread']:6.2f} s   {verdict(startup['thread'] < STARTUP_TARGET_S)}"
          "   (modules already imported)")
    print(f"round trips through the real clients, {ROUNDS} each (target median < {MEDIAN_TARGET_MS:g} ms)")
    print(f"  {'call':30} {'median':>8} {'p95':>8}")
    for name, numbers in report["round_trip_ms"].items():
        ok = numbers["median"] < MEDIAN_TARGET_MS
        print(f"  {name:30} {numbers['median']:5.1f} ms {numbers['p95']:5.1f} ms   {verdict(ok)}")
    cycle = report["cycle"]
    print(f"Windows GPU pool cycle at time scale 1/{1 / cycle['time_scale']:.0f}, since the feature registration")
    print(f"  {'milestone':38} {'real':>7} {'simulated':>17}")
    for milestone, real in cycle["real_s"].items():
        simulated = real / cycle["time_scale"]
        print(f"  {milestone:38} {real:5.2f} s {simulated:6.0f} s ({simulated / 60:4.1f} min)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labkit-sim-bench-") as tmp:
        report = measure(Path(tmp))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
