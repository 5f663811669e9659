"""The node controller: pools become nodes labelled like AKS's, with leases; a deleted pool's nodes go."""

from __future__ import annotations

import threading

from kubernetes import client, watch


def test_seeded_cluster_has_a_linux_system_node(kube):
    nodes = kube.core.list_node().items
    assert [n.metadata.labels["kubernetes.io/os"] for n in nodes] == ["linux"]
    assert nodes[0].metadata.labels["kubernetes.azure.com/mode"] == "system"


def test_a_watch_sees_the_windows_node_appear(kube, make_pool):
    seen: list[str] = []

    def watch_nodes():
        for event in watch.Watch().stream(kube.core.list_node, timeout_seconds=10):
            if event["type"] == "ADDED" and event["object"].metadata.name == "aksgpunp000000":
                seen.append(event["object"].metadata.labels["kubernetes.io/os"])
                return

    watcher = threading.Thread(target=watch_nodes)
    watcher.start()
    make_pool("gpunp")
    watcher.join(15)
    assert seen == ["windows"]


def test_windows_nodes_are_labelled_like_aks(kube):
    node = kube.core.read_node("aksgpunp000000")
    labels = node.metadata.labels
    assert labels["agentpool"] == labels["kubernetes.azure.com/agentpool"] == "gpunp"
    assert labels["node.kubernetes.io/instance-type"] == "Standard_NC4as_T4_v3"
    assert labels["kubernetes.azure.com/os-sku"] == "Windows2022"
    assert labels["node.kubernetes.io/windows-build"] == "10.0.20348"
    assert node.status.node_info.operating_system == "windows"
    assert node.status.capacity["cpu"] == "4"


def test_node_leases_follow_the_managed_nodes(kube):
    lease = client.CoordinationV1Api(kube.api).read_namespaced_lease("aksgpunp000000", "kube-node-lease")
    assert lease.spec.holder_identity == "aksgpunp000000"


def test_deleting_a_pool_removes_its_nodes_their_leases_and_pods(aks, names, kube, until):
    aks.agent_pools.begin_delete(*names, "gpunp").result(timeout=30)
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
    assert (node.status.capacity["cpu"], node.status.capacity["memory"]) == ("4", f"{16 * 1024 * 1024}Ki")
