"""``Microsoft.Compute`` as AKS meets it: the VM sizes a region offers, and vCPU quota per family and region.

Sizes and quota families come from :mod:`labkit.catalog`; the limits from the simulator's settings
(``SimConfig.vcpu_quota``), overridden by a quota fault. Current usage is what the cluster's pools
run, the system pool included.
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Iterable, Optional

from labkit import catalog
from labkit.sim.arm.exceptions import AksError
from labkit.sim.store import Obj

#: The zones the simulated region offers for every size.
ZONES = ("1", "2", "3")

#: Why a size is restricted in the SKU list: AKS refuses it as not offered (github.com/dotnet/core/issues/8000).
NOT_AVAILABLE = "NotAvailableForSubscription"


class Compute:
    """VM sizes and vCPU quota of the simulated region."""

    def __init__(self, location: str, limits: Callable[[], dict[str, int]], pools: Callable[[], Iterable[Obj]]):
        self._location, self._limits, self._pools = location, limits, pools

    # --- SKUs ------------------------------------------------------------------------------------

    def skus(self, location: Optional[str], today: date) -> list[Obj]:
        """``Microsoft.Compute/skus`` for the region (every region when ``location`` is None, which is this one)."""
        if location is not None and location.lower() != self._location.lower():
            return []
        sizes = [*catalog.GPU_SIZES.values(), *catalog.CPU_SIZES.values()]
        return [self._sku(size, today) for size in sizes]

    def available(self, vm_size: str, today: date) -> bool:
        size = catalog.vm_size(vm_size)
        return size is not None and not _retired(size, today)

    def _sku(self, size, today: date) -> Obj:
        gpu = isinstance(size, catalog.GpuSize)
        capabilities = {"vCPUs": size.vcpus, "MemoryGB": size.memory_gib, "vCPUsAvailable": size.vcpus,
                        "HyperVGenerations": "V1,V2", "PremiumIO": "True", "AcceleratedNetworkingEnabled": "True"}
        if gpu:
            capabilities["GPUs"] = max(1, int(size.gpus))
        restrictions = []
        if _retired(size, today):
            restrictions.append({
                "type": "Location", "values": [self._location],
                "restrictionInfo": {"locations": [self._location]}, "reasonCode": NOT_AVAILABLE,
            })
        return {
            "resourceType": "virtualMachines",
            "name": size.name,
            "tier": "Standard",
            "size": size.name.removeprefix("Standard_"),
            "family": size.family.compute_sku_family if gpu else size.quota_family,
            "locations": [self._location],
            "locationInfo": [{"location": self._location, "zones": list(ZONES), "zoneDetails": []}],
            "capabilities": [{"name": k, "value": str(v)} for k, v in capabilities.items()],
            "restrictions": restrictions,
        }

    # --- quota -----------------------------------------------------------------------------------

    def usages(self) -> list[Obj]:
        """``Microsoft.Compute/locations/{location}/usages``: vCPUs per family and in the whole region."""
        limits, used = self._limits(), self._used()
        regional, regional_label = catalog.REGIONAL_QUOTA
        rows = [(regional, regional_label, sum(used.values()), limits.get(regional, 0))]
        for family in sorted(set(limits) - {regional}):
            rows.append((family, f"{family} vCPUs", used.get(family, 0), limits[family]))
        return [{"currentValue": current, "limit": limit, "name": {"value": value, "localizedValue": label},
                 "unit": "Count"} for value, label, current, limit in rows]

    def require_vcpus(self, pool: str, vm_size: str, added_nodes: int) -> None:
        """Refuse, as AKS does, nodes whose vCPUs the family's or the region's quota cannot take.

        Raises:
            AksError: ErrCode_InsufficientVCPUQuota (family) or QuotaExceeded (region).
        """
        size = catalog.vm_size(vm_size)
        if size is None or added_nodes <= 0:
            return
        family, requested = catalog.quota_family(size), size.vcpus * added_nodes
        limits, used = self._limits(), self._used()
        remaining = limits.get(family, 0) - used.get(family, 0)
        if requested > remaining:
            # Text as captured from AKS: github.com/1ChristianAlex/motordesk/issues/14
            raise AksError(400, "ErrCode_InsufficientVCPUQuota",
                           f"Insufficient vcpu quota requested {requested}, remaining {max(0, remaining)} for family "
                           f"{family} for region {self._location}. Surge nodes would also consume vcpu quota.",
                           "properties.count")
        regional = catalog.REGIONAL_QUOTA[0]
        limit, usage = limits.get(regional, 0), sum(used.values())
        if usage + requested > limit:
            # Text as captured from AKS: github.com/MicrosoftDocs/azure-docs/issues/62378
            raise AksError(400, "QuotaExceeded",
                           "Operation could not be completed as it results in exceeding approved Total Regional Cores "
                           f"quota. Additional details - Deployment Model: Resource Manager, Location: {self._location}, "
                           f"Current Limit: {limit}, Current Usage: {usage}, Additional Required: {requested}, "
                           f"(Minimum) New Limit Required: {usage + requested}. Submit a request for Quota increase "
                           "at https://aka.ms/ProdportalCRP (agent pool '" + pool + "').",
                           "properties.count")

    def _used(self) -> dict[str, int]:
        used: dict[str, int] = {}
        for properties in self._pools():
            size = catalog.vm_size(str(properties.get("vmSize", "")))
            if size is not None:
                family = catalog.quota_family(size)
                used[family] = used.get(family, 0) + size.vcpus * int(properties.get("count", 0))
        return used


def _retired(size, today: date) -> bool:
    return isinstance(size, catalog.GpuSize) and size.retired(today)


def default_vcpu_quota() -> dict[str, int]:
    """Limits that let the whole lab (and its tests) run: every family the catalog knows, and the region."""
    families = {s.family.quota_family: 48 for s in catalog.GPU_SIZES.values()}
    families.update({s.quota_family: 100 for s in catalog.CPU_SIZES.values()})
    return {catalog.REGIONAL_QUOTA[0]: 350, **families}
