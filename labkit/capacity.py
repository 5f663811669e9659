"""Lesson 04: the GPU capacity and allocatable of every Windows node.

The AKS doc names the resource ``microsoft.com/directx`` in its text and ``microsoft.com.directx/gpu``
in its sample output, so besides ``gpu_resource_name`` every ``*directx*`` resource found is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from labkit.errors import LabConfigError, Problem
from labkit.failures import reported
from labkit.lab import Lab
from labkit.pools import lab_pools
from labkit.text_table import fixed_width
from labkit.waiting import wait_for


@dataclass(frozen=True)
class NodeGpu:
    """One Windows node's GPU as Kubernetes sees it."""

    node: str
    pool: str
    vm_size: str
    ready: bool
    capacity: int
    allocatable: int
    directx: dict[str, str] = field(default_factory=dict)


def gpu_nodes(lab: Lab, pools: Optional[list[str]] = None) -> list[NodeGpu]:
    """Windows nodes (of ``pools`` only, when given) with their GPU capacity and allocatable for ``gpu_resource_name``."""
    with reported("listing Windows nodes"):
        nodes = lab.k8s.list("Node", label_selector="kubernetes.io/os=windows")
    rows = [_node_gpu(node, lab.params.gpu_resource_name) for node in nodes]
    return [row for row in rows if pools is None or row.pool in pools]


def lab_gpu_nodes(lab: Lab) -> list[NodeGpu]:
    """The nodes of the lab's own pools (found by their lab tag): other labs' nodes are not this lab's to verify."""
    return gpu_nodes(lab, [pool.name for pool in lab_pools(lab)])


def _node_gpu(node: dict[str, Any], resource: str) -> NodeGpu:
    labels = node["metadata"].get("labels", {})
    status = node.get("status", {})
    capacity, allocatable = status.get("capacity", {}), status.get("allocatable", {})
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", []))
    return NodeGpu(
        node=node["metadata"]["name"],
        pool=labels.get("agentpool", ""),
        vm_size=labels.get("node.kubernetes.io/instance-type", ""),
        ready=ready,
        capacity=int(capacity.get(resource, 0)),
        allocatable=int(allocatable.get(resource, 0)),
        directx={k: v for k, v in capacity.items() if "directx" in k},
    )


def wait_for_gpus(lab: Lab, pool: str) -> list[NodeGpu]:
    """Wait until every node of ``pool`` is Ready and advertises at least one allocatable GPU.

    Raises:
        LabConfigError: at once, when the nodes advertise a DirectX resource under another name than
            ``gpu_resource_name`` (waiting for it could never succeed).
    """
    resource = lab.params.gpu_resource_name

    def schedulable() -> tuple[bool, str]:
        rows = gpu_nodes(lab, [pool])
        others = sorted({name for row in rows for name, count in row.directx.items() if name != resource and count != "0"})
        if others and not any(row.capacity for row in rows):
            raise LabConfigError([Problem(
                "gpu_resource_name", resource, f"is not what pool {pool}'s nodes advertise ({', '.join(others)})",
                "the GPU resource is named by the driver install or the device plugin", f"Set gpu_resource_name={others[0]!r}.",
            )])
        with_gpu = sum(1 for row in rows if row.ready and row.allocatable > 0)
        return bool(rows) and with_gpu == len(rows), f"{with_gpu}/{len(rows)} nodes with a GPU"

    wait_for(schedulable, what=f"GPUs on pool {pool}", **lab.wait_options())
    return gpu_nodes(lab, [pool])


def capacity_table(rows: list[NodeGpu], resource: str) -> str:
    """The rows as a fixed-width text table, one line per node, under a line naming the GPU resource."""
    header = ("NODE", "POOL", "VM SIZE", "READY", "GPU CAPACITY", "GPU ALLOCATABLE")
    lines = [header] + [(r.node, r.pool, r.vm_size, str(r.ready), str(r.capacity), str(r.allocatable)) for r in rows]
    return f"GPU resource: {resource}\n" + fixed_width(lines)
