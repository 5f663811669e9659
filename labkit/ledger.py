"""What a lab created, read from Azure and the cluster: the ledger lives in the tags and labels.

A lab marks everything it creates with its id (:mod:`labkit.identity`), so what a lab left can be found from
any machine, whatever the parameters say now, and nothing of another lab is ever in it.

Example:
    >>> items = find(lab)                                   # doctest: +SKIP
    >>> [str(item) for item in items]                       # doctest: +SKIP
    ['pool gpunp in myResourceGroup/myAKSCluster (Succeeded)', 'Namespace gpu-resources (Active)']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from labkit.failures import reported
from labkit.identity import LAB_LABEL, lab_selector, pool_lab
from labkit.lab import Lab

#: The Kubernetes kinds a lab creates, in the order they are removed; Pods come from its DaemonSet and Job.
KUBERNETES_KINDS = ("Job", "DaemonSet", "Pod", "Namespace")

_RESOURCE_GROUP_IN_ID = re.compile(r"/resourcegroups/(?P<rg>[^/]+)/", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    """One thing a lab created: a pool (``place`` is its cluster) or a Kubernetes object (``place`` its namespace)."""

    kind: str
    name: str
    lab: str
    place: str = ""
    state: str = ""

    @property
    def is_pool(self) -> bool:
        return self.kind == "pool"

    @property
    def cluster(self) -> tuple[str, str]:
        """A pool's resource group and cluster name."""
        group, _, cluster = self.place.partition("/")
        return group, cluster

    @property
    def label(self) -> str:
        """What and where, e.g. ``pool gpunp in myResourceGroup/myAKSCluster``."""
        where = f" in {self.place}" if self.is_pool else (f" in namespace {self.place}" if self.place else "")
        return f"{self.kind} {self.name}{where}"

    def __str__(self) -> str:
        return self.label + (f" ({self.state})" if self.state else "")


def find(lab: Lab, *, lab_id: Optional[str] = None, all_labs: bool = False) -> list[Item]:
    """Everything a lab created that still exists: its pools in every cluster of the subscription, and its
    Kubernetes objects in the lab's cluster.

    Args:
        lab_id: the lab to look for (default: ``lab``'s own).
        all_labs: every lab's resources instead (for instructors).
    """
    wanted = None if all_labs else (lab_id or lab.params.lab_id)
    return _pools(lab, wanted) + _kubernetes_objects(lab, wanted)


def find_pools(lab: Lab, *, all_labs: bool = False) -> list[Item]:
    """The lab's pools (or every lab's) in every cluster of the subscription."""
    return _pools(lab, None if all_labs else lab.params.lab_id)


def _pools(lab: Lab, lab_id: Optional[str]) -> list[Item]:
    with reported("listing the subscription's clusters"):
        clusters = list(lab.aks.managed_clusters.list())
    items = []
    for cluster in clusters:
        group = _RESOURCE_GROUP_IN_ID.search(cluster.id).group("rg")
        with reported(f"listing pools of cluster {cluster.name}"):
            pools = list(lab.aks.agent_pools.list(group, cluster.name))
        for pool in pools:
            owner = pool_lab(pool.properties.tags)
            if owner and (lab_id is None or owner == lab_id):
                state = pool.properties.provisioning_state
                items.append(Item("pool", pool.name, owner, f"{group}/{cluster.name}", getattr(state, "value", state) or ""))
    return items


def _kubernetes_objects(lab: Lab, lab_id: Optional[str]) -> list[Item]:
    items = []
    with reported("listing the lab's Kubernetes objects"):
        for kind in KUBERNETES_KINDS:
            for obj in lab.k8s.list(kind, label_selector=lab_selector(lab_id)):
                meta = obj["metadata"]
                items.append(Item(kind, meta["name"], meta["labels"][LAB_LABEL], meta.get("namespace", ""), _phase(obj)))
    return items


def _phase(obj: dict[str, Any]) -> str:
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    return obj.get("status", {}).get("phase", "")
