"""What advertises the GPU: AKS's own plugin where AKS installs the driver, a plugin the user deploys elsewhere,
and what the kubelet does when two plugins register the same resource on one node."""

from __future__ import annotations

import threading

import pytest
from kubernetes import utils, watch

from labkit import manifests

AKS_PLUGIN = "aks-windows-gpu-device-plugin"


@pytest.fixture(scope="module")
def gpu_history(sim, kube):
    """Every (capacity, allocatable) of the GPU that the nodes go through, by node, as a watch sees it."""
    seen: dict[str, list[tuple]] = {}
    stop = threading.Event()
    resource = sim.config.gpu_resource_name

    def follow():
        while not stop.is_set():
            for event in watch.Watch().stream(kube.core.list_node, timeout_seconds=1):
                status = event["object"].status
                pair = ((status.capacity or {}).get(resource), (status.allocatable or {}).get(resource))
                history = seen.setdefault(event["object"].metadata.name, [])
                if not history or history[-1] != pair:
                    history.append(pair)

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    yield seen
    stop.set()
    thread.join(5)


def plugin_pods(kube, node, namespace):
    pods = kube.core.list_namespaced_pod(namespace, field_selector=f"spec.nodeName={node}").items
    return [p for p in pods if "device-plugin" in p.metadata.name and p.status.phase == "Running"]


def test_where_aks_installs_the_driver_its_own_plugin_advertises_the_gpu(kube, make_pool, gpu_of, gpu_history, until):
    make_pool("gpunp")
    assert until(lambda: gpu_of("aksgpunp000000") == ("1", "1"), what="GPU on the auto-driver node")
    (plugin,) = until(lambda: plugin_pods(kube, "aksgpunp000000", "kube-system"), what="AKS's plugin pod")
    assert plugin.metadata.owner_references[0].name == f"{AKS_PLUGIN}-gpunp"  # AKS's DaemonSet for that pool
    assert plugin.spec.containers[0].image == f"mcr.microsoft.com/aks/{AKS_PLUGIN}:0.0.19"
    assert "DirectX device plugin 0.0.19 starting" in kube.core.read_namespaced_pod_log(plugin.metadata.name, "kube-system")


def test_where_the_driver_is_skipped_only_a_plugin_the_user_deploys_advertises_it(kube, make_pool, gpu_of, until):
    make_pool("gpudx", driver="None")
    until(lambda: kube.core.list_node(label_selector="agentpool=gpudx").items, what="driverless node")
    until(lambda: len(kube.core.list_namespaced_pod("kube-system", field_selector="spec.nodeName=aksgpudx000000").items) == 3,
          what="AKS's node agents on the driverless node")
    assert not plugin_pods(kube, "aksgpudx000000", "kube-system")  # AKS runs no plugin where it installs no driver
    assert gpu_of("aksgpudx000000") == (None, None)
    utils.create_from_yaml(kube.api, yaml_objects=manifests.load(manifests.NAMESPACE))
    utils.create_from_yaml(kube.api, yaml_objects=manifests.load(manifests.DEVICE_PLUGIN))
    until(lambda: gpu_of("aksgpudx000000") == ("1", "1"), what="GPU after the plugin runs")
    (plugin,) = plugin_pods(kube, "aksgpudx000000", "gpu-resources")
    assert "registered resource microsoft.com/directx" in kube.core.read_namespaced_pod_log(plugin.metadata.name, "gpu-resources")


def test_a_second_plugin_on_a_node_adds_no_gpu_and_its_removal_leaves_none_allocatable(kube, gpu_of, gpu_history, until):
    """kubelet keeps one endpoint per resource name and marks the resource unhealthy when any plugin of it leaves."""
    until(lambda: plugin_pods(kube, "aksgpunp000000", "gpu-resources"), what="the lab's plugin on the AKS-driver node too")
    assert gpu_of("aksgpunp000000") == ("1", "1")
    kube.apps.delete_namespaced_daemon_set("nvidia-device-plugin-daemonset", "gpu-resources")
    for node in ("aksgpunp000000", "aksgpudx000000"):
        until(lambda: gpu_history[node][-1] == ("0", "0"), what=f"the stop grace period to pass on {node}")
        assert gpu_history[node][-2:] == [("1", "0"), ("0", "0")]  # allocatable at once, capacity after the grace period
    assert plugin_pods(kube, "aksgpunp000000", "kube-system")  # AKS's plugin still runs, but no longer counts
    assert all(pair[0] in (None, "0", "1") for pair in gpu_history["aksgpunp000000"])  # never two GPUs


def test_a_new_pool_leaves_the_other_pools_plugins_running(kube, make_pool, until):
    (before,) = plugin_pods(kube, "aksgpunp000000", "kube-system")
    make_pool("gpuxx")
    until(lambda: plugin_pods(kube, "aksgpuxx000000", "kube-system"), what="the new pool's plugin")
    assert [p.metadata.uid for p in plugin_pods(kube, "aksgpunp000000", "kube-system")] == [before.metadata.uid]


def test_a_plugin_that_restarts_registers_again(kube, gpu_of, until):
    (plugin,) = plugin_pods(kube, "aksgpunp000000", "kube-system")
    kube.core.delete_namespaced_pod(plugin.metadata.name, "kube-system")  # its DaemonSet makes a new one
    assert until(lambda: gpu_of("aksgpunp000000") == ("1", "1"), what="the GPU back after AKS's plugin restarts")
