"""Agent pools: the rules a new or changed pool must pass, and its provisioning state machine.

A pool's PUT or DELETE starts an operation (:mod:`labkit.sim.arm.operations`); the pool stays
Creating, Updating or Deleting for that step's compressed time (:data:`STEPS`), and the nodes of a
pool being created appear and turn Ready at the fractions of that time in :data:`NODE_LIFECYCLE`.
Every refusal is one AKS is seen making, with its code and source beside it (docs/aks-facts.md).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from labkit import catalog
from labkit.rules import PoolSpec, effective_driver_type, pool_problems
from labkit.sim.arm.compute import Compute
from labkit.sim.arm.exceptions import AksError, ArmError, bad_request
from labkit.sim.arm.ids import PROVIDER, ArmIds
from labkit.sim.arm.operations import Operations
from labkit.sim.arm.records import Record, Records
from labkit.sim.arm.registrations import PREVIEW_FEATURE, Registrations
from labkit.sim.faults import Faults
from labkit.sim.store import Obj

POOL_TYPE = "Microsoft.ContainerService/managedClusters/agentPools"
SYSTEM_POOL = "nodepool1"
SYSTEM_POOL_SIZE = "Standard_D4ds_v5"

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

#: What AKS fills in when a request leaves them out (spec examples AgentPoolsGet.json / AgentPoolsCreate_*.json;
#: maxSurge 10%: learn.microsoft.com/azure/aks/upgrade-aks-node-pools, "default max surge").
DEFAULTS: Obj = {
    "maxPods": 110, "osDiskSizeGB": 128, "osDiskType": "Managed", "kubeletDiskType": "OS",
    "enableAutoScaling": False, "scaleDownMode": "Delete", "enableNodePublicIP": False,
    "enableEncryptionAtHost": False, "enableUltraSSD": False, "upgradeSettings": {"maxSurge": "10%"},
}

#: How a pool ends when a pool-failure fault hits it: a node could not reach the internet during setup
#: (learn.microsoft.com/troubleshoot/azure/azure-kubernetes/create-upgrade-delete/error-code-outboundconnfailvmextensionerror).
PROVISIONING_FAILURE: Obj = {
    "code": "OutboundConnFailVMExtensionError",
    "message": "VM has reported a failure when processing extension 'vmssCSE'. Error message: \"Enable failed: "
               "failed to execute command: command terminated with exit status=50\". The nodes could not reach "
               "the internet to finish setup: check the subnet's outbound rules. See https://aka.ms/aks-required-ports",
}

#: gpuProfile properties that exist only in preview api-versions (docs/aks-facts.md, "API versions").
PREVIEW_GPU_PROPERTIES = ("driverType",)

#: The clock step each in-progress pool state waits for.
STEPS = {"Creating": "pool_create", "Updating": "pool_create", "Deleting": "pool_delete"}


@dataclass(frozen=True)
class NodeLifecycle:
    """When a new pool's nodes reach each stage, as fractions of the pool's create time.

    AKS reports a pool Succeeded only once its nodes have registered and turned Ready, so both
    happen before the end: first the scale set's VMs boot and their kubelets register the nodes
    (NotReady), then node setup finishes and they turn Ready.
    """

    appear: float = 0.5
    ready: float = 0.75


NODE_LIFECYCLE = NodeLifecycle()


class AgentPool:
    """One pool: its ARM resource and how far its current operation has come."""

    def __init__(self, record: Record, clock):
        self._record, self._clock = record, clock

    @property
    def name(self) -> str:
        return self._record.resource["name"]

    @property
    def resource(self) -> Obj:
        """The pool as ARM stores it (all api-versions' properties)."""
        return self._record.resource

    @property
    def properties(self) -> Obj:
        return self._record.resource["properties"]

    @property
    def provisioning_state(self) -> str:
        return self.properties["provisioningState"]

    @property
    def operation_id(self) -> Optional[str]:
        return self._record.sim.get("operation")

    def progress(self) -> float:
        """How much of the current operation has passed, from 0 to 1; 1 when none is in progress."""
        step = STEPS.get(self.provisioning_state)
        if step is None:
            return 1.0
        seconds = self._clock.seconds(step)
        elapsed = self._clock.now() - self._record.sim["started"]
        return min(1.0, elapsed / seconds) if seconds > 0 else 1.0

    def nodes_exist(self) -> bool:
        return self.provisioning_state != "Creating" or self.progress() >= NODE_LIFECYCLE.appear

    def nodes_ready(self) -> bool:
        return self.provisioning_state != "Creating" or self.progress() >= NODE_LIFECYCLE.ready

    def node_count(self) -> int:
        return self.properties.get("count", 0) if self.nodes_exist() else 0

    def view(self, api_version: str) -> Obj:
        """The pool as a response of ``api_version`` shows it: preview-only properties only for preview."""
        view = copy.deepcopy(self._record.resource)
        gpu_profile = view["properties"].get("gpuProfile")
        if gpu_profile and not is_preview(api_version):
            for key in PREVIEW_GPU_PROPERTIES:
                gpu_profile.pop(key, None)
        return view


def is_preview(api_version: str) -> bool:
    return "preview" in api_version.lower()


class AgentPools:
    """The cluster's pools: created, changed and deleted as long-running operations."""

    def __init__(self, records: Records, clock, ids: ArmIds, registrations: Registrations, operations: Operations,
                 compute: Compute, faults: Faults):
        self._records, self._clock, self._ids = records, clock, ids
        self._registrations, self._operations, self._compute, self._faults = registrations, operations, compute, faults
        self._config = ids.config

    def seed(self) -> None:
        """The cluster's Linux system pool, already provisioned."""
        if self._records.get(self._ids.pool(SYSTEM_POOL)) is not None:
            return
        spec = PoolSpec(name=SYSTEM_POOL, vm_size=SYSTEM_POOL_SIZE, os_type="Linux", mode="System")
        properties = self._new_properties(spec, {"vmSize": SYSTEM_POOL_SIZE})
        self._records.put(Record(self._body(SYSTEM_POOL, {**properties, "provisioningState": "Succeeded"}),
                                 {"started": self._clock.now(), "operation": None}))

    @staticmethod
    def kubernetes_versions() -> list[Obj]:
        """What ``az aks get-versions`` shows: the offered minors, their patches and each patch's upgrades."""
        offered = catalog.KUBERNETES_VERSIONS
        values = []
        for index, minor in enumerate(offered):
            later = [p for v in offered[index:index + 2] for p in v.patches]
            value: Obj = {"version": minor.minor, "capabilities": {"supportPlan": ["KubernetesOfficial"]},
                          "patchVersions": {p: {"upgrades": [u for u in later if _newer(u, p)]} for p in minor.patches}}
            if minor.is_default:
                value["isDefault"] = True
            if minor.is_preview:
                value["isPreview"] = True
            values.append(value)
        return values

    def list(self) -> list[AgentPool]:
        return [AgentPool(r, self._clock) for r in self._records.list(self._ids.pools)]

    def get(self, name: str) -> Optional[AgentPool]:
        record = self._records.get(self._ids.pool(name))
        return None if record is None else AgentPool(record, self._clock)

    def create_or_update(self, name: str, body: Any, api_version: str, *, if_match: Optional[str] = None,
                         if_none_match: Optional[str] = None) -> tuple[AgentPool, str]:
        """Apply a PUT body; returns the pool and what happened.

        What happened is ``"created"`` or ``"updating"`` (an operation began), ``"joined"`` (the same
        request while its operation still runs) or ``"unchanged"``. ``if_match`` (an eTag, or ``*``)
        and ``if_none_match`` (``*``) are the spec's conditional headers of AgentPools_CreateOrUpdate.

        Raises:
            ArmError: the request breaks a rule or its condition, or another operation is in progress.
        """
        requested = requested_properties(body, is_preview(api_version))
        pool = self.get(name)
        _check_condition(pool, if_match, if_none_match)
        if pool is None:
            return self._create(name, requested), "created"
        return self._update(pool, requested)

    def delete(self, name: str) -> Optional[AgentPool]:
        """Start deleting the pool (cancelling a create or update in progress); None when it is gone."""
        pool = self.get(name)
        if pool is None:
            return None
        if pool.provisioning_state != "Deleting":
            if pool.provisioning_state in STEPS:
                self._operations.finish(pool.operation_id, "Canceled")
            pool.properties["provisioningState"] = "Deleting"
            self._start(pool._record, "delete")
        return pool

    def advance(self) -> None:
        """Finish every pool operation whose simulated duration has passed."""
        for pool in self.list():
            state = pool.provisioning_state
            if state not in STEPS or pool.progress() < 1.0:
                continue
            if state == "Deleting":
                self._records.delete(pool.resource["id"])
                self._operations.finish(pool.operation_id, "Succeeded")
                continue
            failure = pool._record.sim.get("failure")
            pool.properties["provisioningState"] = "Failed" if failure else "Succeeded"
            if failure:
                pool.properties["status"] = {"provisioningError": failure}
            self._records.put(pool._record)
            self._operations.finish(pool.operation_id, "Failed" if failure else "Succeeded", error=failure)

    # --- create and update ---------------------------------------------------------------------

    def _create(self, name: str, requested: Obj) -> AgentPool:
        spec = pool_spec(name, requested)
        self._check_rules(spec)
        self._check_version(spec.orchestrator_version)
        self._check_size(name, spec.vm_size)
        self._check_preview_feature(spec)
        properties = self._new_properties(spec, requested)
        self._compute.require_vcpus(name, properties["vmSize"], properties["count"])
        record = Record(self._body(name, {**properties, "provisioningState": "Creating"}))
        self._start(record, "create")
        if self._faults.take("pool-failure", lambda fault: fault["pool"] in ("*", name)) is not None:
            record.sim["failure"] = PROVISIONING_FAILURE
            self._records.put(record)
        return AgentPool(record, self._clock)

    def _update(self, pool: AgentPool, requested: Obj) -> tuple[AgentPool, str]:
        current = pool.properties
        state = current["provisioningState"]
        check_immutable(current, requested)
        merged = self._merged_properties(current, requested)
        unchanged = same_settings(current, merged)
        if state in STEPS:
            if unchanged and state != "Deleting":  # a re-run of the same request waits for the same operation
                return pool, "joined"
            # Text as captured from AKS (409): github.com/cilium/cilium/issues/25944
            raise AksError(409, "OperationNotAllowed",
                           f"Operation is not allowed: Another agentpool operation ({pool.name} - {state}) is in "
                           "progress, please wait for it to finish before starting a new operation. "
                           "See https://aka.ms/aks-pending-operation for more details")
        if unchanged:
            return pool, "unchanged"
        self._check_rules(pool_spec(pool.name, merged))
        if "orchestratorVersion" in requested:
            self._check_version(_version_text(requested.get("orchestratorVersion")))
        self._compute.require_vcpus(pool.name, merged["vmSize"], int(merged["count"]) - int(current["count"]))
        record = Record({**pool.resource, "properties": {**merged, "provisioningState": "Updating",
                                                         "eTag": _etag()}})
        self._start(record, "update")
        return AgentPool(record, self._clock), "updating"

    def _start(self, record: Record, action: str) -> None:
        step = "pool_delete" if action == "delete" else "pool_create"
        record.sim = {"started": self._clock.now(), "operation": self._operations.start(step)}
        self._records.put(record)

    def _check_rules(self, spec: PoolSpec) -> None:
        """The pool rules AKS enforces (labkit.rules.RULES names each one's source)."""
        if not spec.vm_size:
            raise AksError(400, "InvalidParameter", "The value of parameter properties.vmSize is required.",
                           "properties.vmSize")
        cluster_version = catalog.parse_version(self._config.kubernetes_version)
        problems = pool_problems(spec, cluster_version=cluster_version, today=date.today(), names=REST_NAMES,
                                 service_only=True)
        if problems:
            raise AksError(400, problems[0].code, str(problems[0]), problems[0].param)

    def _check_version(self, version: Optional[str]) -> None:
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
        pool_minor, plane_minor = catalog.parse_version(version)[1], catalog.parse_version(control_plane)[1]
        if pool_minor > plane_minor:
            relation = f"is bigger than control plane version {plane_minor}"
        elif plane_minor - pool_minor > catalog.MAX_POOL_MINOR_SKEW:
            relation = (f"is more than {catalog.MAX_POOL_MINOR_SKEW} minor versions behind control plane version "
                        f"{plane_minor}")
        else:
            return
        # Code and text as captured from AKS (the "bigger" case): github.com/rancher/rancher/issues/33426
        raise AksError(400, "NodePoolMcVersionIncompatible",
                       f"Node pool version {version} and control plane version {control_plane} are incompatible. "
                       f"Minor version of node pool version {pool_minor} {relation}. For more information, please "
                       "check https://aka.ms/version-skew-policy", "properties.orchestratorVersion")

    def _check_size(self, name: str, vm_size: str) -> None:
        """Sizes the region's SKU list restricts, or does not list, are refused as not offered."""
        if not self._compute.available(vm_size, date.today()):
            # Text as captured from AKS: github.com/dotnet/core/issues/8000
            raise AksError(400, "BadRequest",
                           f"The VM size of AgentPoolProfile:{name} is not allowed in your subscription in location "
                           f"'{self._config.location}'.  For more details, please visit "
                           "https://aka.ms/aks/quotas-skus-regions", "properties.vmSize")

    def _check_preview_feature(self, spec: PoolSpec) -> None:
        if not spec.windows or catalog.gpu_size(spec.vm_size) is None:
            return
        if not self._registrations.feature_registered(PROVIDER, PREVIEW_FEATURE):
            # Text as captured from AKS: github.com/Azure/ResourceModules/issues/820
            raise AksError(400, "PreviewFeatureNotRegistered",
                           f"Preview feature {PROVIDER}/{PREVIEW_FEATURE} not registered.", "properties.vmSize")

    def _new_properties(self, spec: PoolSpec, requested: Obj) -> Obj:
        version = spec.orchestrator_version or self._config.kubernetes_version
        os_sku = spec.os_sku or _default_os_sku(spec, version)
        size = catalog.vm_size(spec.vm_size)
        properties = {
            **DEFAULTS,
            **requested,
            "vmSize": size.name if size else spec.vm_size,
            "count": spec.count,
            "osType": "Windows" if spec.windows else "Linux",
            "osSKU": os_sku,
            "mode": spec.mode,
            "type": requested.get("type", "VirtualMachineScaleSets"),
            "orchestratorVersion": version,
            "currentOrchestratorVersion": _full_version(version, self._config.kubernetes_version),
            "nodeImageVersion": catalog.node_image_version(os_sku),
            "powerState": {"code": "Running"},
            "nodeLabels": requested.get("nodeLabels") or {},
            "nodeTaints": requested.get("nodeTaints") or [],
            "enableFIPS": spec.enable_fips,
            "eTag": _etag(),
        }
        gpu_profile = _gpu_profile(spec, requested.get("gpuProfile"))
        if gpu_profile is not None:
            properties["gpuProfile"] = gpu_profile
        return properties

    def _merged_properties(self, current: Obj, requested: Obj) -> Obj:
        """An existing pool's properties with a PUT's changeable properties applied."""
        fixed = (*IMMUTABLE, "gpuProfile")
        merged = {**current, **{k: v for k, v in requested.items() if k not in fixed}}
        if "orchestratorVersion" in requested:
            merged["currentOrchestratorVersion"] = _full_version(str(merged["orchestratorVersion"]),
                                                                 self._config.kubernetes_version)
        return merged

    def _body(self, name: str, properties: Obj) -> Obj:
        return {"id": self._ids.pool(name), "name": name, "type": POOL_TYPE, "properties": properties}


# --- reading a request ----------------------------------------------------------------------------


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
        orchestrator_version=_version_text(properties.get("orchestratorVersion")),
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


def same_settings(current: Obj, merged: Obj) -> bool:
    def settings(properties: Obj) -> Obj:
        return {k: v for k, v in properties.items() if k != "provisioningState"}

    return settings(current) == settings(merged)


def _gpu_profile_changed(current: Obj, requested: Obj) -> bool:
    if not current:
        return bool(requested)
    return any(key in requested and requested[key] != current.get(key) for key in ("driver", "driverType"))


def _property_change(key: str, what: str) -> ArmError:
    # Code and text as captured from AKS: github.com/pulumi/pulumi-azure-native/issues/959
    return AksError(400, "PropertyChangeNotAllowed", f"Changing property 'properties.{key}' is not allowed ({what}).",
                    f"properties.{key}")


def _check_condition(pool: Optional[AgentPool], if_match: Optional[str], if_none_match: Optional[str]) -> None:
    """The spec's If-Match / If-None-Match on AgentPools_CreateOrUpdate: 412 when the condition fails."""
    etag = pool.properties.get("eTag") if pool else None
    if if_none_match is not None and if_none_match.strip() == "*" and pool is not None:
        raise ArmError(412, "PreconditionFailed", f"The agent pool '{pool.name}' already exists (If-None-Match: *).")
    if if_match is not None:
        wanted = if_match.strip().removeprefix("W/").strip('"')
        if pool is None or (wanted != "*" and wanted != etag):
            raise ArmError(412, "PreconditionFailed",
                           f"The If-Match condition '{if_match}' does not match the agent pool's eTag '{etag}'.")


def _newer(version: str, than: str) -> bool:
    return tuple(map(int, version.split("."))) > tuple(map(int, than.split(".")))


def _etag() -> str:
    return str(uuid.uuid4())


def _version_text(value: Any) -> Optional[str]:
    """A requested orchestratorVersion; empty means the cluster's (spec example AgentPoolsCreate_Update.json)."""
    return str(value) if value not in (None, "") else None


def _default_os_sku(spec: PoolSpec, version: str) -> Optional[str]:
    return catalog.default_os_sku(catalog.parse_version(version)) if spec.windows else "Ubuntu"


def _full_version(version: str, cluster_version: str) -> str:
    """A pool's running version: as asked when it names a patch, else the cluster's patch of that minor."""
    if version.count(".") == 2:
        return version
    same_minor = catalog.parse_version(version) == catalog.parse_version(cluster_version)
    return cluster_version if same_minor else f"{version}.0"


def _gpu_profile(spec: PoolSpec, requested: Optional[Obj]) -> Optional[Obj]:
    """The stored gpuProfile: for GPU sizes, the driver setting and (Windows) the driver type installed."""
    if catalog.gpu_size(spec.vm_size) is None:
        return requested
    profile = {**(requested or {}), "driver": spec.gpu_driver}
    driver_type = effective_driver_type(spec) if spec.windows else None
    if driver_type:
        profile["driverType"] = driver_type
    return profile


def _text(value: Any) -> Optional[str]:
    return None if value is None else str(value)
