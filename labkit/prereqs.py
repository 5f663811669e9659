"""Lesson 00: tools and versions, the cluster, the chosen size, and the plan of what the lab creates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from typing import Optional

from packaging.version import InvalidVersion, Version

from labkit import catalog, quota
from labkit.identity import LAB_LABEL, LAB_TAG
from labkit.kube_objects import lab_namespace
from labkit.lab import Lab, kubernetes_version
from labkit.pools import lab_pools

#: Minimum versions: the SDKs this kit is written against, and the doc's CLI minimums.
SDK_MINIMUMS = {
    "azure-mgmt-containerservice": "41.0.0",
    "azure-mgmt-resource": "26.0.0",
    "azure-mgmt-resource-features": "1.0.0",
    "azure-identity": "1.19.0",
    "kubernetes": "37.0.0",
}
AZ_CLI_MINIMUM = "2.72.2"
AKS_PREVIEW_MINIMUM = "18.0.0b2"


@dataclass(frozen=True)
class Check:
    """One prerequisite: what, what was found, and whether it is fine (None: optional, informational)."""

    name: str
    found: str
    ok: Optional[bool]
    note: str = ""

    def __str__(self) -> str:
        mark = {True: "ok  ", False: "FAIL", None: "info"}[self.ok]
        return f"[{mark}] {self.name}: {self.found}" + (f" ({self.note})" if self.note else "")


def tool_checks() -> list[Check]:
    """Python, the SDK packages, and (when installed) the az CLI with aks-preview and kubectl."""
    checks = [Check("python", sys.version.split()[0], sys.version_info >= (3, 10), "3.10 to 3.13")]
    for package, minimum in SDK_MINIMUMS.items():
        try:
            found = metadata.version(package)
        except metadata.PackageNotFoundError:
            checks.append(Check(package, "not installed", False, f"pip install '{package}>={minimum}'"))
            continue
        checks.append(Check(package, found, _at_least(found, minimum), f"needs {minimum} or later"))
    checks += _az_checks()
    kubectl = shutil.which("kubectl")
    checks.append(Check("kubectl", kubectl or "not installed", None, "optional: to follow along by hand"))
    return checks


def _az_checks() -> list[Check]:
    if shutil.which("az") is None:
        return [Check("az CLI", "not installed", None, "optional: labkit uses the SDKs; the doc's commands need it")]
    try:
        versions = json.loads(subprocess.run(["az", "version", "-o", "json"], capture_output=True, text=True, timeout=60).stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return [Check("az CLI", "installed, but `az version` did not answer", False)]
    cli = versions.get("azure-cli", "0")
    checks = [Check("az CLI", cli, _at_least(cli, AZ_CLI_MINIMUM), f"--gpu-driver needs {AZ_CLI_MINIMUM} or later")]
    preview = versions.get("extensions", {}).get("aks-preview")
    if preview:
        checks.append(Check("aks-preview", preview, _at_least(preview, AKS_PREVIEW_MINIMUM), f"needs {AKS_PREVIEW_MINIMUM} or later"))
    return checks


def _at_least(found: str, minimum: str) -> bool:
    try:
        return Version(found) >= Version(minimum)
    except InvalidVersion:
        return False


def cluster_checks(lab: Lab) -> list[Check]:
    """The cluster exists and runs a Kubernetes version that takes Windows GPU pools; the size is current."""
    cluster = lab.cluster()
    version_text = kubernetes_version(cluster)
    version = catalog.parse_version(version_text) or (0, 0)
    low = catalog.MIN_WINDOWS_GPU_VERSION
    size = catalog.gpu_size(lab.params.vm_size)
    return [
        Check("cluster", f"{lab.params.resource_group}/{lab.params.cluster_name}", cluster.properties.provisioning_state == "Succeeded",
              f"provisioning state {cluster.properties.provisioning_state}"),
        Check("Kubernetes version", version_text, version >= low, f"Windows GPU pools need {low[0]}.{low[1]} or later"),
        _size_check(lab.params.vm_size, size, judged=lab.params.local_checks),
        Check("os-sku", lab.params.os_sku or f"{catalog.default_os_sku(version)} (AKS default)", True),
    ]


def _size_check(name: str, size: Optional[catalog.GpuSize], *, judged: bool) -> Check:
    if not judged:
        return Check("VM size", name, None, "local_checks is off: the service will judge it")
    return Check("VM size", name, size is not None and not size.retired(date.today()), _size_note(size))


def _size_note(size: Optional[catalog.GpuSize]) -> str:
    if size is None:
        return "not in labkit's catalog"
    gpus = f"{size.gpus} x {size.family.vendor} {size.family.gpu_model}"
    note = f"{gpus}, {size.vcpus} vCPUs, {size.memory_gib} GiB; default driver {size.default_driver_type}"
    return note if size.family.confirmed else f"{note}; figures unconfirmed ({size.family.source})"


def room_for_the_lab(lab: Lab) -> quota.Preflight:
    """Whether the cluster's region offers the lab's size and its quotas have room for the lab's pools; a pool of
    this lab that exists already uses no new quota. Not checked (and said why) when ``local_checks`` is off or the
    quota cannot be read."""
    p = lab.params
    existing = {pool.name for pool in lab_pools(lab)}
    new = [name for name in (p.pool_name, p.manual_pool_name) if name not in existing]
    what = f"the lab's new pool{'s' * (len(new) != 1)} {', '.join(new)}" if new else "the lab (its pools exist)"
    if not p.local_checks:
        return quota.Preflight(what, p.vm_size, lab.region, None, (), unchecked="local_checks is off: AKS judges it")
    return quota.checked_preflight(lab, region=lab.region, vm_size=p.vm_size, nodes=p.node_count * len(new), what=what)


def room_checks(room: quota.Preflight) -> list[Check]:
    """The size's availability and each quota's room, as lesson 00 shows them."""
    if room.unchecked:
        return [Check("VM size and vCPU quota", "not checked", None, room.unchecked)]
    offered = Check(f"VM size in {room.region}", room.vm_size, room.not_offered is None,
                    room.not_offered or "offered to this subscription")
    quotas = [Check(f"vCPU quota {r.name}", f"{r.free} of {r.limit} free", r.enough, f"{r.needed} needed for {room.what}")
              for r in room.rooms]
    return [offered, *quotas]


def plan(lab: Lab) -> list[str]:
    """What the lab will create, in order, so nothing comes as a surprise on the bill (the lesson's Costs section
    prices it)."""
    p = lab.params
    size = catalog.gpu_size(p.vm_size)
    vm = f"{p.node_count} x {p.vm_size}" + (f" ({size.gpus} {size.family.gpu_model} GPU each)" if size else "")
    namespace = lab_namespace(lab)
    return [
        f"lab {p.lab_id}: every pool it creates is tagged {LAB_TAG}={p.lab_id}, every Kubernetes object labelled {LAB_LABEL}={p.lab_id}",
        f"01: feature Microsoft.ContainerService/WindowsGPUPreview registered in subscription {lab.backend.subscription_id}",
        f"02: Windows pool {p.pool_name}: {vm}, driver installed ({p.driver_type_for_pool()})",
        f"03: Windows pool {p.manual_pool_name}: {vm}, driver skipped",
        f"03: namespace {namespace}, and in it DaemonSet nvidia-device-plugin-daemonset (DirectX device plugin) on pool {p.manual_pool_name}",
        f"04: Job windows-gpu-workload in {namespace} asking for 1 {p.gpu_resource_name} on pool {p.manual_pool_name}",
        f"05: everything above removed, found by the lab id (`labkit cleanup --lab-id {p.lab_id}` does the same); "
        "the preview feature stays registered",
    ]
