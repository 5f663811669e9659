"""What AKS puts on the nodes of an agent pool: name, labels, annotations, node info, capacity and allocatable.

Pure functions of a pool's ARM properties and the cluster it belongs to; the node controller writes what
they return. The reference is a real AKS Windows node of the lab's size, ``kubectl describe node`` of an
NC4as_T4_v3 Windows node in marosset/aks-windows-gpu-acceleration (test_scenarios/directx_sample_with_aks.md),
and AKS's "Node resource reservations" page; ``docs/simulated-node.md`` puts the two side by side.

Example:
    >>> kube_reserved_cpu_millicores(4), kube_reserved_cpu_millicores(64)
    (140, 740)
    >>> kube_reserved_memory_mib(28 * 1024, max_pods=30, version=(1, 25))   # regressive rate, before 1.29
    3399
    >>> kube_reserved_memory_mib(28 * 1024, max_pods=30, version=(1, 33))   # 20 MiB per pod + 50 MiB
    650
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Optional

from labkit import catalog
from labkit.catalog import Version

Obj = dict[str, Any]

#: What a Windows pool's nodes run, by os-sku: the OS name the kubelet reports and the container runtime
#: (AKS supported-kubernetes-versions page, "AKS components breaking changes by version": Windows2022 on
#: 1.33 runs containerd v1.7.20-azure.1; v1.6.35+azure on 1.31-1.32; containerd 2.0 from 1.34).
WINDOWS_IMAGES = {
    "Windows2019": ("Windows Server 2019 Datacenter", "containerd://1.6.35+azure"),
    "Windows2022": ("Windows Server 2022 Datacenter", "containerd://1.7.20+azure"),
    "Windows2025": ("Windows Server 2025 Datacenter", "containerd://2.0.4+azure"),
    "WindowsAnnual": ("Windows Server Datacenter", "containerd://1.7.20+azure"),
}
#: The Linux system pool's nodes (Ubuntu 22.04 image with AKS's containerd 1.7.27 on 1.33, same page).
LINUX_IMAGE = ("Ubuntu 22.04.5 LTS", "5.15.0-1089-azure", "containerd://1.7.27-1")

#: Pods per node when a pool body does not say: the default of Azure CNI with pods in the node subnet, the network
#: the simulated cluster has (:mod:`labkit.sim.network`; learn.microsoft.com/azure/aks/concepts-network-legacy-cni,
#: "Maximum pods per node": 30, where kubenet's 110 is Linux only), and what the real Windows node shows.
DEFAULT_MAX_PODS = 30

#: AKS keeps 2 GiB of a Windows node's memory for system processes, outside the kube-reserved figure
#: (node-resource-reservations, the note under "Memory reservations").
WINDOWS_SYSTEM_RESERVED_MIB = 2048

#: The kubelet's hard eviction threshold (memory.available), counted out of Linux nodes' allocatable:
#: 750 Mi before AKS 1.29, 100 Mi from 1.29 (node-resource-reservations). Windows nodes show none: two
#: real Windows nodes (a 28 GiB NC4as_T4_v3 on 1.25, marosset; a 7 GiB DS2_v2, chunliu.me/2020/06/11/
#: node-allocatable-in-aks) have exactly capacity - kube-reserved - 2 GiB allocatable.
LINUX_EVICTION_MIB = {"before_1_29": 750, "from_1_29": 100}

#: KiB of the VM's memory the operating system keeps from the kubelet's capacity: 460 KiB on both real
#: Windows nodes above; 226372 KiB on the real Linux DS2_v2 (chunliu.me).
OS_HIDDEN_MEMORY_KIB = {"windows": 460, "linux": 226372}

#: The OS disk as the kubelet sees it: a 128 GB Windows OS disk shows 133703676Ki (both real nodes),
#: 514052 KiB short of 128 GiB; Linux nodes keep 10% for the nodefs.available eviction threshold.
OS_DISK_HIDDEN_KIB = 514052
DEFAULT_OS_DISK_GB = 128


def kube_reserved_cpu_millicores(cores: int) -> int:
    """AKS's kube-reserved CPU: 60m for the first core, 40m for the second, 20m each for the third and fourth,
    10m for every core after (the rule behind the node-resource-reservations table: 1 core 60, 2: 100,
    4: 140, 8: 180, 16: 260, 32: 420, 64: 740)."""
    steps = ((1, 60), (1, 40), (2, 20))
    reserved, left = 0, cores
    for count, each in steps:
        used = min(left, count)
        reserved, left = reserved + used * each, left - used
    return reserved + left * 10


def kube_reserved_memory_mib(memory_mib: int, *, max_pods: int, version: Version) -> int:
    """AKS's kube-reserved memory for a VM with ``memory_mib``, in whole MiB.

    From 1.29: the lesser of 20 MiB per pod + 50 MiB and 25% of the memory. Before: 25% of the first 4 GiB,
    20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above 128 GiB (node-resource-reservations).
    """
    if version >= (1, 29):
        return int(min(20 * max_pods + 50, memory_mib * 0.25))
    bands = ((4096, 0.25), (4096, 0.20), (8192, 0.10), (114688, 0.06), (float("inf"), 0.02))
    reserved, left = 0.0, float(memory_mib)
    for size, rate in bands:
        used = min(left, size)
        reserved, left = reserved + used * rate, left - used
    return int(reserved)


@dataclass(frozen=True)
class Cluster:
    """What a node's shape needs of its cluster."""

    subscription_path: str
    node_resource_group: str
    location: str
    kubernetes_version: str
    cluster_id: str

    @property
    def kubelet_identity_client_id(self) -> str:
        """The client id of the cluster's kubelet identity (a stable GUID per cluster)."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, self.cluster_id.lower() + "/kubelet"))

    @property
    def windows_password_version(self) -> str:
        """AKS's hash of the Windows admin password the nodes were set up with (stable per cluster)."""
        return hashlib.sha256(self.cluster_id.lower().encode()).hexdigest()[:62]

    @property
    def vmss_hash(self) -> str:
        """The number in Linux node names (``aks-nodepool1-12345678-vmss000000``)."""
        return f"{int(hashlib.sha256(self.cluster_id.lower().encode()).hexdigest(), 16) % 100_000_000:08d}"


def windows(props: Obj) -> bool:
    return props.get("osType", "Linux") == "Windows"


def nvidia_gpu(vm_size: str) -> Optional[catalog.GpuSize]:
    """``vm_size``'s GPU size when it carries NVIDIA GPUs, else None."""
    gpu = catalog.gpu_size(vm_size)
    return gpu if gpu is not None and gpu.family.vendor == "NVIDIA" else None


def installs_gpu_driver(gpu_profile: Obj) -> bool:
    """Whether AKS installs the GPU driver: ``gpuProfile.driver`` is Install, as it is when unset."""
    return gpu_profile.get("driver", "Install") == "Install"


def os_sku(props: Obj) -> str:
    return props.get("osSKU") or ("Windows2022" if windows(props) else "Ubuntu")


def node_name(pool_name: str, props: Obj, index: int, cluster: Cluster) -> str:
    """``aks<pool><index:06>`` for Windows (names stay within Windows' 15 characters), else the VMSS form."""
    if windows(props):
        return f"aks{pool_name}{index:06d}"
    return f"aks-{pool_name}-{cluster.vmss_hash}-vmss{index:06d}"


def node_image_version(props: Obj) -> str:
    """The pool's node image, as the pool reports it, else AKS's current one for its os-sku."""
    return props.get("nodeImageVersion") or catalog.node_image_version(os_sku(props))


def labels(pool_name: str, props: Obj, name: str, cluster: Cluster) -> dict[str, str]:
    """The labels AKS and the kubelet put on the node, then the pool's own ``nodeLabels``."""
    os_name = "windows" if windows(props) else "linux"
    vm_size = props.get("vmSize", "")
    zone = "0"  # a pool without availability zones: fault domain 0, as the real node shows
    found = {
        "agentpool": pool_name,
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": vm_size,
        "beta.kubernetes.io/os": os_name,
        "failure-domain.beta.kubernetes.io/region": cluster.location,
        "failure-domain.beta.kubernetes.io/zone": zone,
        "kubernetes.azure.com/agentpool": pool_name,
        "kubernetes.azure.com/cluster": cluster.node_resource_group,
        "kubernetes.azure.com/kubelet-identity-client-id": cluster.kubelet_identity_client_id,
        "kubernetes.azure.com/mode": str(props.get("mode", "User")).lower(),
        "kubernetes.azure.com/node-image-version": node_image_version(props),
        "kubernetes.azure.com/os-sku": os_sku(props),
        "kubernetes.azure.com/role": "agent",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": os_name,
        "kubernetes.io/role": "agent",
        "node-role.kubernetes.io/agent": "",
        "node.kubernetes.io/instance-type": vm_size,
        "topology.disk.csi.azure.com/zone": "",
        "topology.kubernetes.io/region": cluster.location,
        "topology.kubernetes.io/zone": zone,
    }
    if windows(props):
        sku = catalog.WINDOWS_OS_SKUS.get(os_sku(props), catalog.WINDOWS_OS_SKUS["Windows2022"])
        found["node.kubernetes.io/windows-build"] = sku.build
        found["kubernetes.azure.com/windows-password-version"] = cluster.windows_password_version
    if nvidia_gpu(vm_size) is not None:
        found["accelerator"] = found["kubernetes.azure.com/accelerator"] = "nvidia"
    return {**found, **(props.get("nodeLabels") or {})}


def annotations(name: str) -> dict[str, str]:
    """What the kubelet, the CSI node plugins and the TTL controller annotate a node with."""
    return {
        "csi.volume.kubernetes.io/nodeid": json.dumps({"disk.csi.azure.com": name, "file.csi.azure.com": name},
                                                      separators=(",", ":")),
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }


def node_info(name: str, props: Obj, cluster: Cluster) -> Obj:
    """``status.nodeInfo``: Windows reports its build as the kernel version, its boot count as the boot id."""
    version = "v" + (props.get("currentOrchestratorVersion") or props.get("orchestratorVersion") or cluster.kubernetes_version)
    machine = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.{cluster.cluster_id.lower()}"))
    if windows(props):
        os_image, runtime = WINDOWS_IMAGES.get(os_sku(props), WINDOWS_IMAGES["Windows2022"])
        shown = {"machineID": name, "systemUUID": machine.upper(), "bootID": "1",
                 "kernelVersion": windows_kernel(props), "osImage": os_image, "operatingSystem": "windows"}
    else:
        os_image, kernel, runtime = LINUX_IMAGE
        shown = {"machineID": machine.replace("-", ""), "systemUUID": machine, "bootID": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
                 "kernelVersion": kernel, "osImage": os_image, "operatingSystem": "linux"}
    return {**shown, "containerRuntimeVersion": runtime, "kubeletVersion": version, "kubeProxyVersion": version,
            "architecture": "amd64"}


def windows_kernel(props: Obj) -> str:
    """``10.0.<build>.<revision>`` from the node image (``AKSWindows-2022-containerd-20348.2849.241113``)."""
    image = node_image_version(props)
    build_and_revision = image.rsplit("-", 1)[-1].split(".")[:2]
    sku = catalog.WINDOWS_OS_SKUS.get(os_sku(props), catalog.WINDOWS_OS_SKUS["Windows2022"])
    if len(build_and_revision) == 2 and all(part.isdigit() for part in build_and_revision):
        return "10.0." + ".".join(build_and_revision)
    return sku.build + ".0"


def max_pods(props: Obj) -> int:
    value = props.get("maxPods")
    return value if isinstance(value, int) and value > 0 else DEFAULT_MAX_PODS


def capacity_and_allocatable(props: Obj, cluster: Cluster) -> tuple[dict[str, str], dict[str, str]]:
    """What the kubelet reports of the VM, and what is left for pods after AKS's reservations.

    cpu: cores - kube-reserved CPU. memory: the OS's capacity - kube-reserved memory - (Windows) 2 GiB system
    reserved or (Linux) the eviction threshold. Windows keeps all its ephemeral storage allocatable.
    """
    size = catalog.vm_size(props.get("vmSize", ""))
    cores, memory_gib = (size.vcpus, size.memory_gib) if size else (4, 16)
    version = catalog.parse_version(props.get("orchestratorVersion") or cluster.kubernetes_version) or (1, 33)
    pods = max_pods(props)
    os_name = "windows" if windows(props) else "linux"
    memory_kib = memory_gib * 1024 * 1024 - OS_HIDDEN_MEMORY_KIB[os_name]
    reserved_mib = kube_reserved_memory_mib(memory_gib * 1024, max_pods=pods, version=version)
    if os_name == "windows":
        reserved_mib += WINDOWS_SYSTEM_RESERVED_MIB
    else:
        reserved_mib += LINUX_EVICTION_MIB["from_1_29" if version >= (1, 29) else "before_1_29"]
    disk_kib = _disk_gb(props) * 1024 * 1024 - OS_DISK_HIDDEN_KIB
    capacity = {"cpu": str(cores), "ephemeral-storage": f"{disk_kib}Ki", "memory": f"{memory_kib}Ki", "pods": str(pods)}
    allocatable = {
        "cpu": f"{cores * 1000 - kube_reserved_cpu_millicores(cores)}m",
        "ephemeral-storage": f"{disk_kib}Ki" if os_name == "windows" else str(disk_kib * 1024 * 9 // 10),
        "memory": f"{memory_kib - reserved_mib * 1024}Ki",
        "pods": str(pods),
    }
    if os_name == "linux":
        for hugepages in ("hugepages-1Gi", "hugepages-2Mi"):
            capacity[hugepages] = allocatable[hugepages] = "0"
    return capacity, allocatable


def _disk_gb(props: Obj) -> int:
    value = props.get("osDiskSizeGB")
    return value if isinstance(value, int) and value > 0 else DEFAULT_OS_DISK_GB


def provider_id(pool_name: str, index: int, cluster: Cluster) -> str:
    return (f"azure://{cluster.subscription_path}/resourceGroups/{cluster.node_resource_group.lower()}"
            f"/providers/Microsoft.Compute/virtualMachineScaleSets/aks{pool_name}/virtualMachines/{index}")


def first_free_address_block(used: list[tuple[int, int]], size: int) -> int:
    """The first offset in the node subnet (10.224.0.0/16, hosts from .4) where ``size`` addresses are free.

    Azure CNI gives each node an address and pre-allocates its pods' addresses next to it (the real node is
    10.224.0.62, its pod 10.224.0.63); ``used`` are the (start, size) blocks of the nodes that exist.
    """
    start = 4
    for block_start, block_size in sorted(used):
        if start + size <= block_start:
            return start
        start = max(start, block_start + block_size)
    return start


def subnet_address(offset: int) -> str:
    return f"10.224.{offset // 256}.{offset % 256}"


def address_offset(address: str) -> Optional[int]:
    parts = address.split(".")
    if len(parts) != 4 or parts[:2] != ["10", "224"] or not all(p.isdigit() for p in parts[2:]):
        return None
    return int(parts[2]) * 256 + int(parts[3])
