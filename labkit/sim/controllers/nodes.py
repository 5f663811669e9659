"""The node controller: each agent pool's VMs as Kubernetes nodes, from registration to Ready to gone.

A VM's kubelet registers its node NotReady, with AKS's labels, annotations, node info and reservations
(:mod:`labkit.sim.aks_node`) and the next free address of the node subnet; the node turns Ready when
the pool model says its nodes are ready, and is cordoned while its pool is deleted. Each node has its
heartbeat lease. A deleted pool's nodes and leases go.
"""

from __future__ import annotations

from typing import Any

from labkit.sim import aks_node
from labkit.sim.admission import admit
from labkit.sim.arm.agent_pools import AgentPool
from labkit.sim.controllers.events import Events, kubelet_node_reference
from labkit.sim.controllers.pods import delete_quietly, internal_ips, node_ready
from labkit.sim.controllers.taints import parse_taint
from labkit.sim.store import Obj, rfc3339
from labkit.sim.world import World

#: The conditions a kubelet reports while all is well: (type, reason, message), besides Ready.
_HEALTHY_CONDITIONS = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
)


class NodeController:
    """Keeps one Node (and its lease) per VM of every agent pool."""

    def __init__(self, world: World, events: Events):
        self.world = world
        self.store = world.store
        self.events = events

    def reconcile(self) -> None:
        cluster = self.cluster()
        wanted: dict[str, tuple[AgentPool, int]] = {}
        for pool in self.world.agent_pools.list():
            for index in range(pool.node_count()):
                wanted[aks_node.node_name(pool.name, pool.properties, index, cluster)] = pool, index
        for name, (pool, index) in wanted.items():
            existing = self.store.peek("Node", "", name)
            if existing is None:
                self._register(name, pool, index, cluster)
            else:
                self._follow_pool(existing, pool, cluster)
            self._renew_lease(name)
        for node in list(self.store.iter("Node")):
            name = node["metadata"]["name"]
            managed = "kubernetes.azure.com/agentpool" in node["metadata"].get("labels", {})
            if managed and name not in wanted:
                self.store.delete("Node", "", name)
                delete_quietly(self.store, "Lease", "kube-node-lease", name)

    def cluster(self) -> aks_node.Cluster:
        config = self.world.config
        return aks_node.Cluster(self.world.subscription_path, self.world.node_resource_group, config.location,
                                config.kubernetes_version, self.world.cluster_id)

    def _register(self, name: str, pool: AgentPool, index: int, cluster: aks_node.Cluster) -> None:
        """What the VM's kubelet does when it joins: create its Node, then say how it is."""
        props = pool.properties
        capacity, allocatable = aks_node.capacity_and_allocatable(props, cluster)
        address = aks_node.subnet_address(aks_node.first_free_address_block(self._address_blocks(), int(capacity["pods"]) + 1))
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": aks_node.labels(pool.name, props, name, cluster),
                         "annotations": aks_node.annotations(name)},
            "spec": {
                "providerID": aks_node.provider_id(pool.name, index, cluster),
                "taints": [parse_taint(t) for t in props.get("nodeTaints") or []],
            },
            "status": {
                "capacity": capacity,
                "allocatable": allocatable,
                "conditions": _conditions(ready=False),
                "addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": name}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": aks_node.node_info(name, props, cluster),
            },
        }
        self.store.create(admit(node))
        self._kubelet_event(name, "Starting", "Starting kubelet.")
        for _, reason, _ in _HEALTHY_CONDITIONS:
            status = reason.removeprefix("Kubelet")
            self._kubelet_event(name, f"Node{status}", f"Node {name} status is now: Node{status}")
        if not aks_node.windows(props):  # cgroups enforce allocatable on Linux only
            self._kubelet_event(name, "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods")

    def _follow_pool(self, stored: Obj, pool: AgentPool, cluster: aks_node.Cluster) -> None:
        """Labels the pool adds, readiness as provisioning goes, a cordon while the pool is deleted."""
        name = stored["metadata"]["name"]
        labels = {**stored["metadata"].get("labels", {}), **aks_node.labels(pool.name, pool.properties, name, cluster)}
        version = aks_node.node_info(name, pool.properties, cluster)["kubeletVersion"]
        cordoned, ready = pool.provisioning_state == "Deleting", pool.nodes_ready()
        if (labels == stored["metadata"].get("labels") and version == stored["status"].get("nodeInfo", {}).get("kubeletVersion")
                and cordoned == bool(stored["spec"].get("unschedulable")) and ready == node_ready(stored)):
            return
        node = self.store.get("Node", "", name)
        node["metadata"]["labels"] = labels
        node["status"]["nodeInfo"] = {**node["status"].get("nodeInfo", {}), "kubeletVersion": version}
        if cordoned and not node["spec"].get("unschedulable"):
            self._kubelet_event(name, "NodeNotSchedulable", f"Node {name} status is now: NodeNotSchedulable")
        node["spec"]["unschedulable"] = cordoned
        if ready != node_ready(node):
            node["status"]["conditions"] = _conditions(ready=ready)
            if ready:
                self._kubelet_event(name, "NodeReady", f"Node {name} status is now: NodeReady")
        self.store.update(node)

    def _address_blocks(self) -> list[tuple[int, int]]:
        blocks = []
        for node in self.store.iter("Node"):
            status = node.get("status") or {}
            for address in internal_ips(node):
                offset = aks_node.address_offset(str(address))
                if offset is not None:
                    blocks.append((offset, _pods(status) + 1))
        return blocks

    def _kubelet_event(self, node: str, reason: str, message: str) -> None:
        self.events.record(kubelet_node_reference(node), reason, message, component="kubelet", host=node)

    def _renew_lease(self, name: str) -> None:
        """The kubelet's heartbeat lease, which ``kubectl describe node`` shows."""
        if self.store.peek("Lease", "kube-node-lease", name) is None and self.store.peek("Namespace", "", "kube-node-lease"):
            self.store.create({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": "kube-node-lease"},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": rfc3339().replace("Z", ".000000Z")},
            })


def _pods(status: Obj) -> int:
    try:
        return int((status.get("capacity") or {}).get("pods", aks_node.DEFAULT_MAX_PODS))
    except (TypeError, ValueError):
        return aks_node.DEFAULT_MAX_PODS


def _conditions(*, ready: bool) -> list[dict[str, Any]]:
    now = rfc3339()
    healthy = [{"type": kind, "status": "False", "reason": reason, "message": message,
                "lastHeartbeatTime": now, "lastTransitionTime": now} for kind, reason, message in _HEALTHY_CONDITIONS]
    return healthy + [{
        "type": "Ready", "status": "True" if ready else "False",
        "reason": "KubeletReady" if ready else "KubeletNotReady",
        "message": "kubelet is posting ready status" if ready else "container runtime network not ready: NetworkReady=false",
        "lastHeartbeatTime": now, "lastTransitionTime": now,
    }]
