"""Agent pools and their provisioning state machine (what a request must pass is in :mod:`.pool_checks`).

A pool's PUT or DELETE starts an operation (:mod:`labkit.sim.arm.operations`); the pool stays
Creating, Updating or Deleting for that step's compressed time (:data:`STEPS`), and the nodes of a
pool being created appear and turn Ready at the fractions of that time in :data:`NODE_LIFECYCLE`.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any, Optional

from labkit import catalog
from labkit.rules import PoolSpec, effective_driver_type
from labkit.sim.aks_node import DEFAULT_MAX_PODS
from labkit.sim.arm.compute import Compute
from labkit.sim.arm.exceptions import AksError
from labkit.sim.arm.ids import ArmIds
from labkit.sim.arm.operations import Operations
from labkit.sim.arm.pool_checks import (IMMUTABLE, PREVIEW_GPU_PROPERTIES, PoolChecks, check_condition,
                                        check_immutable, is_preview, pool_spec, requested_properties, version_text)
from labkit.sim.arm.records import Record, Records
from labkit.sim.arm.registrations import Registrations
from labkit.sim.faults import Faults
from labkit.sim.store import Obj

POOL_TYPE = "Microsoft.ContainerService/managedClusters/agentPools"
SYSTEM_POOL = "nodepool1"
SYSTEM_POOL_SIZE = "Standard_D4ds_v5"

#: What AKS fills in when a request leaves them out (spec examples AgentPoolsGet.json / AgentPoolsCreate_*.json;
#: maxSurge 10%: learn.microsoft.com/azure/aks/upgrade-aks-node-pools, "default max surge"; maxPods: the default of
#: the cluster's network, Azure CNI, where the examples' 110 is kubenet's).
DEFAULTS: Obj = {
    "maxPods": DEFAULT_MAX_PODS, "osDiskSizeGB": 128, "osDiskType": "Managed", "kubeletDiskType": "OS",
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


class AgentPools:
    """The cluster's pools: created, changed and deleted as long-running operations."""

    def __init__(self, records: Records, clock, ids: ArmIds, registrations: Registrations, operations: Operations,
                 compute: Compute, faults: Faults):
        self._records, self._clock, self._ids = records, clock, ids
        self._operations, self._compute, self._faults = operations, compute, faults
        self._config = ids.config
        self._checks = PoolChecks(ids.config, compute, registrations)

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
        check_condition(pool and pool.name, pool and pool.properties.get("eTag"), if_match, if_none_match)
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
        self._checks.rules(spec)
        self._checks.version(spec.orchestrator_version)
        self._checks.size(name, spec.vm_size)
        self._checks.preview_feature(spec)
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
        self._checks.rules(pool_spec(pool.name, merged))
        if "orchestratorVersion" in requested:
            self._checks.version(version_text(requested.get("orchestratorVersion")))
        self._compute.require_vcpus(pool.name, merged["vmSize"], int(merged["count"]) - int(current["count"]))
        record = Record({**pool.resource, "properties": {**merged, "provisioningState": "Updating",
                                                         "eTag": _etag()}})
        self._start(record, "update")
        return AgentPool(record, self._clock), "updating"

    def _start(self, record: Record, action: str) -> None:
        step = "pool_delete" if action == "delete" else "pool_create"
        record.sim = {"started": self._clock.now(), "operation": self._operations.start(step)}
        self._records.put(record)

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


def same_settings(current: Obj, merged: Obj) -> bool:
    def settings(properties: Obj) -> Obj:
        return {k: v for k, v in properties.items() if k != "provisioningState"}

    return settings(current) == settings(merged)


def _newer(version: str, than: str) -> bool:
    return tuple(map(int, version.split("."))) > tuple(map(int, than.split(".")))


def _etag() -> str:
    return str(uuid.uuid4())


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
