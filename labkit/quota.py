"""Before a pool is created: does the cluster's region offer its size to the subscription, and do the VM family's and
the region's vCPU quotas leave room for its nodes? Asked through azure-mgmt-compute, as ``az vm list-skus`` and
``az vm list-usage`` do: ``resource_skus.list`` and ``usage.list`` in the region (2 ARM requests).

A GPU family's quota is often 0 on a new subscription, and a pool refused for quota fails only after it was sent;
asking first stops a lesson before anything is created, with the numbers and how to ask for more.

Example:
    >>> found = preflight(lab, region="eastus", vm_size="Standard_NC4as_T4_v3", nodes=1, what="pool gpunp")  # doctest: +SKIP
    >>> found.require()      # raises PreflightError when the size is not offered or a quota has no room  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from labkit import catalog
from labkit.errors import OperationError, PreflightError
from labkit.failures import reported

#: Where Azure explains asking for more vCPUs of a VM family, and of a region.
FAMILY_QUOTA_HELP = "https://learn.microsoft.com/azure/quotas/per-vm-quota-requests"
REGIONAL_QUOTA_HELP = "https://learn.microsoft.com/azure/quotas/regional-quota-requests"


@dataclass(frozen=True)
class Room:
    """One vCPU quota in a region (a VM family's, or the region's total) and what a request needs of it."""

    name: str
    region: str
    limit: int
    used: int
    needed: int

    @property
    def free(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def enough(self) -> bool:
        return self.needed <= self.free

    def __str__(self) -> str:
        return f"vCPU quota {self.name} in {self.region}: {self.free} of {self.limit} free, {self.needed} needed"


@dataclass(frozen=True)
class Preflight:
    """What the checks found for one request: why the size is not offered (None: it is), and each quota's room."""

    what: str
    vm_size: str
    region: str
    not_offered: Optional[str]
    rooms: tuple[Room, ...]
    #: Why nothing was checked (``local_checks`` is off, or the SKUs or quota could not be read); None when checked.
    unchecked: Optional[str] = None

    def require(self) -> None:
        """Raise the first problem found, as one line and what to do.

        Raises:
            PreflightError: ``SizeNotOffered``, ``InsufficientVCPUQuota`` (the family's) or
                ``InsufficientRegionalVCPUQuota`` (the region's).
        """
        operation = f"checking before creating {self.what}"
        if self.unchecked:
            return
        if self.not_offered:
            raise PreflightError(
                operation, "SizeNotOffered", f"{self.vm_size} is not offered to this subscription in {self.region} "
                f"({self.not_offered})", f"Pick a size the region offers (labkit.catalog lists them), e.g. "
                f"{catalog.DEFAULT_VM_SIZE}; `az vm list-skus --location {self.region} --size Standard_N --output table` "
                "shows them.")
        for room in self.rooms:
            if not room.enough:
                raise _quota_error(operation, self.what, room)


def _quota_error(operation: str, what: str, room: Room) -> PreflightError:
    regional = room.name == catalog.REGIONAL_QUOTA[1]
    code = "InsufficientRegionalVCPUQuota" if regional else "InsufficientVCPUQuota"
    message = (f"{room.needed} vCPUs of {room.name} in {room.region} are needed for {what}, and {room.free} of its "
               f"{room.limit} are free ({room.used} in use)")
    hint = (f"Ask for a limit of at least {room.used + room.needed}: Azure portal > Quotas > Compute, {room.name} in "
            f"{room.region} > New quota request ({REGIONAL_QUOTA_HELP if regional else FAMILY_QUOTA_HELP}); "
            "or lower node_count" + ("." if regional else ", or pick a size of another family."))
    return PreflightError(operation, code, message, hint, room=room)


def preflight(lab: Any, *, region: str, vm_size: str, nodes: int, what: str) -> Preflight:
    """Whether ``region`` offers ``vm_size`` and its quotas have room for ``nodes`` more VMs of it (``what``, e.g.
    ``"pool gpunp"``, names what they are for in messages). A size labkit does not know is left to the service.

    Raises:
        OperationError: the SKUs or the quota could not be read (e.g. no rights at subscription scope).
    """
    size = catalog.vm_size(vm_size)
    if size is None:
        return Preflight(what, vm_size, region, None, ())
    needed = size.vcpus * nodes
    with reported(f"listing the VM sizes of {region}"):
        skus = [s for s in lab.compute.resource_skus.list(filter=f"location eq '{region}'")
                if s.resource_type == "virtualMachines" and s.name.lower() == size.name.lower()]
    usages = vcpu_usages(lab, region)
    family, regional = catalog.quota_family(size), catalog.REGIONAL_QUOTA
    rooms = tuple(_room(usages.get(name), label, region, needed) for name, label in ((family, family), regional))
    return Preflight(what, size.name, region, _not_offered(skus, region), rooms)


def checked_preflight(lab: Any, *, region: str, vm_size: str, nodes: int, what: str) -> Preflight:
    """:func:`preflight`, or, when the SKUs or the quota cannot be read (e.g. rights on the resource group only), a
    Preflight that says why nothing was checked: AKS then judges the request."""
    try:
        return preflight(lab, region=region, vm_size=vm_size, nodes=nodes, what=what)
    except OperationError as error:
        return Preflight(what, vm_size, region, None, (), unchecked=f"{error.code}: {error.message}")


def vcpu_usages(lab: Any, region: str) -> dict[str, Any]:
    """The region's vCPU quotas (Compute usages) by name, as ``az vm list-usage`` lists them."""
    with reported(f"reading the vCPU quota of {region}"):
        return {u.name.value: u for u in lab.compute.usage.list(region)}


def limit_and_used(usage: Any) -> tuple[int, int]:
    """A quota's limit and what is in use of it; a quota the region does not list has none."""
    return (int(usage.limit), int(usage.current_value)) if usage is not None else (0, 0)


def _room(usage: Any, name: str, region: str, needed: int) -> Room:
    limit, used = limit_and_used(usage)
    return Room(name, region, limit, used, needed)


def _not_offered(skus: list[Any], region: str) -> Optional[str]:
    """Why the region does not offer the size to the subscription (a restriction's reason), or None when it does."""
    if not skus:
        return "not listed in the region"
    for restriction in skus[0].restrictions or []:
        info = restriction.restriction_info
        places = [*(restriction.values_property or []), *((info.locations if info else None) or [])]
        if restriction.type == "Location" and region.lower() in (place.lower() for place in places):
            reason = restriction.reason_code or "restricted"
            return str(getattr(reason, "value", reason))  # the SDK's enums print as their class otherwise
    return None
