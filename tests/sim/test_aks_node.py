"""AKS's node shape against two real Windows nodes and AKS's reservation tables."""

from __future__ import annotations

import pytest

from labkit.sim import aks_node

CLUSTER = aks_node.Cluster("/subscriptions/s", "MC_rg_c_westeurope", "westeurope", "1.25.4",
                           "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c")


@pytest.mark.parametrize("cores, reserved", [(1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (32, 420), (64, 740)])
def test_kube_reserved_cpu_is_aks_table(cores, reserved):
    assert aks_node.kube_reserved_cpu_millicores(cores) == reserved


@pytest.mark.parametrize("props, capacity_memory, allocatable_memory, allocatable_cpu", [
    # kubectl describe node akswin19000005: NC4as_T4_v3, Windows2019, v1.25.4 (marosset/aks-windows-gpu-acceleration)
    ({"vmSize": "Standard_NC4as_T4_v3", "osType": "Windows", "osSKU": "Windows2019", "maxPods": 30,
      "orchestratorVersion": "1.25.4"}, "29359668Ki", "23781940Ki", "3860m"),
    # a DS2_v2 Windows node (chunliu.me/2020/06/11/node-allocatable-in-aks)
    ({"vmSize": "Standard_DS2_v2", "osType": "Windows", "osSKU": "Windows2019", "maxPods": 30,
      "orchestratorVersion": "1.17.3"}, "7339572Ki", "3565108Ki", "1900m"),
])
def test_windows_reservations_give_the_real_nodes_figures(props, capacity_memory, allocatable_memory, allocatable_cpu):
    capacity, allocatable = aks_node.capacity_and_allocatable(props, CLUSTER)
    assert (capacity["memory"], allocatable["memory"], allocatable["cpu"]) == (capacity_memory, allocatable_memory, allocatable_cpu)
    assert capacity["ephemeral-storage"] == allocatable["ephemeral-storage"] == "133703676Ki"
    assert capacity["pods"] == allocatable["pods"] == "30"


def test_from_1_29_kube_reserved_memory_is_20_mib_a_pod_plus_50_at_most_a_quarter():
    assert aks_node.kube_reserved_memory_mib(8192, max_pods=30, version=(1, 29)) == 650    # the doc's 8 GB example
    assert aks_node.kube_reserved_memory_mib(4000, max_pods=70, version=(1, 33)) == 1000   # the doc's 4 GB example


def test_windows_node_info_reports_the_build_of_its_node_image():
    props = {"osType": "Windows", "osSKU": "Windows2019", "orchestratorVersion": "1.25.4",
             "nodeImageVersion": "AKSWindows-2019-containerd-17763.3887.230111"}
    info = aks_node.node_info("akswin19000005", props, CLUSTER)
    assert (info["kernelVersion"], info["osImage"], info["machineID"]) == (
        "10.0.17763.3887", "Windows Server 2019 Datacenter", "akswin19000005")
    assert info["systemUUID"] == info["systemUUID"].upper()
    labels = aks_node.labels("win19", props, "akswin19000005", CLUSTER)
    assert labels["kubernetes.azure.com/node-image-version"] == "AKSWindows-2019-containerd-17763.3887.230111"
    assert labels["node.kubernetes.io/windows-build"] == "10.0.17763"


def test_address_blocks_do_not_overlap():
    assert aks_node.first_free_address_block([], 31) == 4
    assert aks_node.first_free_address_block([(4, 31)], 31) == 35
    assert aks_node.first_free_address_block([(4, 31), (66, 31)], 31) == 35  # the gap left by a deleted node
    assert aks_node.subnet_address(4 + 300) == "10.224.1.48"
