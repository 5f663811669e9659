"""AKS's addon manager: the kube-system DaemonSets AKS runs on Windows nodes, kept as AKS wants them.

Every AKS cluster has the Windows node agents (``kubectl describe node`` of a real Windows node lists
cloud-node-manager-windows, csi-azuredisk-node-win and csi-azurefile-node-win in kube-system; requests and
limits are that output's). Each pool that installs the GPU driver (``gpuProfile.driver=Install``) also gets
AKS's own Windows GPU device plugin (``aks-windows-gpu-device-plugin`` 0.0.19, the AKS managed add-on in
the supported-kubernetes-versions tables for 1.33-1.36): a DaemonSet per pool, selecting its nodes by
``kubernetes.azure.com/agentpool``, so that pools coming and going never change (and restart) the plugin
of another pool. How AKS itself places its plugin is not published. Like addon-manager's ``Reconcile``
mode, a changed or deleted addon is put back. Image tags follow each project's published naming
(cloud-provider-azure ``-windows-hpc``, the CSI drivers' ``-windows-hp``); the exact tags AKS pins per
release are not published.
"""

from __future__ import annotations

import copy
from typing import Any, Optional

from labkit.sim import aks_node
from labkit.sim.admission import admit
from labkit.sim.store import Obj, Store
from labkit.sim.world import World

NAMESPACE = "kube-system"
GPU_PLUGIN = "aks-windows-gpu-device-plugin"

#: Every image an addon runs, in one place.
IMAGES = {
    "cloud-node-manager-windows": "mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager:v1.33.0-windows-hpc",
    "csi-node-driver-registrar": "mcr.microsoft.com/oss/kubernetes-csi/csi-node-driver-registrar:v2.13.0",
    "azuredisk": "mcr.microsoft.com/oss/kubernetes-csi/azuredisk-csi:v1.33.0-windows-hp",
    "azurefile": "mcr.microsoft.com/oss/kubernetes-csi/azurefile-csi:v1.33.0-windows-hp",
    GPU_PLUGIN: f"mcr.microsoft.com/aks/{GPU_PLUGIN}:0.0.19",
}

_ADDON_LABELS = {"addonmanager.kubernetes.io/mode": "Reconcile", "kubernetes.azure.com/managedby": "aks"}


def _container(name: str, image: str, cpu: str, memory: str, memory_limit: str) -> Obj:
    return {"name": name, "image": IMAGES[image], "imagePullPolicy": "IfNotPresent",
            "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit}}}


def _daemonset(name: str, containers: list[Obj], *, node_selector: Optional[dict[str, str]] = None) -> Obj:
    pod_spec: dict[str, Any] = {
        "containers": containers,
        "nodeSelector": {"kubernetes.io/os": "windows", **(node_selector or {})},
        "tolerations": [{"operator": "Exists"}],  # AKS's node agents go on every node, tainted or not
        "priorityClassName": "system-node-critical",
        "hostNetwork": True,
        "securityContext": {"windowsOptions": {"hostProcess": True, "runAsUserName": "NT AUTHORITY\\SYSTEM"}},
    }
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"k8s-app": name, **_ADDON_LABELS}},
        "spec": {
            "selector": {"matchLabels": {"k8s-app": name}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
            "template": {"metadata": {"labels": {"k8s-app": name, "kubernetes.azure.com/managedby": "aks"}}, "spec": pod_spec},
        },
    }


def node_agents() -> list[Obj]:
    """The DaemonSets every AKS cluster runs for its Windows nodes."""
    registrar = _container("node-driver-registrar", "csi-node-driver-registrar", "30m", "40Mi", "150Mi")
    return [
        _daemonset("cloud-node-manager-windows",
                   [_container("cloud-node-manager", "cloud-node-manager-windows", "50m", "50Mi", "512Mi")]),
        _daemonset("csi-azuredisk-node-win", [registrar, _container("azuredisk", "azuredisk", "30m", "80Mi", "450Mi")]),
        _daemonset("csi-azurefile-node-win", [registrar, _container("azurefile", "azurefile", "30m", "80Mi", "550Mi")]),
    ]


def gpu_plugin(pool: str) -> Obj:
    """AKS's Windows GPU device plugin for the nodes of one pool that installs the driver."""
    plugin = {**_container(GPU_PLUGIN, GPU_PLUGIN, "0", "0", "0"), "resources": {}}
    plugin["volumeMounts"] = [{"name": "device-plugin", "mountPath": "/var/lib/kubelet/device-plugins"}]
    daemonset = _daemonset(f"{GPU_PLUGIN}-{pool}", [plugin], node_selector={"kubernetes.azure.com/agentpool": pool})
    daemonset["metadata"]["labels"]["kubernetes.azure.com/agentpool"] = pool
    daemonset["spec"]["template"]["spec"]["volumes"] = [
        {"name": "device-plugin", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}}]
    return daemonset


class AddonManager:
    """Creates AKS's addons, puts back what was changed or deleted, and removes a pool's GPU plugin with the pool."""

    def __init__(self, world: World):
        self.world = world
        self.store: Store = world.store
        self._wanted: dict[tuple[str, ...], list[Obj]] = {}  # the admitted addons, by the pools that install the driver

    def reconcile(self) -> None:
        pools = tuple(self._driver_installing_pools())
        if pools not in self._wanted:
            self._wanted = {pools: [admit(addon) for addon in node_agents() + [gpu_plugin(p) for p in pools]]}
        wanted = self._wanted[pools]
        names = {addon["metadata"]["name"] for addon in wanted}
        for stored in list(self.store.iter("DaemonSet")):
            meta = stored["metadata"]
            if meta["namespace"] == NAMESPACE and meta["name"].startswith(GPU_PLUGIN) and meta["name"] not in names:
                self.store.delete("DaemonSet", NAMESPACE, meta["name"])  # its pool is gone, or installs no driver
        for addon in wanted:
            self._reconcile(addon)

    def _driver_installing_pools(self) -> list[str]:
        names = []
        for pool in self.world.agent_pools.list():
            props = pool.properties
            if (aks_node.windows(props) and aks_node.nvidia_gpu(props.get("vmSize", "")) is not None
                    and aks_node.installs_gpu_driver(props.get("gpuProfile") or {})):
                names.append(pool.name)
        return names

    def _reconcile(self, wanted: Obj) -> None:
        name = wanted["metadata"]["name"]
        stored = self.store.peek("DaemonSet", NAMESPACE, name)
        if stored is None:
            self.store.create(copy.deepcopy(wanted))
        elif stored["spec"] != wanted["spec"] or stored["metadata"].get("labels") != wanted["metadata"]["labels"]:
            existing = self.store.get("DaemonSet", NAMESPACE, name)
            existing["spec"], existing["metadata"]["labels"] = copy.deepcopy(wanted["spec"]), dict(wanted["metadata"]["labels"])
            self.store.update(existing)
