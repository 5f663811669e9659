"""What AKS checks in an agent pool request before it changes anything, and how it reads the request.

Every refusal is one AKS is seen making, with its code and the source beside it (docs/aks-facts.md).
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any, Optional

from labkit import catalog
from labkit.rules import PoolSpec, pool_problems
from labkit.sim.arm.compute import Compute
from labkit.sim.arm.exceptions import AksError, ArmError, bad_request
from labkit.sim.arm.ids import PROVIDER
from labkit.sim.arm.registrations import PREVIEW_FEATURE, Registrations
from labkit.sim.store import Obj

#: How each PoolSpec field is spelled in an agentPools REST body, for error targets.
REST_NAMES = {
    "name": "name",
    "vm_size": "properties.vmSize",
    "count": "properties.count",
    "orchestrator_version": "properties.orchestratorVersion",
    "os_sku": "properties.osSKU",
    "os_type": "properties.osType",
    "mode": "properties.mode",
    "gpu_driver": "properties.gpuProfile.driver",
    "driver_type": "properties.gpuProfile.driverType",
    "gpu_instance_profile": "properties.gpuInstanceProfile",
    "enable_fips": "properties.enableFIPS",
}

#: Pool properties that cannot change once the pool exists (gpuProfile is checked on its own).
IMMUTABLE = ("vmSize", "osType", "osSKU")

#: Pool properties only the service sets; a request's values are ignored (spec: readOnly in AgentPool).
READ_ONLY = ("provisioningState", "currentOrchestratorVersion", "nodeImageVersion", "eTag", "powerState", "status")

#: gpuProfile properties that exist only in preview api-versions (docs/aks-facts.md, "API versions").
PREVIEW_GPU_PROPERTIES = ("driverType",)


class PoolChecks:
    """The checks that need the world's state: the cluster's version, the region's sizes, the features registered."""

    def __init__(self, config, compute: Compute, registrations: Registrations):
        self._config, self._compute, self._registrations = config, compute, registrations

    def rules(self, spec: PoolSpec) -> None:
        """The pool rules AKS enforces (labkit.rules.RULES names each one's source)."""
        if not spec.vm_size:
            raise AksError(400, "InvalidParameter", "The value of parameter properties.vmSize is required.",
                           "properties.vmSize")
        cluster_version = catalog.parse_version(self._config.kubernetes_version)
        problems = pool_problems(spec, cluster_version=cluster_version, today=date.today(), names=REST_NAMES,
                                 service_only=True)
        if problems:
            raise AksError(400, problems[0].code, str(problems[0]), problems[0].param)

    def version(self, version: Optional[str]) -> None:
        """Only versions AKS offers, at most the control plane's and at most 3 minors behind it."""
        if version is None:
            return
        if not catalog.offered_version(version):
            # Text as captured from AKS: github.com/dspace-group/simphera-reference-architecture-azure/issues/29
            raise AksError(400, "AgentPoolK8sVersionNotSupported",
                           f"Version {version} is not supported in this region. Please use [az aks get-versions] "
                           "command to get the supported version list in this region. For more information, please "
                           "check https://aka.ms/supported-version-list", "properties.orchestratorVersion")
        control_plane = self._config.kubernetes_version
        pool, plane = catalog.parse_version(version), catalog.parse_version(control_plane)
        skew = catalog.version_skew(pool, plane)
        if skew is None:
            return
        relation = (f"is bigger than control plane version {plane[1]}" if skew == "newer" else
                    f"is more than {catalog.MAX_POOL_MINOR_SKEW} minor versions behind control plane version {plane[1]}")
        pool_minor = pool[1]
        # Code and text as captured from AKS (the "bigger" case): github.com/rancher/rancher/issues/33426
        raise AksError(400, "NodePoolMcVersionIncompatible",
                       f"Node pool version {version} and control plane version {control_plane} are incompatible. "
                       f"Minor version of node pool version {pool_minor} {relation}. For more information, please "
                       "check https://aka.ms/version-skew-policy", "properties.orchestratorVersion")

    def size(self, name: str, vm_size: str) -> None:
        """Sizes the region's SKU list restricts, or does not list, are refused as not offered."""
        if not self._compute.available(vm_size, date.today()):
            # Text as captured from AKS: github.com/dotnet/core/issues/8000
            raise AksError(400, "BadRequest",
                           f"The VM size of AgentPoolProfile:{name} is not allowed in your subscription in location "
                           f"'{self._config.location}'.  For more details, please visit "
                           "https://aka.ms/aks/quotas-skus-regions", "properties.vmSize")

    def preview_feature(self, spec: PoolSpec) -> None:
        if not spec.windows or catalog.gpu_size(spec.vm_size) is None:
            return
        if not self._registrations.feature_registered(PROVIDER, PREVIEW_FEATURE):
            # Text as captured from AKS: github.com/Azure/ResourceModules/issues/820
            raise AksError(400, "PreviewFeatureNotRegistered",
                           f"Preview feature {PROVIDER}/{PREVIEW_FEATURE} not registered.", "properties.vmSize")


def is_preview(api_version: str) -> bool:
    return "preview" in api_version.lower()


#: The JSON types of the properties the simulator reads; anything else is refused as invalid content.
_TYPES: dict[str, type | tuple[type, ...]] = {
    "count": int, "vmSize": str, "osType": str, "osSKU": str, "mode": str, "orchestratorVersion": str,
    "enableFIPS": bool, "gpuProfile": dict, "nodeLabels": dict, "nodeTaints": list, "tags": dict,
    "gpuInstanceProfile": str, "maxPods": int,
}


def _typed(value: Any, kind: type, key: str) -> bool:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return False
    if key == "nodeTaints":
        return all(isinstance(taint, str) for taint in value)
    if key in ("nodeLabels", "tags"):
        return all(isinstance(v, str) for v in value.values())
    if key == "gpuProfile":  # the strings the simulator reads; other keys (nvidia: {...}) pass as they are
        return all(isinstance(value[k], str) for k in ("driver", "driverType") if value.get(k) is not None)
    return True


def requested_properties(body: Any, preview: bool) -> Obj:
    """The writable properties of a PUT body, as this api-version understands them."""
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict):
        raise bad_request("InvalidRequestContent", "The request content was invalid: 'properties' must be an object.")
    for key, kind in _TYPES.items():
        value = properties.get(key)
        if value is not None and not _typed(value, kind, key):
            raise bad_request("InvalidRequestContent",
                              f"The request content was invalid: 'properties.{key}' has the wrong type.",
                              f"properties.{key}")
    requested = {k: copy.deepcopy(v) for k, v in properties.items() if k not in READ_ONLY and v is not None}
    # Real ARM silently drops properties its api-version does not define, so driverType sent with the GA
    # api-version is lost and the pool gets its size's default driver type. That is why labkit sends
    # driverType with the preview api-version.
    if not preview and "gpuProfile" in requested:
        requested["gpuProfile"] = {k: v for k, v in requested["gpuProfile"].items() if k not in PREVIEW_GPU_PROPERTIES}
    return requested


def pool_spec(name: str, properties: Obj) -> PoolSpec:
    gpu = properties.get("gpuProfile") or {}
    return PoolSpec(
        name=name,
        vm_size=str(properties.get("vmSize") or ""),
        os_type=str(properties.get("osType") or "Linux"),
        os_sku=_text(properties.get("osSKU")),
        mode=str(properties.get("mode") or "User"),
        count=properties.get("count", 1),
        orchestrator_version=version_text(properties.get("orchestratorVersion")),
        gpu_driver=_text(gpu.get("driver")) or "Install",
        driver_type=_text(gpu.get("driverType")),
        enable_fips=bool(properties.get("enableFIPS", False)),
        gpu_instance_profile=_text(properties.get("gpuInstanceProfile")),
    )


def check_immutable(current: Obj, requested: Obj) -> None:
    for key in IMMUTABLE:
        if key in requested and str(requested[key]).lower() != str(current.get(key)).lower():
            raise _property_change(key, f"from {current.get(key)!r} to {requested[key]!r}")
    if "gpuProfile" in requested and _gpu_profile_changed(current.get("gpuProfile") or {}, requested["gpuProfile"]):
        raise _property_change(
            "gpuProfile", "on an existing node pool: adding or changing a GPU profile is not supported; "
            "create a new node pool with the GPU settings instead",
        )


def _gpu_profile_changed(current: Obj, requested: Obj) -> bool:
    if not current:
        return bool(requested)
    return any(key in requested and requested[key] != current.get(key) for key in ("driver", "driverType"))


def _property_change(key: str, what: str) -> ArmError:
    # Code and text as captured from AKS: github.com/pulumi/pulumi-azure-native/issues/959
    return AksError(400, "PropertyChangeNotAllowed", f"Changing property 'properties.{key}' is not allowed ({what}).",
                    f"properties.{key}")


def check_condition(name: Optional[str], etag: Optional[str], if_match: Optional[str], if_none_match: Optional[str]) -> None:
    """The spec's If-Match / If-None-Match on AgentPools_CreateOrUpdate (``name`` None: no such pool): 412 on failure."""
    if if_none_match is not None and if_none_match.strip() == "*" and name is not None:
        raise ArmError(412, "PreconditionFailed", f"The agent pool '{name}' already exists (If-None-Match: *).")
    if if_match is not None:
        wanted = if_match.strip().removeprefix("W/").strip('"')
        if name is None or (wanted != "*" and wanted != etag):
            raise ArmError(412, "PreconditionFailed",
                           f"The If-Match condition '{if_match}' does not match the agent pool's eTag '{etag}'.")


def version_text(value: Any) -> Optional[str]:
    """A requested orchestratorVersion; empty means the cluster's (spec example AgentPoolsCreate_Update.json)."""
    return str(value) if value not in (None, "") else None


def _text(value: Any) -> Optional[str]:
    return None if value is None else str(value)
