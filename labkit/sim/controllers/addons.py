"""AKS's addon manager: the kube-system DaemonSets AKS runs on Windows nodes, kept as AKS wants them.

Every AKS cluster has the Windows node agents (``kubectl describe node`` of a real Windows node lists
cloud-node-manager-windows, csi-azuredisk-node-win and csi-azurefile-node-win in kube-system; requests and
limits are that output's). Pools that install the GPU driver (``gpuProfile.driver=Install``) also get
AKS's own Windows GPU device plugin (``aks-windows-gpu-device-plugin`` 0.0.19, the AKS managed add-on in
the supported-kubernetes-versions tables for 1.33-1.36), selected by ``kubernetes.azure.com/agentpool``.
Like addon-manager's ``Reconcile`` mode, a changed or deleted addon is put back. Image tags follow each
project's published naming (cloud-provider-azure ``-windows-hpc``, the CSI drivers' ``-windows-hp``);
the exact tags AKS pins per release are not published.
"""

from __future__ import annotations

import copy
from typing import Any, Optional

from labkit import catalog
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


def _daemonset(name: str, containers: list[Obj], *, node_selector: Optional[dict[str, str]] = None,
               affinity: Optional[Obj] = None) -> Obj:
    pod_spec: dict[str, Any] = {
        "containers": containers,
        "nodeSelector": {"kubernetes.io/os": "windows", **(node_selector or {})},
        "tolerations": [{"operator": "Exists"}],  # AKS's node agents go on every node, tainted or not
        "priorityClassName": "system-node-critical",
        "hostNetwork": True,
        "securityContext": {"windowsOptions": {"hostProcess": True, "runAsUserName": "NT AUTHORITY\\SYSTEM"}},
    }
    if affinity:
        pod_spec["affinity"] = affinity
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


def gpu_plugin(pools: list[str]) -> Obj:
    """AKS's Windows GPU device plugin, on the nodes of the pools that install the driver."""
    on_pools = {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.azure.com/agentpool", "operator": "In", "values": sorted(pools)}]}]}
    plugin = {**_container(GPU_PLUGIN, GPU_PLUGIN, "0", "0", "0"), "resources": {}}
    plugin["volumeMounts"] = [{"name": "device-plugin", "mountPath": "/var/lib/kubelet/device-plugins"}]
    daemonset = _daemonset(GPU_PLUGIN, [plugin], affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": on_pools}})
    daemonset["spec"]["template"]["spec"]["volumes"] = [
        {"name": "device-plugin", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}}]
    return daemonset


class AddonManager:
    """Creates AKS's addons, puts back what was changed or deleted, and removes the GPU plugin when no pool needs it."""

    def __init__(self, world: World, admit):
        self.world = world
        self.store: Store = world.store
        self._admit = admit
        self._wanted: dict[tuple[str, ...], list[Obj]] = {}  # the admitted addons, by the pools that install the driver

    def reconcile(self) -> None:
        pools = tuple(self._driver_installing_pools())
        if pools not in self._wanted:
            addons = node_agents() + ([gpu_plugin(list(pools))] if pools else [])
            self._wanted = {pools: [self._admit(addon) for addon in addons]}
        if not pools and self.store.peek("DaemonSet", NAMESPACE, GPU_PLUGIN) is not None:
            self.store.delete("DaemonSet", NAMESPACE, GPU_PLUGIN)
        for addon in self._wanted[pools]:
            self._reconcile(addon)

    def _driver_installing_pools(self) -> list[str]:
        names = []
        for pool in self.world.agent_pools.list():
            props = pool.properties
            size = catalog.gpu_size(props.get("vmSize", ""))
            driver = (props.get("gpuProfile") or {}).get("driver", "Install")
            if props.get("osType") == "Windows" and size is not None and size.family.vendor == "NVIDIA" and driver == "Install":
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
