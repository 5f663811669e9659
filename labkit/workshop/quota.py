"""The vCPU quota a class needs, against what its subscription has free in the cluster's region.

A lab's two pools (lessons 02 and 03) take ``2 x node_count x`` the size's vCPUs, counted against the size's
quota family and the region's total vCPUs, as AKS counts them (:mod:`labkit.sim.arm.compute` answers alike).
What is free comes from Compute's usages of the region, read through azure-mgmt-compute on either backend.

Example:
    >>> print(QuotaCheck("standardNCASv3_T4Family", "eastus", limit=48, used=0, needed=96,
    ...                  subscription_id="00000000-0000-0000-0000-000000000000", labs=12))   # doctest: +ELLIPSIS
    standardNCASv3_T4Family in eastus: 12 labs need 96 vCPUs, 48 free (limit 48, 0 in use): 48 short. Ask for a limit of at least 96: ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from labkit import catalog
from labkit.errors import LabError, first_line
from labkit.lab import Lab
from labkit.params import LabParams
from labkit.quota import Room, limit_and_used, vcpu_usages

#: The pools a lab creates: lesson 02's and lesson 03's.
POOLS_PER_LAB = 2


@dataclass(frozen=True)
class QuotaCheck(Room):
    """One quota (a VM family's, or the region's ``cores``) against what ``labs`` labs at once need of it."""

    subscription_id: str
    labs: int

    @property
    def short(self) -> bool:
        return not self.enough

    def __str__(self) -> str:
        head = (f"{self.name} in {self.region}: {self.labs} labs need {self.needed} vCPUs, "
                f"{self.free} free (limit {self.limit}, {self.used} in use)")
        if not self.short:
            return f"{head}: enough"
        wanted = self.used + self.needed
        scope = f"/subscriptions/{self.subscription_id}/providers/Microsoft.Compute/locations/{self.region}"
        return (f"{head}: {self.needed - self.free} short. Ask for a limit of at least {wanted}: Azure portal > Quotas > "
                f"Compute, or `az quota update --resource-name {self.name} --scope {scope} --limit-object value={wanted}`"
                f" (az extension add --name quota); for a rehearsal on the simulator, "
                f"`labkit sim fault add quota --family {self.name} --limit {wanted}`")


def class_checks(labs: Sequence[LabParams], *, at_once: Optional[int] = None) -> tuple[list[QuotaCheck], list[str]]:
    """The quota checks of a class, per subscription and region, and a note for each cluster it could not read.

    Args:
        labs: every attendee's parameters.
        at_once: how many labs run at the same time (``labkit workshop run --parallel``); default all of them.
    """
    clusters: dict[tuple[str, Optional[str], str, str], list[LabParams]] = {}
    for params in labs:
        clusters.setdefault((params.backend, params.subscription_id, params.resource_group, params.cluster_name), []).append(params)
    regions: dict[tuple[str, str, str], tuple[Lab, str, list[LabParams]]] = {}
    notes = []
    for members in clusters.values():
        try:
            lab = Lab(members[0])
            location = lab.cluster().location
        except LabError as error:
            notes.append(f"cluster {members[0].resource_group}/{members[0].cluster_name}: quota not checked ({first_line(str(error))})")
            continue
        regions.setdefault((lab.backend.name, lab.backend.subscription_id, location), (lab, location, []))[2].extend(members)
    checks = []
    for lab, location, members in regions.values():
        try:
            checks += quota_checks(lab, location, members[:at_once])
        except LabError as error:
            notes.append(f"quota of {location}: not checked ({first_line(str(error))})")
    return checks, notes


def quota_checks(lab: Lab, location: str, labs: Iterable[LabParams]) -> list[QuotaCheck]:
    """The quotas that ``labs``, all running at once in ``lab``'s subscription and ``location``, draw on.

    Sizes labkit does not know are left out (the service judges them).
    """
    needed: dict[str, list[int]] = {}
    for params in labs:
        size = catalog.vm_size(params.vm_size)
        if size is not None:
            vcpus = POOLS_PER_LAB * params.node_count * size.vcpus
            for quota in (catalog.quota_family(size), catalog.REGIONAL_QUOTA[0]):
                needed.setdefault(quota, []).append(vcpus)
    usages = vcpu_usages(lab, location)
    checks = []
    for quota, per_lab in needed.items():
        limit, used = limit_and_used(usages.get(quota))
        checks.append(QuotaCheck(quota, location, limit=limit, used=used, needed=sum(per_lab),
                                 subscription_id=lab.backend.subscription_id, labs=len(per_lab)))
    return checks
