"""Each kubelet's device manager: which device plugins registered the GPU resource, and what the node advertises.

A DirectX device plugin pod registers the resource when it starts; it finds the node's GPU adapters
(:func:`adapters`). What the kubelet does with registrations (kubernetes pkg/kubelet/cm/devicemanager,
``manager.go`` ``PluginConnected``/``PluginDisconnected``/``GetCapacity``, ``plugin/v1beta1/handler.go``):

- the newest registration of a resource name replaces the endpoint; the kubelet keeps one per name;
- when any plugin of that name disconnects (its pod stops), the resource's devices turn unhealthy:
  allocatable 0, capacity unchanged, even if another plugin of the same name still runs, until a plugin
  registers again (starts or restarts);
- after the endpoint's stop grace period (5 minutes) the capacity drops to 0 too; the kubelet keeps the
  resource in the node status at 0 rather than removing it.

So a second plugin on a node that already has AKS's adds nothing (the same adapters), and removing it
leaves the node with 0 allocatable GPUs until AKS's plugin pod restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from labkit.sim.aks_node import nvidia_gpu
from labkit.sim.controllers.timers import Timers
from labkit.sim.store import Obj, Store

#: Image names that mark a container as a DirectX device plugin (AKS's and the doc's manual one).
DEVICE_PLUGIN_IMAGES = ("windows-gpu-device-plugin", "directx-device-plugin")


@dataclass
class _Resource:
    """One node's registration of the GPU resource."""

    devices: int
    connected: set[str] = field(default_factory=set)  # uids of the plugin pods whose registration the kubelet took
    healthy: bool = True


class DeviceManager:
    """The device managers of every node's kubelet, for the configured GPU resource name."""

    def __init__(self, store: Store, timers: Timers, resource: str):
        self.store = store
        self.timers = timers
        self.resource = resource
        self._nodes: dict[str, _Resource] = {}

    def reconcile(self) -> None:
        running = self._running_plugins()
        for node in list(self.store.iter("Node")):
            registration = self._follow_plugins(node, running.get(node["metadata"]["name"], []))
            self._advertise(node, registration)

    def _running_plugins(self) -> dict[str, list[Obj]]:
        found: dict[str, list[Obj]] = {}
        for pod in self.store.iter("Pod"):
            if (pod.get("status") or {}).get("phase") == "Running" and is_device_plugin(pod):
                found.setdefault(pod["spec"].get("nodeName") or "", []).append(pod)
        return found

    def _follow_plugins(self, node: Obj, plugins: list[Obj]) -> Optional[_Resource]:
        node_name = node["metadata"]["name"]
        registration = self._nodes.get(node_name)
        alive = {p["metadata"]["uid"] for p in plugins}
        if registration is not None and registration.connected - alive:
            registration.connected &= alive
            registration.healthy = False  # PluginDisconnected marks the resource unhealthy, whoever left
            self.timers.reset(node_name, "plugin_stopped")
        for pod in sorted(plugins, key=lambda p: (p["status"].get("startTime", ""), p["metadata"]["name"])):
            uid = pod["metadata"]["uid"]
            if registration is None or uid not in registration.connected:
                devices = adapters(node)
                if devices:
                    registration = self._nodes[node_name] = _Resource(devices, (registration.connected if registration else set()) | {uid})
        return registration

    def _advertise(self, node: Obj, registration: Optional[_Resource]) -> None:
        name = node["metadata"]["name"]
        if registration is None:  # no plugin has registered since this kubelet started: the status stays
            return
        if registration.healthy:
            self._set(node, str(registration.devices), str(registration.devices))
        elif not self.timers.elapsed(name, "plugin_stopped"):
            self._set(node, str(registration.devices), "0")
        else:
            self._set(node, "0", "0")

    def _set(self, stored: Obj, capacity: str, allocatable: str) -> None:
        status = stored.get("status") or {}
        if (status.get("capacity") or {}).get(self.resource) == capacity and (status.get("allocatable") or {}).get(self.resource) == allocatable:
            return
        node = self.store.get("Node", "", stored["metadata"]["name"])
        status = node.setdefault("status", {})
        status.setdefault("capacity", {})[self.resource] = capacity
        status.setdefault("allocatable", {})[self.resource] = allocatable
        self.store.update(node)

    def forget_gone(self) -> None:
        nodes = {n["metadata"]["name"] for n in self.store.iter("Node")}
        for name in [n for n in self._nodes if n not in nodes]:
            del self._nodes[name]


def adapters(node: Optional[Obj]) -> int:
    """The DirectX GPU adapters a plugin finds on ``node``: those of its NVIDIA size on Windows, else none."""
    if node is None or (node.get("status") or {}).get("nodeInfo", {}).get("operatingSystem") != "windows":
        return 0
    size = nvidia_gpu((node["metadata"].get("labels") or {}).get("node.kubernetes.io/instance-type", ""))
    return size.directx_devices if size is not None else 0


def is_device_plugin(pod: Obj) -> bool:
    return any(marker in str(c.get("image", "")) for c in (pod.get("spec") or {}).get("containers") or []
               for marker in DEVICE_PLUGIN_IMAGES)
