"""The simulator's controllers, seen through the real clients: pools become nodes, GPUs appear, Jobs run."""

from __future__ import annotations

import threading
import time

import pytest
import yaml
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.resource.features import FeatureClient
from kubernetes import client, config, utils, watch

from labkit import manifests
from labkit.sim.client import StaticTokenCredential
from labkit.sim.world import kubeconfig_yaml

GPU = "microsoft.com/directx"
RG, CLUSTER = "myResourceGroup", "myAKSCluster"


@pytest.fixture(scope="module")
def aks(sim, until):
    options = {"base_url": sim.url, "connection_verify": str(sim.state_dir / "ca.pem"), "polling_interval": 0.01}
    credential = StaticTokenCredential(sim.world.token)
    features = FeatureClient(credential, sim.config.subscription_id, **options)
    features.features.register("Microsoft.ContainerService", "WindowsGPUPreview")
    until(lambda: features.features.get("Microsoft.ContainerService", "WindowsGPUPreview").properties.state == "Registered",
          what="feature registration")
    return ContainerServiceClient(credential, sim.config.subscription_id, **options)


@pytest.fixture(scope="module")
def kube(sim, aks):
    value = aks.managed_clusters.list_cluster_user_credentials(RG, CLUSTER).kubeconfigs[0].value
    api = config.new_client_from_config_dict(yaml.safe_load(value))
    return client.CoreV1Api(api), client.AppsV1Api(api), client.BatchV1Api(api), api


def create_pool(aks, name, *, driver="Install"):
    body = {"properties": {"count": 1, "vmSize": "Standard_NC4as_T4_v3", "osType": "Windows", "mode": "User",
                           "gpuProfile": {"driver": driver}}}
    return aks.agent_pools.begin_create_or_update(RG, CLUSTER, name, body).result(timeout=30)


def gpu_of(core, node_name):
    node = core.read_node(node_name)
    return (node.status.capacity or {}).get(GPU), (node.status.allocatable or {}).get(GPU)


def test_seeded_cluster_has_a_linux_system_node(kube):
    core = kube[0]
    nodes = core.list_node().items
    assert [n.metadata.labels["kubernetes.io/os"] for n in nodes] == ["linux"]
    assert nodes[0].metadata.labels["kubernetes.azure.com/mode"] == "system"


def test_a_watch_sees_the_windows_node_appear(aks, kube):
    core = kube[0]
    seen: list[str] = []

    def watch_nodes():
        for event in watch.Watch().stream(core.list_node, timeout_seconds=10):
            if event["type"] == "ADDED" and event["object"].metadata.name == "aksgpunp000000":
                seen.append(event["object"].metadata.labels["kubernetes.io/os"])
                return

    watcher = threading.Thread(target=watch_nodes)
    watcher.start()
    create_pool(aks, "gpunp")
    watcher.join(15)
    assert seen == ["windows"]


def test_auto_driver_pool_nodes_are_labelled_like_aks_and_advertise_the_gpu(aks, kube, until):
    core = kube[0]
    node = core.read_node("aksgpunp000000")
    labels = node.metadata.labels
    assert labels["agentpool"] == labels["kubernetes.azure.com/agentpool"] == "gpunp"
    assert labels["node.kubernetes.io/instance-type"] == "Standard_NC4as_T4_v3"
    assert labels["kubernetes.azure.com/os-sku"] == "Windows2022"
    assert labels["node.kubernetes.io/windows-build"] == "10.0.20348"
    assert node.status.node_info.operating_system == "windows"
    assert node.status.capacity["cpu"] == "4"
    assert until(lambda: gpu_of(core, "aksgpunp000000") == ("1", "1"), what="GPU on the auto-driver node")


def test_job_without_a_free_gpu_is_pending_with_failed_scheduling(aks, kube, until):
    core, _, _, api = kube
    utils.create_from_yaml(api, yaml_objects=manifests.load(manifests.NAMESPACE))
    job_pod_spec = manifests.load(manifests.GPU_WORKLOAD)[0]["spec"]["template"]["spec"]
    hog = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gpu-hog", "namespace": "gpu-resources"},
           "spec": {**job_pod_spec, "restartPolicy": "Always"}}  # a long-running pod holding the only GPU
    core.create_namespaced_pod("gpu-resources", hog)
    until(lambda: core.read_namespaced_pod("gpu-hog", "gpu-resources").status.phase == "Running", what="GPU hog running")
    utils.create_from_yaml(api, yaml_objects=manifests.load(manifests.GPU_WORKLOAD))

    def failed_scheduling():
        events = core.list_namespaced_event("gpu-resources", field_selector="reason=FailedScheduling").items
        return [e.message for e in events]

    messages = until(failed_scheduling, what="FailedScheduling event")
    assert "Insufficient microsoft.com/directx" in messages[0]
    assert "didn't match Pod's node affinity/selector" in messages[0]
    pods = core.list_namespaced_pod("gpu-resources", label_selector="job-name=windows-gpu-workload").items
    assert [p.status.phase for p in pods] == ["Pending"]
    core.delete_namespaced_pod("gpu-hog", "gpu-resources")


def test_job_with_a_gpu_succeeds_and_logs_the_gpu(kube, until):
    core, _, batch, _ = kube

    def complete():
        job = batch.read_namespaced_job("windows-gpu-workload", "gpu-resources")
        return any(c.type == "Complete" and c.status == "True" for c in job.status.conditions or [])

    until(complete, what="Job completion")
    (pod,) = core.list_namespaced_pod("gpu-resources", label_selector="job-name=windows-gpu-workload").items
    assert pod.status.phase == "Succeeded" and pod.spec.node_name == "aksgpunp000000"
    log = core.read_namespaced_pod_log(pod.metadata.name, "gpu-resources")
    assert "NVIDIA Tesla T4" in log and "CUDA" in log


def test_skipped_driver_pool_gets_gpus_only_while_the_plugin_runs(aks, kube, until):
    core, apps, _, api = kube
    create_pool(aks, "gpudx", driver="None")
    until(lambda: core.list_node(label_selector="agentpool=gpudx").items, what="driverless node")
    time.sleep(0.05)
    assert gpu_of(core, "aksgpudx000000") == (None, None)
    utils.create_from_yaml(api, yaml_objects=manifests.load(manifests.DEVICE_PLUGIN))
    until(lambda: gpu_of(core, "aksgpudx000000") == ("1", "1"), what="GPU after the plugin runs")
    plugin = core.list_namespaced_pod("gpu-resources", field_selector="spec.nodeName=aksgpudx000000").items
    assert "registered resource microsoft.com/directx" in core.read_namespaced_pod_log(plugin[0].metadata.name, "gpu-resources")
    apps.delete_namespaced_daemon_set("nvidia-device-plugin-daemonset", "gpu-resources")
    until(lambda: gpu_of(core, "aksgpudx000000") == ("0", "0"), what="GPU gone with the plugin")


def test_deleting_a_pool_removes_its_nodes_and_their_pods(aks, kube, until):
    core = kube[0]
    aks.agent_pools.begin_delete(RG, CLUSTER, "gpunp").result(timeout=30)
    until(lambda: not core.list_node(label_selector="agentpool=gpunp").items, what="nodes gone")
    assert not core.list_pod_for_all_namespaces(field_selector="spec.nodeName=aksgpunp000000").items


def test_namespace_deletion_removes_what_is_inside(kube, until):
    core, _, batch, _ = kube
    core.delete_namespace("gpu-resources")
    until(lambda: not [n for n in core.list_namespace().items if n.metadata.name == "gpu-resources"], what="namespace gone")
    assert not batch.list_job_for_all_namespaces().items
    assert not core.list_namespaced_pod("gpu-resources").items


def test_kubeconfig_from_the_arm_plane_names_the_cluster_user(sim, aks):
    value = aks.managed_clusters.list_cluster_user_credentials(RG, CLUSTER).kubeconfigs[0].value
    document = yaml.safe_load(value)
    assert document["users"][0]["name"] == f"clusterUser_{RG}_{CLUSTER}"
    assert value.decode() == kubeconfig_yaml(sim.config, sim.url, (sim.state_dir / "ca.pem").read_bytes(), sim.world.token)


def stored_body(sim, kind, namespace, name):
    """The object as written to SQLite, bypassing the in-memory copy."""
    import json
    import sqlite3

    with sqlite3.connect(sim.state_dir / "state.db") as db:
        row = db.execute("SELECT body FROM kube WHERE kind=? AND namespace=? AND name=?", (kind, namespace, name)).fetchone()
    return json.loads(row[0]) if row else None


def test_controller_status_reaches_watchers_and_sqlite(sim, aks, kube):
    core, apps, batch, api = kube
    create_pool(aks, "gpust")
    core.create_namespace({"metadata": {"name": "status-check"}})
    job = manifests.load(manifests.GPU_WORKLOAD, namespace="status-check")[0]
    job["spec"]["template"]["spec"]["nodeSelector"]["agentpool"] = "gpust"
    batch.create_namespaced_job("status-check", job)
    completed = []
    for event in watch.Watch().stream(batch.list_namespaced_job, "status-check", timeout_seconds=10):
        if any(c.type == "Complete" and c.status == "True" for c in event["object"].status.conditions or []):
            completed.append(event["type"])
            break
    assert completed == ["MODIFIED"]
    conditions = stored_body(sim, "Job", "status-check", "windows-gpu-workload")["status"]["conditions"]
    assert {"Complete", "SuccessCriteriaMet"} <= {c["type"] for c in conditions}


def test_node_leases_follow_the_managed_nodes(kube):
    core, *_ = kube
    coordination = client.CoordinationV1Api(kube[3])
    lease = coordination.read_namespaced_lease("aksgpust000000", "kube-node-lease")
    assert lease.spec.holder_identity == "aksgpust000000"


def test_a_hand_made_node_does_not_break_the_controllers(kube, until):
    core, *_ = kube
    core.create_node({"metadata": {"name": "bare-node"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    core.create_namespaced_pod("status-check", {"metadata": {"name": "pinned"},
                                                 "spec": {"nodeName": "bare-node", "containers": [{"name": "c", "image": "busybox"}]}})
    until(lambda: core.read_namespaced_pod("pinned", "status-check").status.phase == "Running", what="pod on the bare node")
    core.delete_node("bare-node")


def test_namespace_deletion_removes_every_namespaced_kind(kube, until):
    core, *_ = kube
    core.create_namespaced_service("status-check", {"metadata": {"name": "svc"}, "spec": {"ports": [{"port": 80}]}})
    core.delete_namespace("status-check")
    until(lambda: not [n for n in core.list_namespace().items if n.metadata.name == "status-check"], what="namespace gone")
    assert not [s for s in core.list_service_for_all_namespaces().items if s.metadata.namespace == "status-check"]


def test_timers_of_deleted_objects_are_forgotten(sim, kube, until):
    core, *_ = kube
    live_uid = core.read_namespace("default").metadata.uid
    sim.controllers._since.update({("uid-of-a-deleted-pod", "starting"): 0.0, (live_uid, "terminating"): 0.0})
    until(lambda: ("uid-of-a-deleted-pod", "starting") not in sim.controllers._since, what="the stale timer to go")
    assert (live_uid, "terminating") in sim.controllers._since
    del sim.controllers._since[(live_uid, "terminating")]
