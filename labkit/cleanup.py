"""Lesson 05 and ``labkit cleanup``: remove everything a lab created, found by its lab id, and only that.

What to remove comes from the ledger in Azure and the cluster (:mod:`labkit.ledger`), never from the
parameters, so a pool created under another name is found too and another lab's never is.

Example:
    >>> removed = cleanup(lab)            # doctest: +SKIP
    >>> leftovers(lab)                    # doctest: +SKIP
    []
"""

from __future__ import annotations

import time
from typing import Any, Optional

from labkit import ledger, usage
from labkit.failures import reported
from labkit.lab import Lab
from labkit.ledger import Item
from labkit.waiting import wait_for, wait_for_operation

_TERMINATING = ("Deleting", "Terminating")


def cleanup(lab: Lab, *, lab_id: Optional[str] = None, all_labs: bool = False) -> list[Item]:
    """Delete everything the lab (or ``lab_id``, or with ``all_labs`` every lab) created, all at once, and
    wait until a fresh listing finds none of it; returns what there was.

    Safe at any point, also after a failed or interrupted run, and twice.
    """
    found = ledger.find(lab, lab_id=lab_id, all_labs=all_labs)
    if not found:
        return found
    with usage.step(lab, "deletion", "the lab's resources"):
        for item, poller in remove(lab, found).items():
            with reported(f"deleting pool {item.name}"):
                wait_for_operation(poller, what=f"deleting pool {item.name}", timeout_minutes=lab.params.timeout_minutes)
            usage.pool_deleted(item.name, at=time.time())
        wait_until_gone(lab, lab_id=lab_id, all_labs=all_labs)
    return found


def remove(lab: Lab, items: list[Item]) -> dict[Item, Any]:
    """Send every delete at once: pools (their deletion goes on in Azure) and Kubernetes objects; returns the
    pools' deletion pollers, to wait on."""
    pollers = {}
    for item in items:
        if item.state in _TERMINATING:
            continue
        if item.is_pool:
            group, cluster = item.cluster
            with reported(f"deleting pool {item.name}"):
                pollers[item] = lab.aks.agent_pools.begin_delete(group, cluster, item.name)
        else:
            with reported(f"deleting {item.kind} {item.name}"):
                lab.k8s.delete(item.kind, item.name, item.place or None)
    return pollers


def wait_until_gone(lab: Lab, *, lab_id: Optional[str] = None, all_labs: bool = False) -> None:
    """Wait until listing the ledger afresh finds nothing."""

    def gone() -> tuple[bool, str]:
        left = ledger.find(lab, lab_id=lab_id, all_labs=all_labs)
        return not left, f"{len(left)} left" if left else "nothing left"

    wait_for(gone, what="removing the lab's resources", **lab.wait_options())


def leftovers(lab: Lab, *, lab_id: Optional[str] = None) -> list[str]:
    """What the lab created that still exists: empty after a successful cleanup."""
    return [str(item) for item in ledger.find(lab, lab_id=lab_id)]


def other_labs_pools(lab: Lab) -> list[Item]:
    """Pools other labs created in the subscription: listed for information, never touched."""
    return [item for item in ledger.find_pools(lab, all_labs=True) if item.lab != lab.params.lab_id]
