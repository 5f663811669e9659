"""The node controller: pools become nodes shaped like AKS's, with leases, events and their own addresses."""

from __future__ import annotations

import threading

from kubernetes import client, watch

#: The label keys of a real AKS Windows NC4as_T4_v3 node (kubectl describe node akswin19000005,
#: marosset/aks-windows-gpu-acceleration, test_scenarios/directx_sample_with_aks.md).
REAL_WINDOWS_GPU_NODE_LABELS = {
    "accelerator", "agentpool", "beta.kubernetes.io/arch", "beta.kubernetes.io/instance-type", "beta.kubernetes.io/os",
    "failure-domain.beta.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
    "kubernetes.azure.com/accelerator", "kubernetes.azure.com/agentpool", "kubernetes.azure.com/cluster",
    "kubernetes.azure.com/kubelet-identity-client-id", "kubernetes.azure.com/mode",
    "kubernetes.azure.com/node-image-version", "kubernetes.azure.com/os-sku", "kubernetes.azure.com/role",
    "kubernetes.azure.com/windows-password-version", "kubernetes.io/arch", "kubernetes.io/hostname", "kubernetes.io/os",
    "kubernetes.io/role", "node-role.kubernetes.io/agent", "node.kubernetes.io/instance-type",
    "node.kubernetes.io/windows-build", "topology.disk.csi.azure.com/zone", "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
}


def test_seeded_cluster_has_a_linux_system_node(kube):
    nodes = kube.core.list_node().items
    assert [n.metadata.labels["kubernetes.io/os"] for n in nodes] == ["linux"]
    assert nodes[0].metadata.labels["kubernetes.azure.com/mode"] == "system"


def test_a_watch_sees_a_windows_node_register_not_ready_and_turn_ready(kube, make_pool):
    seen: list[tuple[str, str, list[str]]] = []

    def watch_nodes():
        for event in watch.Watch().stream(kube.core.list_node, timeout_seconds=10):
            node = event["object"]
            if node.metadata.name != "aksgpunp000000":
                continue
            ready = next(c.status for c in node.status.conditions if c.type == "Ready")
            seen.append((event["type"], ready, [t.key for t in node.spec.taints or []]))
            if ready == "True" and not node.spec.taints:
                return

    watcher = threading.Thread(target=watch_nodes)
    watcher.start()
    make_pool("gpunp", count=2)
    watcher.join(15)
    assert seen[0] == ("ADDED", "False", ["node.kubernetes.io/not-ready"])  # TaintNodesByCondition admission
    assert seen[-1][1:] == ("True", [])  # lifted by the node lifecycle controller once Ready


def test_windows_nodes_are_shaped_like_a_real_aks_windows_gpu_node(kube):
    node = kube.core.read_node("aksgpunp000000")
    labels = node.metadata.labels
    assert set(labels) == REAL_WINDOWS_GPU_NODE_LABELS
    assert labels["agentpool"] == labels["kubernetes.azure.com/agentpool"] == "gpunp"
    assert labels["kubernetes.azure.com/node-image-version"].startswith("AKSWindows-2022-containerd-20348.")
    assert labels["node.kubernetes.io/windows-build"] == "10.0.20348"
    assert set(node.metadata.annotations) == {"csi.volume.kubernetes.io/nodeid", "node.alpha.kubernetes.io/ttl",
                                              "volumes.kubernetes.io/controller-managed-attach-detach"}
    info = node.status.node_info
    assert (info.operating_system, info.os_image, info.machine_id) == ("windows", "Windows Server 2022 Datacenter", node.metadata.name)
    assert info.kernel_version.startswith("10.0.20348.") and info.container_runtime_version.startswith("containerd://")
    assert (node.status.capacity["cpu"], node.status.allocatable["cpu"]) == ("4", "3860m")
    assert node.status.capacity["ephemeral-storage"] == node.status.allocatable["ephemeral-storage"] == "133703676Ki"


def test_each_node_has_its_own_address(kube):
    addresses = [next(a.address for a in n.status.addresses if a.type == "InternalIP") for n in kube.core.list_node().items]
    assert len(addresses) == 3 and len(set(addresses)) == 3


def test_the_kubelet_and_the_node_controller_report_the_node_joining(kube):
    events = kube.core.list_namespaced_event("default", field_selector="involvedObject.name=aksgpunp000000").items
    by_reason = {e.reason: e for e in events}
    assert {"Starting", "NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID", "RegisteredNode",
            "NodeReady"} <= set(by_reason)
    assert by_reason["NodeReady"].involved_object.uid == "aksgpunp000000"  # the kubelet names its node by name
    assert by_reason["RegisteredNode"].source.component == "node-controller"


def test_aks_runs_its_windows_node_agents_on_every_windows_node(kube):
    pods = kube.core.list_namespaced_pod("kube-system", field_selector="spec.nodeName=aksgpunp000001").items
    names = sorted(p.metadata.name.rsplit("-", 1)[0] for p in pods)
    assert names == ["aks-windows-gpu-device-plugin-gpunp", "cloud-node-manager-windows", "csi-azuredisk-node-win",
                     "csi-azurefile-node-win"]
    assert all(p.status.pod_ip == p.status.host_ip for p in pods)  # host-process pods share the node's address


def test_node_leases_follow_the_managed_nodes(kube):
    lease = client.CoordinationV1Api(kube.api).read_namespaced_lease("aksgpunp000000", "kube-node-lease")
    assert lease.spec.holder_identity == "aksgpunp000000"


def test_deleting_a_pool_cordons_then_removes_its_nodes_their_leases_and_pods(aks, names, kube, until):
    poller = aks.agent_pools.begin_delete(*names, "gpunp")
    until(lambda: any(e.reason == "NodeNotSchedulable" for e in kube.core.list_namespaced_event(
        "default", field_selector="involvedObject.name=aksgpunp000000").items), what="the cordon")
    poller.result(timeout=30)
    until(lambda: not kube.core.list_node(label_selector="agentpool=gpunp").items, what="nodes gone")
    assert not kube.core.list_pod_for_all_namespaces(field_selector="spec.nodeName=aksgpunp000000").items
    leases = client.CoordinationV1Api(kube.api).list_namespaced_lease("kube-node-lease").items
    assert "aksgpunp000000" not in [lease.metadata.name for lease in leases]


def test_nodes_show_their_pool_s_node_image_and_size(aks, names, kube, until):
    body = {"properties": {"count": 1, "vmSize": "Standard_D4s_v3", "osType": "Windows", "mode": "User"}}
    pool = aks.agent_pools.begin_create_or_update(*names, "wincpu", body).result(timeout=30).properties
    node = until(lambda: next((n for n in kube.core.list_node().items if n.metadata.name == "akswincpu000000"), None))
    assert node.metadata.labels["kubernetes.azure.com/node-image-version"] == pool.node_image_version
    assert pool.node_image_version.startswith("AKSWindows-2022-containerd-20348.")
    # 16 GiB less the 460 KiB Windows keeps from the kubelet (labkit.sim.aks_node.OS_HIDDEN_MEMORY_KIB)
    assert (node.status.capacity["cpu"], node.status.capacity["memory"]) == ("4", f"{16 * 1024 * 1024 - 460}Ki")
