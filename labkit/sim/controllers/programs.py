"""What the simulated containers print: the DirectX device plugin's start-up and the sample GPU workload's report.

Pure functions of the node (and its pool's GPU profile); the kubelet appends their text to the pod's log.
"""

from __future__ import annotations

from labkit import catalog
from labkit.sim.aks_node import installs_gpu_driver
from labkit.sim.store import Obj

#: The Windows driver version AKS installs, per driver type.
_DRIVER_VERSION = {"CUDA": "32.0.15.6094", "GRID": "31.0.15.5222"}


def plugin_log(node: Obj, resource: str, image: str, adapters: int) -> str:
    """A DirectX device plugin's log on ``node``: what it found, and whether it registered ``resource``.

    Example:
        >>> node = {"metadata": {"labels": {"node.kubernetes.io/instance-type": "Standard_NC4as_T4_v3"}}}
        >>> print(plugin_log(node, "microsoft.com/directx", "mcr.microsoft.com/aks/aks-windows-gpu-device-plugin:0.0.19", 1), end="")
        DirectX device plugin 0.0.19 starting
        found 1 DirectX GPU adapter(s): NVIDIA Tesla T4
        registered resource microsoft.com/directx with the kubelet (1 device(s))
    """
    version = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    started = f"DirectX device plugin {version} starting\n"
    size = catalog.gpu_size((node["metadata"].get("labels") or {}).get("node.kubernetes.io/instance-type", ""))
    if size is None or not adapters:
        return started + "found 0 DirectX GPU adapter(s); nothing to register\n"
    return (
        started
        + f"found {adapters} DirectX GPU adapter(s): NVIDIA {size.family.gpu_model}\n"
        + f"registered resource {resource} with the kubelet ({adapters} device(s))\n"
    )


def workload_log(node: Obj, gpu_profile: Obj) -> str:
    """The sample workload's report of the GPU adapter it sees on ``node`` (PowerShell's Win32_VideoController)."""
    labels = node["metadata"]["labels"]
    size = catalog.gpu_size(labels.get("node.kubernetes.io/instance-type", ""))
    if not installs_gpu_driver(gpu_profile):
        driver = "(none from AKS: gpu_driver=None)"
    else:
        driver_type = gpu_profile.get("driverType") or (size.default_driver_type if size else "CUDA")
        driver = f"{_DRIVER_VERSION.get(driver_type, '')} ({driver_type})"
    model = f"NVIDIA {size.family.gpu_model}" if size else "Microsoft Basic Display Adapter"
    memory = (size.gpu_memory_gb // max(1, int(size.gpus)) if size else 0) * 1024 ** 3
    return (
        f"\nName          : {model}\n"
        f"DriverVersion : {driver}\n"
        f"AdapterRAM    : {min(memory, 4293918720)}\n"
        f"\nNode          : {node['metadata']['name']} ({labels.get('node.kubernetes.io/instance-type')})\n"
    )
