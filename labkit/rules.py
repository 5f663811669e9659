"""The rules for a Windows GPU node pool, checked from :mod:`labkit.catalog`.

The checks run in two places: in the lessons, before anything is sent to Azure (the problems name
lesson parameters), and in the simulator's ARM plane, which answers them as AKS errors (the problems
name REST properties). :data:`RULES` says of each rule whether AKS itself enforces it, with the
source that shows it (a spec file, a doc, a captured error with its code); only those the simulator
enforces. The others are labkit's local advice: lessons check them unless ``local_checks=False``,
and their codes are labkit's own names. docs/aks-facts.md has the table with every source.

Example:
    >>> from datetime import date
    >>> spec = PoolSpec(name="gpupool1", vm_size="Standard_NC4as_T4_v3")
    >>> [p.code for p in pool_problems(spec, cluster_version=(1, 33), today=date(2026, 11, 26))]
    ['WindowsAgentPoolNameTooLong']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from labkit import catalog
from labkit.catalog import Version
from labkit.errors import Problem

POOL_NAME_RE = re.compile(r"^[a-z][a-z0-9]{0,11}$")
GPU_DRIVERS = ("Install", "None")
DRIVER_TYPES = ("CUDA", "GRID")


@dataclass(frozen=True)
class Rule:
    """A rule's error code, and where AKS is seen enforcing it (None: labkit's local advice only)."""

    code: str
    service_source: Optional[str] = None
    warning: bool = False  # advice that never stops a lesson

    @property
    def enforced_by_service(self) -> bool:
        return self.service_source is not None


_INVALID_PARAMETER = "AKS's code for a parameter it refuses (captured: github.com/Azure/ARO-HCP/pull/629)"

#: Every pool rule by the name the checks use. Service rules carry AKS's code and their source.
RULES: dict[str, Rule] = {
    "name": Rule("InvalidParameter", "spec managedClusters.json, agentPoolName pattern ^[a-z][a-z0-9]{0,11}$; "
                 + _INVALID_PARAMETER),
    "windows_name": Rule("WindowsAgentPoolNameTooLong", "captured AKS error, github.com/jenkins-infra/azure/pull/284; "
                         "learn.microsoft.com/azure/aks/use-system-pools#limitations"),
    "count": Rule("InvalidParameter", "spec: count 0-1000 for user pools; captured message, "
                  "github.com/kubernetes-sigs/cluster-api-provider-azure/issues/5947; " + _INVALID_PARAMETER),
    "windows_system_pool": Rule("InvalidParameter", "learn.microsoft.com/azure/aks/use-system-pools#limitations "
                                "(system pools must run Linux); " + _INVALID_PARAMETER),
    "gpu_size": Rule("VMSizeNotSupportedForWindowsAgentPool"),  # spec's AgentPoolsCreate_WindowsOSSKU.json: D4s_v3
    "amd_gpu": Rule("VMSizeNotSupported"),  # the Windows GPU doc says NVv4 is unsupported; AKS's refusal unseen
    "retired_size": Rule("VMSizeRetired"),  # AKS refuses a retired size as not offered: see the simulator's SKUs
    "version_format": Rule("InvalidOrchestratorVersion"),
    "windows_gpu_version": Rule("AgentPoolK8sVersionNotSupported"),  # doc limitation; below what AKS offers anyway
    # AKS enforces the skew too (learn.microsoft.com/azure/aks/supported-kubernetes-versions, captured in
    # rancher/rancher#33426); the simulator answers it with AKS's own text beside the offered versions
    # (sim/arm/pool_checks.py), so here it is the lessons' early check.
    "version_skew": Rule("NodePoolMcVersionIncompatible"),
    "os_sku_kind": Rule("InvalidOSSKU"),
    "os_sku_closed": Rule("OSSKUClosedToNewPools"),
    "os_sku_version": Rule(
        "AgentPoolK8sVersionNotSupported",
        "AKS release notes 2025-01-06 (github.com/Azure/AKS/pull/4751: 1.32 is Windows2019's last version) and "
        "the Windows os-sku docs; code as AKS refuses a Windows pool on an unsupported version "
        "(captured: github.com/Azure/azure-workload-identity/pull/586)",
    ),
    "os_sku_fips": Rule("OSSKURequiresFIPS", warning=True),  # no source; Learn's own Windows2025 example has no FIPS
    "gpu_driver": Rule("InvalidGPUDriver"),
    "driver_type": Rule("InvalidDriverType"),
    "driver_type_linux": Rule("DriverTypeNotSupportedOnLinux"),
    "driver_type_without_driver": Rule("DriverTypeWithoutDriver"),
    "mig_windows": Rule("MIGNotSupportedOnWindows"),
    "mig_size": Rule("MIGNotSupportedOnVMSize"),
}


@dataclass(frozen=True)
class PoolSpec:
    """What a new node pool asks for, independent of how it was spelled (parameters or REST body)."""

    name: str
    vm_size: str
    os_type: str = "Windows"
    os_sku: Optional[str] = None
    mode: str = "User"
    count: int = 1
    orchestrator_version: Optional[str] = None
    gpu_driver: Optional[str] = "Install"
    driver_type: Optional[str] = None
    enable_fips: bool = False
    gpu_instance_profile: Optional[str] = None

    @property
    def windows(self) -> bool:
        return self.os_type.lower() == "windows"


#: How the lessons name each PoolSpec field (the simulator passes REST property names instead).
LESSON_NAMES = {
    "name": "pool_name",
    "count": "node_count",
    "orchestrator_version": "kubernetes_version",
}


@dataclass
class _Checker:
    spec: PoolSpec
    names: dict[str, str]
    today: date
    problems: list[tuple[Rule, Problem]] = field(default_factory=list)

    def fail(self, fieldname: str, why: str, rule: str, fix: str, rule_name: str) -> None:
        value = getattr(self.spec, fieldname)
        known = RULES[rule_name]
        self.problems.append((known, Problem(self.names.get(fieldname, fieldname), value, why, rule, fix, known.code)))


def pool_problems(
    spec: PoolSpec,
    *,
    cluster_version: Optional[Version],
    today: date,
    names: Optional[dict[str, str]] = None,
    service_only: bool = False,
) -> list[Problem]:
    """Every rule the pool breaks (advice aside); empty when it passes.

    Args:
        spec: the pool asked for.
        cluster_version: the cluster's Kubernetes version; version rules are skipped when None
            and the spec names no version either.
        today: the date retirement rules are judged on.
        names: how to name each field in messages (defaults to the lesson parameter names).
        service_only: only the rules AKS itself enforces (what the simulator answers).
    """
    return [problem for rule, problem in _broken(spec, cluster_version, today, names)
            if not rule.warning and (rule.enforced_by_service or not service_only)]


def pool_advice(spec: PoolSpec, *, cluster_version: Optional[Version], today: date) -> list[Problem]:
    """labkit's advice for the pool: what is allowed but likely not what the learner wants."""
    return [problem for rule, problem in _broken(spec, cluster_version, today, None) if rule.warning]


def _broken(spec: PoolSpec, cluster_version: Optional[Version], today: date,
            names: Optional[dict[str, str]]) -> list[tuple[Rule, Problem]]:
    check = _Checker(spec, {**LESSON_NAMES, **(names or {})}, today)
    _check_name(check)
    _check_count(check)
    _check_mode(check)
    size = _check_size(check)
    version = _pool_version(check, cluster_version)
    _check_os_sku(check, version)
    _check_driver(check, size)
    return check.problems


def _check_name(check: _Checker) -> None:
    name = check.spec.name
    rule = "pool names are 1-12 lowercase letters and digits, starting with a letter"
    if not isinstance(name, str) or not POOL_NAME_RE.match(name):
        suggestion = re.sub(r"[^a-z0-9]", "", str(name).lower()).lstrip("0123456789")[:6] or "gpunp"
        check.fail("name", "is not a valid pool name", rule, f"Try {suggestion!r}.", "name")
    elif check.spec.windows and len(name) > catalog.WINDOWS_POOL_NAME_MAX:
        check.fail(
            "name", f"is {len(name)} characters",
            f"Windows pool names are at most {catalog.WINDOWS_POOL_NAME_MAX} "
            "(lowercase letters and digits, starting with a letter)",
            "Try a name of up to 6 characters, such as 'gpunp'.", "windows_name",
        )


def _check_count(check: _Checker) -> None:
    low, high = catalog.NODE_COUNT_RANGE
    count = check.spec.count
    if isinstance(count, bool) or not isinstance(count, int) or not low <= count <= high:
        check.fail(
            "count", "is out of range", f"a user pool has {low} to {high} nodes",
            "Use 1 for the lab (each node is a billed GPU VM).", "count",
        )


def _check_mode(check: _Checker) -> None:
    if check.spec.windows and str(check.spec.mode).lower() == "system":
        check.fail(
            "mode", "is not allowed for Windows", "Windows pools can only be user pools",
            "Use mode 'User'; the cluster's system pool stays Linux.", "windows_system_pool",
        )


def _check_size(check: _Checker) -> Optional[catalog.GpuSize]:
    size = catalog.gpu_size(check.spec.vm_size)
    if size is None:
        if check.spec.windows:
            check.fail(
                "vm_size", "is not a GPU size labkit knows",
                "a Windows GPU pool needs an NVIDIA NC, ND or NV size from labkit.catalog",
                f"Try {catalog.DEFAULT_VM_SIZE!r}, or turn local_checks off for a size newer than the catalog.",
                "gpu_size",
            )
        return None
    if size.family.vendor != "NVIDIA":
        check.fail(
            "vm_size", f"is an {size.family.name} size with an {size.family.vendor} GPU",
            "AKS GPU pools support NVIDIA sizes only (NVv4 is not supported)",
            f"Try {size.family.replacement or catalog.DEFAULT_VM_SIZE!r}.", "amd_gpu",
        )
    elif size.retired(check.today):
        check.fail(
            "vm_size", f"was retired on {size.family.retired_on.isoformat()}",
            f"retired sizes ({size.family.name}) can no longer be deployed",
            f"Try {size.family.replacement!r}.", "retired_size",
        )
    return size


def _pool_version(check: _Checker, cluster_version: Optional[Version]) -> Optional[Version]:
    text = check.spec.orchestrator_version
    if text is None:
        version = cluster_version
    else:
        version = catalog.parse_version(text)
        if version is None:
            check.fail(
                "orchestrator_version", "is not a Kubernetes version", "versions look like 1.31 or 1.31.2",
                "Leave it unset to use the cluster's version.", "version_format",
            )
            return None
    low = catalog.MIN_WINDOWS_GPU_VERSION
    if version is not None and check.spec.windows and version < low:
        shown = text or "%d.%d" % version
        check.fail(
            "orchestrator_version", f"(Kubernetes {shown}) is too old",
            f"Windows GPU pools need Kubernetes {low[0]}.{low[1]} or later",
            f"Upgrade the cluster (az aks upgrade) to {low[0]}.{low[1]} or later first.",
            "windows_gpu_version",
        )
    if text is not None and cluster_version is not None:
        _check_version_skew(check, version, cluster_version)
    return version


def _check_version_skew(check: _Checker, version: Version, cluster_version: Version) -> None:
    """A pool runs at most the control plane's minor and at least three minors below it (see RULES)."""
    skew = catalog.version_skew(version, cluster_version)
    shown = "%d.%d" % cluster_version
    if skew == "newer":
        check.fail(
            "orchestrator_version", f"is newer than the control plane ({shown})",
            "a pool cannot run a newer Kubernetes minor than its cluster's control plane",
            "Leave it unset to use the cluster's version, or upgrade the cluster to it first.", "version_skew",
        )
    elif skew == "behind":
        check.fail(
            "orchestrator_version", f"is more than {catalog.MAX_POOL_MINOR_SKEW} minors below the control plane ({shown})",
            f"a pool may run at most {catalog.MAX_POOL_MINOR_SKEW} minor versions below its control plane",
            "Leave it unset to use the cluster's version.", "version_skew",
        )


def _check_os_sku(check: _Checker, version: Optional[Version]) -> None:
    name = check.spec.os_sku
    if name is None:
        return
    sku = catalog.os_sku(name)
    if not check.spec.windows:
        if sku is not None:
            check.fail(
                "os_sku", "is a Windows os-sku", "a Linux pool needs a Linux os-sku",
                "Use os_type 'Windows' for a Windows GPU pool.", "os_sku_kind",
            )
        return
    if sku is None:
        check.fail(
            "os_sku", "is not a Windows os-sku", f"Windows pools use one of {', '.join(catalog.WINDOWS_OS_SKUS)}",
            "Leave it unset to get AKS's default for the cluster version.", "os_sku_kind",
        )
        return
    if sku.new_pools_until is not None and check.today > sku.new_pools_until:
        check.fail(
            "os_sku", f"takes no new pools since {sku.new_pools_until.isoformat()}",
            f"{sku.name} is closed to new pools", "Use Windows2022 or Windows2025.", "os_sku_closed",
        )
    if version is not None and not sku.allowed_on(version):
        default = catalog.default_os_sku(version)
        check.fail(
            "os_sku", f"is not available on Kubernetes {version[0]}.{version[1]}", _sku_window(sku),
            f"Use {default!r} (the default there)." if default else "Choose a supported os-sku.",
            "os_sku_version",
        )
    if sku.needs_fips and not check.spec.enable_fips:
        check.fail(
            "os_sku", "is usually run with a FIPS-enabled node image", f"{sku.name} pools may enable FIPS",
            "Set enable_fips=True if your workload needs FIPS.", "os_sku_fips",
        )


def _sku_window(sku: catalog.OsSku) -> str:
    first = "%d.%d" % sku.first_version
    if sku.last_version is None:
        return f"{sku.name} runs on Kubernetes {first} and later"
    return f"{sku.name} runs on Kubernetes {first} to {'%d.%d' % sku.last_version}"


def _check_driver(check: _Checker, size: Optional[catalog.GpuSize]) -> None:
    spec = check.spec
    driver = spec.gpu_driver or "Install"
    if driver not in GPU_DRIVERS:
        check.fail(
            "gpu_driver", "is not a driver setting", "gpu_driver is 'Install' or 'None'",
            "Use 'Install' (AKS installs the driver) or 'None' (you deploy the DirectX plugin).",
            "gpu_driver",
        )
    if spec.driver_type is not None:
        if spec.driver_type not in DRIVER_TYPES:
            check.fail(
                "driver_type", "is not a driver type", "driver_type is 'CUDA', 'GRID' or unset",
                "Leave it unset for the size's default.", "driver_type",
            )
        elif not spec.windows:
            check.fail(
                "driver_type", "is set on a Linux pool", "driver type can be chosen on Windows pools only",
                "Leave driver_type unset for Linux pools.", "driver_type_linux",
            )
        elif driver == "None":
            check.fail(
                "driver_type", "contradicts gpu_driver 'None'",
                "a driver type applies only when AKS installs the driver",
                "Either leave driver_type unset or set gpu_driver='Install'.", "driver_type_without_driver",
            )
    if spec.gpu_instance_profile is not None:
        if spec.windows:
            check.fail(
                "gpu_instance_profile", "is set on a Windows pool",
                "GPU partitions (MIG) are available on Linux pools only",
                "Leave gpu_instance_profile unset for Windows GPU pools.", "mig_windows",
            )
        elif size is not None and not size.family.mig_capable:
            check.fail(
                "gpu_instance_profile", f"is set on {size.name}", "MIG needs an A100 or H100 size",
                "Leave it unset, or use Standard_ND96asr_v4.", "mig_size",
            )


def effective_driver_type(spec: PoolSpec) -> Optional[str]:
    """The driver AKS installs: the chosen type, else the size's default; None when skipped."""
    if (spec.gpu_driver or "Install") == "None":
        return None
    size = catalog.gpu_size(spec.vm_size)
    return spec.driver_type or (size.default_driver_type if size else None)
