"""What the lab's GPU pools cost while they exist: the estimate each lesson's *Costs* section shows before anything is
created, from the size's hourly pay-as-you-go price in the cluster's region (:mod:`labkit.prices`).

Azure bills a VM by the second while it exists; a lab's pools are Windows VMs (the price includes the licence). The
estimate counts the pools' VMs only: the cluster's own nodes, disks and network are billed whether the lab runs or not.

Example:
    >>> print(estimate(lab, pools=2))                                             # doctest: +SKIP
    2 pools x 1 node x Standard_NC4as_T4_v3 at $0.710 an hour: $1.42 an hour while they exist, about $1.42 ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from labkit.prices import Price, hourly_price

#: How long a lab's pools live when the lessons are walked by hand: about 10 minutes to create, the lessons that use
#: them, about 5 minutes to delete (``labkit run`` keeps them for less; its report says how long).
EXPECTED_POOL_HOURS = 1.0


@dataclass(frozen=True)
class Estimate:
    """``pools`` pools of ``nodes`` VMs each, priced by ``price``, living ``hours``."""

    pools: int
    nodes: int
    price: Price
    hours: float

    @property
    def usd_per_hour(self) -> Optional[float]:
        """What the pools cost an hour together; None when the price is unknown."""
        return None if self.price.usd_per_hour is None else self.pools * self.nodes * self.price.usd_per_hour

    def __str__(self) -> str:
        what = (f"{self.pools} pool{'s' * (self.pools != 1)} x {self.nodes} node{'s' * (self.nodes != 1)} x "
                f"{self.price.vm_size}")
        if self.usd_per_hour is None:
            return f"{what}: {self.price}"
        they = "they exist" if self.pools > 1 else "it exists"
        return (f"{what} at ${self.price.usd_per_hour:.3f} an hour: ${self.usd_per_hour:.2f} an hour while {they}, "
                f"about ${self.usd_per_hour * self.hours:.2f} for {self.hours:g} hour{'s' * (self.hours != 1)} "
                f"({self.price.os_type}, {self.price.region}, pay-as-you-go; {self.price.source})")


def estimate(lab: Any, *, pools: int, hours: float = EXPECTED_POOL_HOURS) -> Estimate:
    """What ``pools`` of the lab's GPU pools (``node_count`` VMs of ``vm_size`` each) cost in the cluster's region."""
    p = lab.params
    return Estimate(pools, p.node_count, hourly_price(lab.backend, p.vm_size, lab.region), hours)
