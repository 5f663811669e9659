"""What the simulated containers print: the DirectX device plugin's start-up and the sample GPU workload's report.

Pure functions of the node (and its pool's GPU profile); the kubelet appends their text to the pod's log.
"""

from __future__ import annotations

from labkit import catalog
from labkit.sim.store import Obj

#: The Windows driver version AKS installs, per driver type.
_DRIVER_VERSION = {"CUDA": "32.0.15.6094", "GRID": "31.0.15.5222"}


def plugin_log(node: Obj, resource: str) -> str:
    """A DirectX device plugin's log on ``node`` after it registered ``resource`` with the kubelet."""
    size = catalog.gpu_size(node["metadata"]["labels"].get("node.kubernetes.io/instance-type", ""))
    if size is None:
        return "DirectX device plugin 0.0.17 starting\nfound 0 DirectX GPU adapter(s); nothing to register\n"
    return (
        "DirectX device plugin 0.0.17 starting\n"
        f"found {size.directx_devices} DirectX GPU adapter(s): NVIDIA {size.family.gpu_model}\n"
        f"registered resource {resource} with the kubelet ({size.directx_devices} device(s))\n"
    )


def workload_log(node: Obj, gpu_profile: Obj) -> str:
    """The sample workload's report of the GPU adapter it sees on ``node`` (PowerShell's Win32_VideoController)."""
    labels = node["metadata"]["labels"]
    size = catalog.gpu_size(labels.get("node.kubernetes.io/instance-type", ""))
    if gpu_profile.get("driver", "Install") == "None":
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
