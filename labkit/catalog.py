"""The AKS and Azure facts the kit builds on, as data: GPU VM sizes, Windows os-skus, version floors.

Every rule in :mod:`labkit.rules` reads from here, and so does the simulator (node capacity, GPU
counts, quota families, node images, the versions AKS offers), so a fact is stated once. Figures come
from Azure's published size pages (``source`` on each size); ``docs/aks-facts.md`` lists the AKS facts
and rules with their sources.

Example:
    >>> from labkit import catalog
    >>> size = catalog.gpu_size("standard_nc4as_t4_v3")
    >>> size.name, size.default_driver_type, size.directx_devices
    ('Standard_NC4as_T4_v3', 'CUDA', 1)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Optional

Version = tuple[int, int]

_SIZES_PAGE = "https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/"
_RETIREMENTS = (
    "https://learn.microsoft.com/azure/virtual-machines/sizes/lifecycle/retirements-and-capacity-restrictions"
)

#: The GA api-version of azure-mgmt-containerservice 41.x, and the preview one that knows gpuProfile.driverType.
GA_API_VERSION = "2026-08-01"
PREVIEW_API_VERSION = "2026-08-02-preview"

#: Kubernetes versions below this cannot run Windows GPU pools (AKS doc "Use Windows GPUs", limitations).
MIN_WINDOWS_GPU_VERSION: Version = (1, 29)

#: A pool's minor version may trail its control plane's by at most this many (AKS supported-kubernetes-versions
#: page, "version skew").
MAX_POOL_MINOR_SKEW = 3


def version_skew(pool: Version, control_plane: Version) -> Optional[str]:
    """How a pool's version breaks AKS's skew rule: ``"newer"`` than its control plane, ``"behind"`` it by more
    than :data:`MAX_POOL_MINOR_SKEW` minors, or None when it is within the rule.

    Example:
        >>> version_skew((1, 34), (1, 33)), version_skew((1, 29), (1, 33)), version_skew((1, 30), (1, 33))
        ('newer', 'behind', None)
    """
    if pool > control_plane:
        return "newer"
    if pool[0] < control_plane[0] or control_plane[1] - pool[1] > MAX_POOL_MINOR_SKEW:
        return "behind"
    return None


#: Windows pool names are at most this long (AKS "Use system node pools", limitations).
WINDOWS_POOL_NAME_MAX = 6

#: Node pools one cluster may have, its system pool included (AKS "Quotas, virtual machine size restrictions, and
#: region availability": maximum node pools per cluster).
MAX_POOLS_PER_CLUSTER = 100

#: Node count limits of a user pool (AKS REST spec: agentPools count 0-1000).
NODE_COUNT_RANGE = (0, 1000)

#: Where the quota family names below were seen (Compute usages ``name.value`` and ``az vm list-skus`` output).
_QUOTA_NAMES = (
    "github.com/openshift/installer docs/user/azure/tested_instance_types_x86_64.md (az vm list-skus families); "
    "github.com/Azure/Batch/issues/173 (standardNDSH100v5Family)"
)


@dataclass(frozen=True)
class GpuFamily:
    """A GPU VM family: what every size in it shares."""

    name: str
    vendor: str
    gpu_model: str
    source: str
    quota_family: str
    retired_on: Optional[date] = None
    replacement: Optional[str] = None
    mig_capable: bool = False
    confirmed: bool = True
    sku_family: Optional[str] = None

    @property
    def compute_sku_family(self) -> str:
        """The family as ``Microsoft.Compute/skus`` spells it, which for some GPU families is not the quota name."""
        return self.sku_family or self.quota_family

    @property
    def default_driver_type(self) -> Optional[str]:
        """CUDA for NC/ND sizes, GRID for NV sizes (AKS doc); None where AKS installs no driver (AMD)."""
        if self.vendor != "NVIDIA":
            return None
        return "GRID" if self.name.startswith("NV") else "CUDA"


@dataclass(frozen=True)
class GpuSize:
    """One GPU VM size with the figures a node reports."""

    name: str
    family: GpuFamily
    gpus: Fraction
    gpu_memory_gb: int
    vcpus: int
    memory_gib: int

    @property
    def default_driver_type(self) -> Optional[str]:
        return self.family.default_driver_type

    @property
    def directx_devices(self) -> int:
        """GPU adapters Windows sees: a partial GPU still shows up as one adapter."""
        return max(1, int(self.gpus))

    def retired(self, today: date) -> bool:
        return self.family.retired_on is not None and today >= self.family.retired_on


# quota_family: the vCPU quota family (Compute usages name.value), sources in _QUOTA_NAMES; families marked
# confirmed=False, or whose quota name no captured output shows, follow Azure's naming pattern.
NCAST4_V3 = GpuFamily(
    "NCasT4_v3", "NVIDIA", "Tesla T4", _SIZES_PAGE + "ncast4v3-series", "standardNCASv3_T4Family",
    sku_family="Standard NCASv3_T4 Family",  # how az vm list-skus prints it (openshift/installer, above)
)
NCV3 = GpuFamily(
    "NCv3", "NVIDIA", "Tesla V100",
    _SIZES_PAGE + "ncv3-series; https://learn.microsoft.com/azure/virtual-machines/ncv3-retirement",
    "standardNCSv3Family", retired_on=date(2025, 9, 30), replacement="Standard_NC4as_T4_v3",
)
NVADSA10_V5 = GpuFamily("NVadsA10_v5", "NVIDIA", "A10", _SIZES_PAGE + "nvadsa10v5-series", "standardNVADSA10v5Family")
# No Learn size page exists for this family; figures from Microsoft's Aspire AksNodeVmSizes.cs.
NCADS_A10_V4 = GpuFamily(
    "NCads_A10_v4", "NVIDIA", "A10",
    "github.com/dotnet/aspire AksNodeVmSizes.cs (no Learn size page)", "StandardNCADSA10v4Family", confirmed=False,
)
NC_A100_V4 = GpuFamily(
    "NC_A100_v4", "NVIDIA", "A100 80GB PCIe", _SIZES_PAGE + "nca100v4-series", "StandardNCADSA100v4Family",
    mig_capable=True,
)
ND_A100_V4 = GpuFamily(
    "NDasrA100_v4", "NVIDIA", "A100 40GB", _SIZES_PAGE + "ndasra100v4-series", "standardNDASv4_A100Family",
    mig_capable=True,
)
NDM_A100_V4 = GpuFamily(
    "NDm_A100_v4", "NVIDIA", "A100 80GB", _SIZES_PAGE + "ndma100v4-series", "standardNDAMSv4_A100Family",
    mig_capable=True,
)
ND_H100_V5 = GpuFamily(
    "ND_H100_v5", "NVIDIA", "H100", _SIZES_PAGE + "ndh100v5-series", "standardNDSH100v5Family", mig_capable=True,
)
NVV4 = GpuFamily(
    "NVv4", "AMD", "Radeon Instinct MI25", _SIZES_PAGE + "nvv4-series; " + _RETIREMENTS, "standardNVSv4Family",
    retired_on=date(2026, 9, 30), replacement="Standard_NV6ads_A10_v5",
)

_F = Fraction
_SIZES = [
    GpuSize("Standard_NC4as_T4_v3", NCAST4_V3, _F(1), 16, 4, 28),
    GpuSize("Standard_NC8as_T4_v3", NCAST4_V3, _F(1), 16, 8, 56),
    GpuSize("Standard_NC16as_T4_v3", NCAST4_V3, _F(1), 16, 16, 110),
    GpuSize("Standard_NC64as_T4_v3", NCAST4_V3, _F(4), 64, 64, 440),
    GpuSize("Standard_NC6s_v3", NCV3, _F(1), 16, 6, 112),
    GpuSize("Standard_NC12s_v3", NCV3, _F(2), 32, 12, 224),
    GpuSize("Standard_NC24s_v3", NCV3, _F(4), 64, 24, 448),
    GpuSize("Standard_NC24rs_v3", NCV3, _F(4), 64, 24, 448),
    GpuSize("Standard_NV6ads_A10_v5", NVADSA10_V5, _F(1, 6), 4, 6, 55),
    GpuSize("Standard_NV12ads_A10_v5", NVADSA10_V5, _F(1, 3), 8, 12, 110),
    GpuSize("Standard_NV18ads_A10_v5", NVADSA10_V5, _F(1, 2), 12, 18, 220),
    GpuSize("Standard_NV36ads_A10_v5", NVADSA10_V5, _F(1), 24, 36, 440),
    GpuSize("Standard_NV36adms_A10_v5", NVADSA10_V5, _F(1), 24, 36, 880),
    GpuSize("Standard_NV72ads_A10_v5", NVADSA10_V5, _F(2), 48, 72, 880),
    GpuSize("Standard_NC8ads_A10_v4", NCADS_A10_V4, _F(1), 24, 8, 100),
    GpuSize("Standard_NC16ads_A10_v4", NCADS_A10_V4, _F(1), 24, 16, 200),
    GpuSize("Standard_NC32ads_A10_v4", NCADS_A10_V4, _F(2), 48, 32, 400),
    GpuSize("Standard_NC24ads_A100_v4", NC_A100_V4, _F(1), 80, 24, 220),
    GpuSize("Standard_NC48ads_A100_v4", NC_A100_V4, _F(2), 160, 48, 440),
    GpuSize("Standard_NC96ads_A100_v4", NC_A100_V4, _F(4), 320, 96, 880),
    GpuSize("Standard_ND96asr_v4", ND_A100_V4, _F(8), 320, 96, 900),
    GpuSize("Standard_ND96amsr_A100_v4", NDM_A100_V4, _F(8), 640, 96, 1900),
    GpuSize("Standard_ND96isr_H100_v5", ND_H100_V5, _F(8), 640, 96, 1900),
    GpuSize("Standard_NV4as_v4", NVV4, _F(1, 8), 2, 4, 14),
    GpuSize("Standard_NV8as_v4", NVV4, _F(1, 4), 4, 8, 28),
    GpuSize("Standard_NV16as_v4", NVV4, _F(1, 2), 8, 16, 56),
    GpuSize("Standard_NV32as_v4", NVV4, _F(1), 16, 32, 112),
]

#: Every GPU size the kit knows, by exact Azure name.
GPU_SIZES: dict[str, GpuSize] = {s.name: s for s in _SIZES}

#: The size the lab uses by default: the smallest current NVIDIA size (the doc's NC6s_v3 is retired).
DEFAULT_VM_SIZE = "Standard_NC4as_T4_v3"
#: The extended resource a Windows GPU node advertises through the DirectX device plugin (the AKS doc's
#: `kubectl describe node` output and its sample Job's limits).
DIRECTX_RESOURCE = "microsoft.com/directx"


def gpu_size(name: str) -> Optional[GpuSize]:
    """The catalog entry for a VM size, matched case-insensitively; None if unknown."""
    return _BY_LOWER_NAME.get(name.lower())


_BY_LOWER_NAME = {s.name.lower(): s for s in _SIZES}


@dataclass(frozen=True)
class CpuSize:
    """A general-purpose size the simulated cluster can run (its system pool, or a Windows pool without GPUs)."""

    name: str
    vcpus: int
    memory_gib: int
    quota_family: str


_CPU_PAGE = "https://learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/"

#: General-purpose sizes: Dds_v5 (the system pool's), Ds_v3 (AgentPoolsCreate_WindowsOSSKU.json's D4s_v3), DSv2.
CPU_SIZES: dict[str, CpuSize] = {
    s.name: s
    for s in [  # figures: _CPU_PAGE + ddsv5-series, dsv3-series, dsv2-series
        CpuSize("Standard_D4ds_v5", 4, 16, "standardDDSv5Family"),
        CpuSize("Standard_D2s_v3", 2, 8, "standardDSv3Family"),
        CpuSize("Standard_D4s_v3", 4, 16, "standardDSv3Family"),
        CpuSize("Standard_DS2_v2", 2, 7, "standardDSv2Family"),
    ]
}


def vm_size(name: str) -> Optional["GpuSize | CpuSize"]:
    """Any size the kit knows, GPU or not, matched case-insensitively; None if unknown."""
    return gpu_size(name) or next((s for s in CPU_SIZES.values() if s.name.lower() == name.lower()), None)


def quota_family(size: "GpuSize | CpuSize") -> str:
    return size.family.quota_family if isinstance(size, GpuSize) else size.quota_family


#: The quota name of a region's vCPUs over all families (Compute usages), and how the portal shows it.
REGIONAL_QUOTA = ("cores", "Total Regional vCPUs")


@dataclass(frozen=True)
class HourlyPrice:
    """What one VM of a size costs an hour, pay-as-you-go, in US dollars, in one region under one OS."""

    vm_size: str
    region: str
    os_type: str  # "Windows" (licence included) or "Linux"
    usd: float


#: The date and source of :data:`PRICES`, labkit's offline answer (and the simulator's) when Azure's Retail Prices
#: API cannot be asked. Every figure is the API's ``retailPrice`` for ``type`` Consumption (pay-as-you-go), USD.
PRICES_DATE = date(2026, 3, 9)
PRICES_SOURCE = (
    "Azure Retail Prices API (https://prices.azure.com/api/retail/prices), pay-as-you-go, USD: Standard_NC4as_T4_v3 "
    "in eastus (Windows 0.710, Linux 0.526) as the API answered on 2026-03-09 (a public capture of its answer); "
    "the other sizes' Linux prices from skypilot-org/skypilot-catalog catalogs/v6/azure/vms.csv (commit 098741e7), "
    "which SkyPilot fetches from the same API and which agrees on Standard_NC4as_T4_v3"
)

PRICES: tuple[HourlyPrice, ...] = tuple(
    HourlyPrice(size, "eastus", os_type, usd)
    for size, os_type, usd in [
        ("Standard_NC4as_T4_v3", "Windows", 0.710),
        ("Standard_NC4as_T4_v3", "Linux", 0.526),
        ("Standard_NC8as_T4_v3", "Linux", 0.752),
        ("Standard_NC16as_T4_v3", "Linux", 1.204),
        ("Standard_NC64as_T4_v3", "Linux", 4.352),
        ("Standard_NV36ads_A10_v5", "Linux", 3.20),
        ("Standard_NV36adms_A10_v5", "Linux", 4.52),
        ("Standard_NV72ads_A10_v5", "Linux", 6.52),
        ("Standard_NC24ads_A100_v4", "Linux", 3.673),
        ("Standard_NC48ads_A100_v4", "Linux", 7.346),
        ("Standard_NC96ads_A100_v4", "Linux", 14.692),
        ("Standard_ND96asr_v4", "Linux", 27.197),
        ("Standard_ND96amsr_A100_v4", "Linux", 32.77),
        ("Standard_ND96isr_H100_v5", "Linux", 98.32),
    ]
)


def table_price(vm_size: str, region: str, os_type: str) -> Optional[HourlyPrice]:
    """The table's price of a size in a region under an OS (names matched in any letter case); None if it has none.

    Example:
        >>> table_price("standard_nc4as_t4_v3", "EastUS", "Windows").usd
        0.71
    """
    wanted = (vm_size.lower(), region.lower(), os_type.lower())
    return next((p for p in PRICES if (p.vm_size.lower(), p.region.lower(), p.os_type.lower()) == wanted), None)


@dataclass(frozen=True)
class KubernetesVersion:
    """A minor version AKS offers in a region, with its patches (``az aks get-versions``)."""

    minor: str
    patches: tuple[str, ...]
    is_default: bool = False
    is_preview: bool = False


#: What AKS offers around the simulated cluster's 1.33: three GA minors and a preview, each with its two newest
#: patches (AKS supported-kubernetes-versions page: "three GA minor versions", "two stable patches"; the patch
#: numbers are illustrative). Shape: spec example KubernetesVersions_List.json.
KUBERNETES_VERSIONS = (
    KubernetesVersion("1.32", ("1.32.6", "1.32.7")),
    KubernetesVersion("1.33", ("1.33.1", "1.33.2"), is_default=True),
    KubernetesVersion("1.34", ("1.34.0", "1.34.1")),
    KubernetesVersion("1.35", ("1.35.0",), is_preview=True),
)


def offered_version(text: str) -> bool:
    """Whether AKS offers this version: a listed patch, or a listed minor (which means its newest patch)."""
    return any(text == v.minor or text in v.patches for v in KUBERNETES_VERSIONS)


@dataclass(frozen=True)
class OsSku:
    """A Windows os-sku and the Kubernetes versions AKS allows it on (both ends inclusive)."""

    name: str
    build: str
    servercore_tag: str
    first_version: Version
    last_version: Optional[Version]
    default_from: Optional[Version] = None
    default_until: Optional[Version] = None
    needs_fips: bool = False
    new_pools_until: Optional[date] = None
    node_image_version: str = ""

    def allowed_on(self, version: Version) -> bool:
        return self.first_version <= version and (self.last_version is None or version <= self.last_version)

    def default_on(self, version: Version) -> bool:
        if self.default_from is None or version < self.default_from:
            return False
        return self.default_until is None or version <= self.default_until


#: Windows os-skus (AKS Windows FAQ and os-sku docs; docs/aks-facts.md, "Windows os-skus"). needs_fips has no
#: source (Learn creates a Windows2025 pool without FIPS): labkit only advises it. node_image_version follows
#: AKS's Windows format, AKSWindows-<year>-containerd-<build>.<revision>.<yymmdd> (a real NC4as_T4_v3 node's
#: kubernetes.azure.com/node-image-version label, marosset/aks-windows-gpu-acceleration).
WINDOWS_OS_SKUS: dict[str, OsSku] = {
    sku.name: sku
    for sku in [
        OsSku("Windows2019", "10.0.17763", "ltsc2019", (1, 14), (1, 32),
              node_image_version="AKSWindows-2019-containerd-17763.6414.241113"),
        OsSku("Windows2022", "10.0.20348", "ltsc2022", (1, 23), (1, 36), default_from=(1, 25), default_until=(1, 35),
              node_image_version="AKSWindows-2022-containerd-20348.2849.241113"),
        OsSku("Windows2025", "10.0.26100", "ltsc2025", (1, 32), None, default_from=(1, 36), needs_fips=True,
              node_image_version="AKSWindows-2025-containerd-26100.2314.241113"),
        OsSku("WindowsAnnual", "10.0.25398", "ltsc2022", (1, 28), None, new_pools_until=date(2026, 5, 15),
              node_image_version="AKSWindows-23H2-containerd-25398.1251.241113"),
    ]
}

#: The node image of Ubuntu pools (AKS's Linux format, as in the spec's AgentPoolsGet.json example).
UBUNTU_NODE_IMAGE_VERSION = "AKSUbuntu-2204gen2containerd-202411.12.0"


def node_image_version(os_sku: str) -> str:
    """The ``nodeImageVersion`` a pool of this os-sku reports (and its nodes' node-image-version label)."""
    sku = os_sku and WINDOWS_OS_SKUS.get(os_sku)
    return sku.node_image_version if sku else UBUNTU_NODE_IMAGE_VERSION


def os_sku(name: str) -> Optional[OsSku]:
    """The Windows os-sku of that name, matched case-insensitively; None if it is not a Windows sku."""
    return next((s for s in WINDOWS_OS_SKUS.values() if s.name.lower() == name.lower()), None)


def default_os_sku(version: Version) -> Optional[str]:
    """The os-sku AKS picks for a new Windows pool on this Kubernetes version."""
    return next((s.name for s in WINDOWS_OS_SKUS.values() if s.default_on(version)), None)


def parse_version(text: str) -> Optional[Version]:
    """``"1.31"`` or ``"1.31.2"`` as ``(1, 31)``; None when it is not a Kubernetes version."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", str(text).strip())
    return (int(match[1]), int(match[2])) if match else None
