"""``labkit workshop status`` and ``labkit workshop cleanup``: what each attendee's lab holds now, and sweeping it.

What a lab holds is read from the ledger (:mod:`labkit.ledger`): pools by their ``labkit-lab`` tag in every cluster
of the class's subscriptions, Kubernetes objects by their ``labkit.io/lab`` label in the class's clusters. Only the
class's lab ids are ever listed or removed; other labs sharing a cluster are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from labkit import cleanup, ledger
from labkit.errors import LabError, first_line
from labkit.identity import AUTO_DRIVER_LESSON, MANUAL_DRIVER_LESSON
from labkit.kube_objects import PLUGIN_DAEMONSET, WORKLOAD_JOB
from labkit.lab import Lab
from labkit.ledger import Item
from labkit.params import LabParams
from labkit.waiting import wait_for
from labkit.workshop.roster import Workshop

_VERIFY_LESSON = "04_verify_gpu_capacity"


@dataclass(frozen=True)
class Found:
    """Something an attendee's lab holds, and the :class:`Lab` (its subscription and cluster) that removes it."""

    lab: Lab
    item: Item


def class_items(workshop: Workshop) -> tuple[dict[str, list[Found]], list[str]]:
    """What each attendee's lab holds now, by lab id; and a note for each cluster that could not be read."""
    wanted = {seat.lab_id for seat in workshop.seats}
    clusters: dict[tuple, LabParams] = {}
    for seat in workshop.seats:
        params = workshop.params(seat, pool_rules=False)
        clusters.setdefault((params.backend, params.subscription_id, params.resource_group, params.cluster_name), params)
    found: dict[tuple, Found] = {}
    notes = []
    for key, params in clusters.items():
        try:
            lab = Lab(params)
            items = ledger.find(lab, all_labs=True)
        except LabError as error:
            notes.append(f"cluster {params.resource_group}/{params.cluster_name}: not read ({first_line(str(error))})")
            continue
        for item in items:
            if item.lab in wanted:  # a pool is listed once per subscription, an object once per cluster
                where = (lab.backend.arm_endpoint, lab.backend.subscription_id) if item.is_pool else key
                found.setdefault((where, item), Found(lab, item))
    by_lab: dict[str, list[Found]] = {lab_id: [] for lab_id in wanted}
    for entry in found.values():
        by_lab[entry.item.lab].append(entry)
    return by_lab, notes


def reached(found: list[Found], params: LabParams) -> str:
    """The furthest lesson what the lab holds shows the attendee got to: ``-`` when it holds nothing of one."""
    lessons = {AUTO_DRIVER_LESSON: any(f.item.is_pool and f.item.name == params.pool_name for f in found),
               MANUAL_DRIVER_LESSON: any(f.item.is_pool and f.item.name == params.manual_pool_name for f in found)
               or any(f.item.name == PLUGIN_DAEMONSET for f in found),
               _VERIFY_LESSON: any(f.item.kind == "Job" and f.item.name == WORKLOAD_JOB for f in found)}
    done = [lesson for lesson, shown in lessons.items() if shown]
    return done[-1] if done else "-"


def sweep(workshop: Workshop, found: dict[str, list[Found]], *, say: Callable[[str], None]) -> dict[str, list[str]]:
    """Delete everything in ``found`` at once, wait until a fresh listing finds none of it; returns what is left, by
    lab id (only the labs that hold something)."""
    entries = [entry for items in found.values() for entry in items]
    labs: dict[int, tuple[Lab, list[Item]]] = {}
    for entry in entries:
        labs.setdefault(id(entry.lab), (entry.lab, []))[1].append(entry.item)
    for lab, items in labs.values():
        cleanup.remove(lab, items)
    say(f"deleting {len(entries)} things of {sum(bool(items) for items in found.values())} labs ...")
    left: dict[str, list[str]] = {}

    def gone() -> tuple[bool, str]:
        nonlocal left
        now, _ = class_items(workshop)
        left = {lab_id: [str(entry.item) for entry in items] for lab_id, items in now.items() if items}
        count = sum(map(len, left.values()))
        return not left, f"{count} left" if left else "nothing left"

    if entries:
        try:
            wait_for(gone, what="removing the class's resources", **entries[0].lab.wait_options())
        except LabError as error:
            say(first_line(str(error)))
    return left
