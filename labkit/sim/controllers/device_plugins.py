"""Device plugins as the kubelet's device manager sees them: which nodes advertise the DirectX GPU, and how many.

With the driver installed (``gpuProfile.driver=Install``) a GPU node advertises the resource once its
pool has provisioned; with the driver skipped, only while a DirectX device plugin pod runs on it, and
``0`` after that plugin goes (the kubelet keeps a resource whose plugin left, at zero).
"""

from __future__ import annotations

from typing import Optional

from labkit import catalog
from labkit.sim.store import Obj
from labkit.sim.world import World

#: Image names that mark a container as a DirectX device plugin.
_DEVICE_PLUGIN_IMAGES = ("windows-gpu-device-plugin", "directx-device-plugin")


class DevicePlugins:
    """What each node's device manager advertises."""

    def __init__(self, world: World):
        self.world = world
        self.store = world.store

    def nodes_running_plugin(self) -> set[str]:
        return {
            pod["spec"].get("nodeName")
            for pod in self.store.iter("Pod")
            if pod.get("status", {}).get("phase") == "Running" and is_device_plugin(pod)
        }

    def advertise_gpu(self, node: Obj, pool: Obj, existing: Optional[Obj], plugin_nodes: set[str]) -> None:
        """Set the DirectX resource on a GPU node, the way the driver install or the plugin makes it appear."""
        size = catalog.gpu_size(node["metadata"]["labels"]["node.kubernetes.io/instance-type"])
        if size is None or size.family.vendor != "NVIDIA" or node["status"]["nodeInfo"]["operatingSystem"] != "windows":
            return
        resource = self.world.config.gpu_resource_name
        name = node["metadata"]["name"]
        driver = (pool["properties"].get("gpuProfile") or {}).get("driver", "Install")
        provisioned = pool["properties"].get("provisioningState") in ("Succeeded", "Updating")
        had_gpu = existing is not None and resource in existing["status"].get("capacity", {})
        if driver == "Install" and provisioned:
            count = str(size.directx_devices)
        elif driver == "None" and name in plugin_nodes:
            count = str(size.directx_devices)
        elif driver == "None" and had_gpu:
            count = "0"
        else:
            return
        node["status"]["capacity"][resource] = count
        node["status"]["allocatable"][resource] = count


def is_device_plugin(pod: Obj) -> bool:
    return any(marker in c.get("image", "") for c in pod["spec"].get("containers", []) for marker in _DEVICE_PLUGIN_IMAGES)
