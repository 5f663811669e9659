"""``labkit workshop plan``: a lab for every attendee, fitted to the class's clusters, written as a workshop folder.

Every attendee gets a lab id made from their name, a pair of Windows pool names free in their cluster and a
namespace of their own (``gpu-resources-<lab id>``). Where the plan can reach a cluster it also avoids lab ids
and pool names already in use there, keeps the cluster within AKS's limit of node pools, and checks the vCPU
quota of the class (everyone's labs at once) against what is free in the cluster's region. Where it cannot (no
credentials yet, say), it says so and plans anyway.

Bad input stops before anything is written, in one line: the attendee list (:mod:`.attendees`), or a class or
attendee parameter (the same rules as every lesson's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from labkit import catalog, ledger
from labkit.errors import LabConfigError, LabError, Problem, first_line
from labkit.failures import reported
from labkit.kube_objects import own_namespace
from labkit.lab import Lab
from labkit.params import LabParams, load_params
from labkit.workshop import roster
from labkit.workshop.attendees import Attendee
from labkit.workshop.naming import lab_id_for, pool_pairs
from labkit.workshop.quota import POOLS_PER_LAB, QuotaCheck, class_checks

#: What the plan chooses for each attendee, so the class's parameters cannot set it.
PLANNED = ("lab_id", "pool_name", "manual_pool_name", "plugin_namespace")

#: A lab id that passes the rules while the real ones are not chosen yet.
_CHECKING = "planning"

ClusterKey = tuple[str, Optional[str], str, str]


@dataclass
class _Cluster:
    """One cluster of the class: who works on it, and what the plan found there."""

    params: LabParams
    members: list[int] = field(default_factory=list)
    pools: set[str] = field(default_factory=set)
    lab_ids: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return f"{self.params.resource_group}/{self.params.cluster_name}"


def plan_workshop(attendees: list[Attendee], class_values: dict[str, Any], folder: Path, *,
                  source: Path, say: Callable[[str], None] = print) -> roster.Workshop:
    """Plan a lab for every attendee and write the workshop folder; returns the workshop.

    Args:
        class_values: the class's lesson parameters (``-p``, ``--params-file``), for every attendee's lab.
        source: the attendee list, named in the workshop file.

    Raises:
        LabConfigError: a parameter breaks a rule, the class overfills a cluster, or ``folder`` is not new or empty.
    """
    _refuse_planned(class_values)
    roster.refuse_used(folder)
    values = [{**class_values, **attendee.cluster} for attendee in attendees]
    clusters: dict[ClusterKey, _Cluster] = {}
    for index, (attendee, given) in enumerate(zip(attendees, values)):
        params = _checked(attendee, {**given, "lab_id": _CHECKING})
        key = (params.backend, params.subscription_id, params.resource_group, params.cluster_name)
        clusters.setdefault(key, _Cluster(params)).members.append(index)
    for cluster in clusters.values():
        _look(cluster, say)
        _refuse_overfull(cluster)
    labs = _assign(attendees, values, clusters, say)
    checks, notes = class_checks(labs)
    for note in notes:
        say(note)
    workshop = roster.write(folder, [(attendee.name, vars(params)) for attendee, params in zip(attendees, labs)],
                            source=source, quota=[str(check) for check in checks])
    _tell(workshop, labs, checks, say)
    return workshop


def _assign(attendees: list[Attendee], values: list[dict[str, Any]], clusters: dict[ClusterKey, _Cluster],
            say: Callable[[str], None]) -> list[LabParams]:
    """Every attendee's validated parameters, with the lab id, pools and namespace the plan gives them."""
    taken = set().union(*(cluster.lab_ids for cluster in clusters.values()))
    planned: dict[int, LabParams] = {}
    for cluster in clusters.values():
        pairs = pool_pairs(len(cluster.members), taken_names=cluster.pools)
        for index, (auto, manual) in zip(cluster.members, pairs):
            lab_id = _lab_id(attendees[index].name, taken, cluster, say)
            chosen = {"lab_id": lab_id, "pool_name": auto, "manual_pool_name": manual, "plugin_namespace": own_namespace(lab_id)}
            planned[index] = _checked(attendees[index], {**values[index], **chosen})
    return [planned[index] for index in range(len(attendees))]


def _refuse_planned(class_values: dict[str, Any]) -> None:
    for name in PLANNED:
        if name in class_values:
            raise LabConfigError([Problem(name, class_values[name], "is chosen by the plan, for each attendee",
                                          "attendees never share a lab id, pool or namespace",
                                          f"Leave {name} out; the plan writes each attendee's in their settings file.")])


def _checked(attendee: Attendee, values: dict[str, Any]) -> LabParams:
    """Validated parameters of one attendee's lab; a broken one names the attendee."""
    try:
        return load_params(**values)
    except LabConfigError as error:
        raise LabConfigError([Problem(f"{p.param} (attendee {attendee.name!r})", p.value, p.why, p.rule, p.fix)
                              for p in error.problems]) from None


def _look(cluster: _Cluster, say: Callable[[str], None]) -> None:
    """What the cluster already holds: its pools' names and the lab ids in use in it and its subscription."""
    try:
        lab = Lab(cluster.params)
        p = cluster.params
        with reported(f"listing the pools of cluster {cluster.name}"):
            cluster.pools = {pool.name for pool in lab.aks.agent_pools.list(p.resource_group, p.cluster_name)}
        cluster.lab_ids = {item.lab for item in ledger.find(lab, all_labs=True)}
    except LabError as error:
        say(f"cluster {cluster.name}: not checked ({first_line(str(error))}); lab ids and pool names are planned without knowing what it holds")


def _refuse_overfull(cluster: _Cluster) -> None:
    pools = len(cluster.pools) + POOLS_PER_LAB * len(cluster.members)
    if pools > catalog.MAX_POOLS_PER_CLUSTER:
        raise LabConfigError([Problem(
            "attendees", len(cluster.members),
            f"would put {pools} node pools on cluster {cluster.name} ({len(cluster.pools)} there now, "
            f"{POOLS_PER_LAB} per attendee)", f"AKS allows {catalog.MAX_POOLS_PER_CLUSTER} node pools per cluster",
            "Give some attendees another cluster (resource_group and cluster_name columns in the attendee list).")])


def _lab_id(name: str, taken: set[str], cluster: _Cluster, say: Callable[[str], None]) -> str:
    wanted = lab_id_for(name, set())
    lab_id = lab_id_for(name, taken)
    if lab_id != wanted and wanted in cluster.lab_ids:
        say(f"lab id {wanted} is in use in the subscription of {cluster.name}: {name} gets {lab_id}")
    return lab_id


def _tell(workshop: roster.Workshop, labs: list[LabParams], checks: list[QuotaCheck], say: Callable[[str], None]) -> None:
    say(f"planned {len(workshop.seats)} attendees in {workshop.folder}: {roster.WORKSHOP_FILE}, and each one's "
        f"settings in {roster.SETTINGS_DIR}/<lab id>.yaml")
    width = max(len(seat.name) for seat in workshop.seats)
    for seat, p in zip(workshop.seats, labs):
        say(f"  {seat.name:{width}}  {seat.lab_id:16}  {p.resource_group}/{p.cluster_name}  "
            f"pools {p.pool_name} {p.manual_pool_name}  namespace {p.plugin_namespace}")
    for check in checks:
        say(f"quota: {check}")
    if any(check.short for check in checks):
        say("The class does not fit its quota: ask for more before the day, as said above.")
    say(f"Next: rehearse with `labkit workshop run --workshop {workshop.folder}`. Each attendee loads their lab with "
        "`labkit settings load <their settings file>`.")

