"""The node controller: each agent pool's VMs as Kubernetes nodes, from registration to Ready to gone.

Nodes are named and labelled like AKS's (``aks<pool>000000`` for Windows, ``aks-<pool>-<hash>-vmss000000``
for Linux); they appear NotReady and turn Ready as the pool provisions (the pool model says when), each
with its heartbeat lease; a deleted pool's nodes and leases go.
"""

from __future__ import annotations

import zlib
from typing import Any, Optional

from labkit import catalog
from labkit.sim.controllers.device_plugins import DevicePlugins
from labkit.sim.controllers.events import Events
from labkit.sim.controllers.pods import delete_quietly, node_ready
from labkit.sim.controllers.taints import parse_taint
from labkit.sim.store import Obj, rfc3339
from labkit.sim.world import World

_WINDOWS_IMAGE = {
    "Windows2019": ("Windows Server 2019 Datacenter", "10.0.17763.6414", "containerd://1.6.35+azure"),
    "Windows2022": ("Windows Server 2022 Datacenter", "10.0.20348.2849", "containerd://1.7.20+azure"),
    "Windows2025": ("Windows Server 2025 Datacenter", "10.0.26100.2314", "containerd://2.0.4+azure"),
}
_LINUX_IMAGE = ("Ubuntu 22.04.5 LTS", "5.15.0-1074-azure", "containerd://1.7.23-1")
#: vCPUs and GiB of a node whose size the catalog does not know (the region's SKUs do not offer one).
_UNKNOWN_SIZE = (4, 16)


class NodeController:
    """Keeps one Node (and its lease) per VM of every agent pool."""

    def __init__(self, world: World, events: Events, device_plugins: DevicePlugins):
        self.world = world
        self.store = world.store
        self.events = events
        self.device_plugins = device_plugins

    def reconcile(self) -> None:
        wanted: dict[str, tuple[Obj, Obj]] = {}  # node name: (the node as its pool makes it, the pool)
        for pool in self.world.agent_pools.list():
            for index in range(pool.node_count()):
                node = self._node_for(pool.resource, index, ready=pool.nodes_ready())
                wanted[node["metadata"]["name"]] = node, pool.resource
        plugin_nodes = self.device_plugins.nodes_running_plugin()
        for name, (node, pool) in wanted.items():
            existing = self.store.get("Node", "", name)
            self.device_plugins.advertise_gpu(node, pool, existing, plugin_nodes)
            self._apply_node(node, existing)
            self._renew_lease(node)
        for node in list(self.store.iter("Node")):
            name = node["metadata"]["name"]
            managed = "kubernetes.azure.com/agentpool" in node["metadata"].get("labels", {})
            if managed and name not in wanted:
                self.store.delete("Node", "", name)
                delete_quietly(self.store, "Lease", "kube-node-lease", name)

    def _renew_lease(self, node: Obj) -> None:
        """The kubelet's heartbeat lease, which ``kubectl describe node`` shows; renewed when readiness changes."""
        name = node["metadata"]["name"]
        if self.store.get("Lease", "kube-node-lease", name) is None and self.store.get("Namespace", "", "kube-node-lease"):
            self.store.create({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": "kube-node-lease"},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": rfc3339().replace("Z", ".000000Z")},
            })

    def _node_for(self, pool: Obj, index: int, *, ready: bool) -> Obj:
        props, pool_name = pool["properties"], pool["name"]
        windows = props.get("osType", "Linux") == "Windows"
        name = f"aks{pool_name}{index:06d}" if windows else f"aks-{pool_name}-{self._vmss_hash()}-vmss{index:06d}"
        size = catalog.gpu_size(props.get("vmSize", ""))
        known = catalog.vm_size(props.get("vmSize", ""))
        vcpus, memory_gib = (known.vcpus, known.memory_gib) if known else _UNKNOWN_SIZE
        os_sku = props.get("osSKU") or ("Windows2022" if windows else "Ubuntu")
        os_image, kernel, runtime = _WINDOWS_IMAGE.get(os_sku, _WINDOWS_IMAGE["Windows2022"]) if windows else _LINUX_IMAGE
        version = "v" + (props.get("currentOrchestratorVersion") or props.get("orchestratorVersion") or self.world.config.kubernetes_version)
        labels = self._node_labels(pool, name, os_sku, windows, size)
        capacity = {"cpu": str(vcpus), "memory": f"{memory_gib * 1024 * 1024}Ki", "pods": "30", "ephemeral-storage": "133156860Ki"}
        allocatable = {
            "cpu": f"{vcpus * 1000 - 140}m", "memory": f"{int(memory_gib * 1024 * 1024 * 0.8)}Ki", "pods": "30",
            "ephemeral-storage": "122713473101",
        }
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": labels, "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {
                "providerID": (
                    f"azure://{self.world.subscription_path}/resourceGroups/{self.world.node_resource_group.lower()}"
                    f"/providers/Microsoft.Compute/virtualMachineScaleSets/aks{pool_name}/virtualMachines/{index}"
                ),
                "taints": [parse_taint(t) for t in props.get("nodeTaints") or []],
                "unschedulable": props.get("provisioningState") == "Deleting",
            },
            "status": {
                "capacity": capacity,
                "allocatable": allocatable,
                "conditions": _node_conditions(ready),
                "addresses": [{"type": "InternalIP", "address": node_ip(name)}, {"type": "Hostname", "address": name}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "machineID": name, "systemUUID": _stable_uuid(name), "bootID": _stable_uuid(name + "boot"),
                    "kernelVersion": kernel, "osImage": os_image, "containerRuntimeVersion": runtime,
                    "kubeletVersion": version, "kubeProxyVersion": version,
                    "operatingSystem": "windows" if windows else "linux", "architecture": "amd64",
                },
            },
        }

    def _node_labels(self, pool: Obj, name: str, os_sku: str, windows: bool, size: Optional[catalog.GpuSize]) -> dict[str, str]:
        props, pool_name = pool["properties"], pool["name"]
        os_name = "windows" if windows else "linux"
        labels = {
            "agentpool": pool_name,
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/instance-type": props.get("vmSize", ""),
            "beta.kubernetes.io/os": os_name,
            "kubernetes.azure.com/agentpool": pool_name,
            "kubernetes.azure.com/cluster": self.world.node_resource_group,
            "kubernetes.azure.com/mode": str(props.get("mode", "User")).lower(),
            "kubernetes.azure.com/node-image-version": props.get("nodeImageVersion", ""),
            "kubernetes.azure.com/os-sku": os_sku,
            "kubernetes.azure.com/role": "agent",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": os_name,
            "kubernetes.io/role": "agent",
            "node-role.kubernetes.io/agent": "",
            "node.kubernetes.io/instance-type": props.get("vmSize", ""),
            "topology.kubernetes.io/region": self.world.config.location,
            "topology.kubernetes.io/zone": "0",
        }
        if windows:
            labels["node.kubernetes.io/windows-build"] = catalog.WINDOWS_OS_SKUS.get(os_sku, catalog.WINDOWS_OS_SKUS["Windows2022"]).build
        if size is not None and size.family.vendor == "NVIDIA":
            labels["accelerator"] = labels["kubernetes.azure.com/accelerator"] = "nvidia"
        labels.update(props.get("nodeLabels") or {})
        return labels

    def _apply_node(self, wanted: Obj, existing: Optional[Obj]) -> None:
        name = wanted["metadata"]["name"]
        if existing is None:
            self.store.create(wanted)
            return
        existing["metadata"]["labels"] = {**existing["metadata"].get("labels", {}), **wanted["metadata"]["labels"]}
        existing["spec"]["unschedulable"] = wanted["spec"]["unschedulable"]
        status = existing["status"]
        was_ready = node_ready(existing)
        status["capacity"], status["allocatable"] = wanted["status"]["capacity"], wanted["status"]["allocatable"]
        status["nodeInfo"] = wanted["status"]["nodeInfo"]
        if was_ready != node_ready(wanted):
            status["conditions"] = wanted["status"]["conditions"]
            if node_ready(wanted):
                self.events.record(existing, "NodeReady", f"Node {name} status is now: NodeReady", component="kubelet")
        self.store.update(existing)

    def _vmss_hash(self) -> str:
        return f"{zlib.crc32(self.world.cluster_id.lower().encode()) % 100_000_000:08d}"


def node_ip(name: str) -> str:
    return f"10.224.0.{4 + zlib.crc32(name.encode()) % 250}"


def _stable_uuid(seed: str) -> str:
    digits = f"{zlib.crc32(seed.encode()):08x}{zlib.crc32(seed[::-1].encode()):08x}" * 2
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:32]}"


def _node_conditions(ready: bool) -> list[dict[str, Any]]:
    now = rfc3339()
    pressure = [
        {"type": kind, "status": "False", "reason": f"KubeletHas{reason}", "message": f"kubelet has {text}",
         "lastHeartbeatTime": now, "lastTransitionTime": now}
        for kind, reason, text in (
            ("MemoryPressure", "SufficientMemory", "sufficient memory available"),
            ("DiskPressure", "NoDiskPressure", "no disk pressure"),
            ("PIDPressure", "SufficientPID", "sufficient PID available"),
        )
    ]
    ready_condition = {
        "type": "Ready", "status": "True" if ready else "False",
        "reason": "KubeletReady" if ready else "KubeletNotReady",
        "message": "kubelet is posting ready status" if ready else "container runtime is starting",
        "lastHeartbeatTime": now, "lastTransitionTime": now,
    }
    return pressure + [ready_condition]
