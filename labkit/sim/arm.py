"""The simulator's ARM plane: what the azure-mgmt SDKs call to register features and create node pools.

Endpoints (all under ``/subscriptions/{id}``, matched case-insensitively as ARM does):

- ``resourcegroups/{rg}``: GET (and HEAD) a resource group.
- ``providers/{ns}`` GET and ``providers/{ns}/register`` POST: resource providers.
- ``providers/Microsoft.Features/providers/{ns}/features[/{name}[/register]]``: preview features.
- ``.../managedClusters[/{name}]``: the cluster; ``listClusterUserCredential`` and
  ``listClusterAdminCredential`` (POST) hand out a kubeconfig for the Kubernetes plane.
- ``.../managedClusters/{name}/agentPools[/{pool}]``: node pools; PUT and DELETE are long-running
  operations answered in ARM's Azure-AsyncOperation style.
- ``providers/Microsoft.ContainerService/locations/{loc}/operations|operationresults/{id}``: the status
  of those operations.

Pool requests are checked with :func:`labkit.rules.pool_problems`, the rules the lessons check before
calling Azure, so a request that slips past the lessons gets the same answer as an ARM error.

Each stored resource keeps the simulator's bookkeeping under ``"_sim"`` (when an operation began, its
id, the api-version of the request); :func:`advance` moves states on by the world's clock, and no
response ever shows ``_sim``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Awaitable, Callable, Optional

from aiohttp import web

from labkit.catalog import GA_API_VERSION
from labkit import catalog
from labkit.errors import Problem
from labkit.rules import PoolSpec, effective_driver_type, pool_problems
from labkit.sim.store import Obj, rfc3339
from labkit.sim.world import World, kubeconfig_yaml

PROVIDER = "Microsoft.ContainerService"
PREVIEW_FEATURE = "WindowsGPUPreview"
SYSTEM_POOL = "nodepool1"
SYSTEM_POOL_SIZE = "Standard_D4ds_v5"
POOL_TYPE = "Microsoft.ContainerService/managedClusters/agentPools"

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

#: Pool properties only the service sets; a request's values are ignored.
READ_ONLY = ("provisioningState", "currentOrchestratorVersion", "nodeImageVersion", "eTag")

#: gpuProfile properties that exist only in preview api-versions (AKS_FACTS.md, "Python SDK mapping").
PREVIEW_GPU_PROPERTIES = ("driverType",)

#: The clock step each in-progress pool state waits for.
POOL_STEPS = {"Creating": "pool_create", "Updating": "pool_create", "Deleting": "pool_delete"}


class ArmError(Exception):
    """An ARM error answer: HTTP status and ``{"error": {"code", "message", "target"?, "details"?}}``."""

    def __init__(self, status: int, code: str, message: str, target: Optional[str] = None,
                 details: Optional[list[Obj]] = None):
        super().__init__(message)
        self.status, self.code, self.message, self.target, self.details = status, code, message, target, details

    def response(self) -> web.Response:
        error: Obj = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        return web.json_response({"error": error}, status=self.status)


@dataclass
class Call:
    """One ARM request as the handlers see it: the request, the world, the path's parts, the api-version."""

    request: web.Request
    world: World
    params: dict[str, str]
    api_version: str

    @property
    def preview(self) -> bool:
        return "preview" in self.api_version.lower()

    @property
    def base_url(self) -> str:
        """This server's own address, as the client reached it (port of the accepting socket)."""
        port = self.request.transport.get_extra_info("sockname")[1]
        return f"https://127.0.0.1:{port}"


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


# --- seed and advance -------------------------------------------------------------------------------


def seed(world: World) -> None:
    """Create the subscription's starting resources, leaving any that already exist as they are."""
    config = world.config
    for resource_id, body in [
        (_resource_group_id(world, config.resource_group), _resource_group(world, config.resource_group)),
        (_resource_group_id(world, world.node_resource_group),
         {**_resource_group(world, world.node_resource_group), "managedBy": world.cluster_id}),
        (world.cluster_id, _seed_cluster(world)),
        (_pool_id(world, SYSTEM_POOL), _seed_system_pool(world)),
        (_feature_id(world, PROVIDER, PREVIEW_FEATURE), _feature(world, PROVIDER, PREVIEW_FEATURE, "NotRegistered")),
        (_provider_id(world, PROVIDER), _provider(world, PROVIDER, "Registered")),
    ]:
        if world.store.arm_get(resource_id) is None:
            world.store.arm_put(resource_id, body)


def _seed_cluster(world: World) -> Obj:
    config = world.config
    dns_prefix = f"{config.cluster_name}-dns"
    suffix = hashlib.sha256(world.cluster_id.lower().encode()).hexdigest()[:8]
    return {
        "id": world.cluster_id,
        "name": config.cluster_name,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "location": config.location,
        "sku": {"name": "Base", "tier": "Free"},
        "properties": {
            "provisioningState": "Succeeded",
            "powerState": {"code": "Running"},
            "kubernetesVersion": config.kubernetes_version,
            "currentKubernetesVersion": config.kubernetes_version,
            "dnsPrefix": dns_prefix,
            "fqdn": f"{dns_prefix.lower()}-{suffix}.hcp.{config.location}.azmk8s.io",
            "nodeResourceGroup": world.node_resource_group,
            "enableRBAC": True,
        },
    }


def _seed_system_pool(world: World) -> Obj:
    version = world.config.kubernetes_version
    pool = _pool_body(world, SYSTEM_POOL, {
        "count": 1, "vmSize": SYSTEM_POOL_SIZE, "osType": "Linux", "osSKU": "Ubuntu", "mode": "System",
        "type": "VirtualMachineScaleSets", "orchestratorVersion": version, "currentOrchestratorVersion": version,
        "provisioningState": "Succeeded", "powerState": {"code": "Running"}, "nodeLabels": {}, "nodeTaints": [],
        "enableFIPS": False,
    })
    pool["_sim"] = {"started": world.clock.now(), "operation": None, "action": "create", "api_version": GA_API_VERSION}
    return pool


def advance(world: World) -> None:
    """Finish every registration and pool operation whose simulated duration has passed."""
    for provider in world.store.arm_list(f"{world.subscription_path}/providers/"):
        _advance_registration(world, provider, provider, "registrationState", "provider_registration")
        for feature in world.store.arm_list(_feature_id(world, provider["namespace"], "")):
            _advance_registration(world, feature, feature["properties"], "state", "feature_registration")
    for pool in pools(world):
        _advance_pool(world, pool)


def _advance_registration(world: World, resource: Obj, holder: Obj, key: str, step: str) -> None:
    if holder.get(key) == "Registering" and world.clock.due(resource["_sim"]["started"], step):
        holder[key] = "Registered"
        world.store.arm_put(resource["id"], resource)


def _advance_pool(world: World, pool: Obj) -> None:
    state = pool["properties"]["provisioningState"]
    step = POOL_STEPS.get(state)
    if step is None or not world.clock.due(pool["_sim"]["started"], step):
        return
    if state == "Deleting":
        world.store.arm_delete(pool["id"])
    else:
        pool["properties"]["provisioningState"] = "Succeeded"
        world.store.arm_put(pool["id"], pool)
    _finish_operation(world, pool["_sim"]["operation"], "Succeeded")


# --- routing ------------------------------------------------------------------------------------------


def add_routes(app: web.Application, world: World) -> None:
    """Serve every ARM path under ``/subscriptions`` (any letter case) from one dispatcher."""

    async def dispatch(request: web.Request) -> web.StreamResponse:
        return await _dispatch(request, world)

    app.router.add_route("*", "/{root:(?i:subscriptions)}{tail:(/.*)?}", dispatch)


async def _dispatch(request: web.Request, world: World) -> web.StreamResponse:
    # The controllers also call advance(); calling it here keeps ARM's answers current on its own.
    advance(world)
    try:
        handler, params = _route(request.method, request.path.rstrip("/"))
        if params["sub"].lower() != world.config.subscription_id.lower():
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{params['sub']}' could not be found.")
        api_version = request.query.get("api-version")
        if not api_version:
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
        return await handler(Call(request, world, params, api_version))
    except ArmError as error:
        return error.response()


def _route(method: str, path: str) -> tuple[Handler, dict[str, str]]:
    path_known = False
    for route_method, pattern, handler in ROUTES:
        match = pattern.fullmatch(path)
        if match and route_method == method:
            return handler, match.groupdict()
        path_known = path_known or bool(match)
    if path_known:
        raise ArmError(405, "HttpMethodNotAllowed", f"The HTTP method '{method}' is not supported at '{path}'.")
    raise ArmError(404, "InvalidResourceType", f"The resource type for '{path}' could not be found.")


# --- resource groups, providers, features ----------------------------------------------------------


async def get_resource_group(call: Call) -> web.Response:
    return _json(_require_resource_group(call))


async def resource_group_exists(call: Call) -> web.Response:
    _require_resource_group(call)
    return web.Response(status=204)


async def get_provider(call: Call) -> web.Response:
    return _json(_require_provider(call))


async def register_provider(call: Call) -> web.Response:
    provider = _require_provider(call)
    if provider["registrationState"] != "Registering":
        _start_registration(call.world, provider, provider, "registrationState")
    return _json(provider)


async def list_features(call: Call) -> web.Response:
    features = call.world.store.arm_list(_feature_id(call.world, call.params["ns"], ""))
    return _json({"value": [_public(f) for f in features]})


async def get_feature(call: Call) -> web.Response:
    return _json(_require_feature(call))


async def register_feature(call: Call) -> web.Response:
    feature = _require_feature(call)
    if feature["properties"]["state"] not in ("Registering", "Registered"):
        _start_registration(call.world, feature, feature["properties"], "state")
    return _json(feature)


def _start_registration(world: World, resource: Obj, holder: Obj, key: str) -> None:
    holder[key] = "Registering"
    resource["_sim"] = {"started": world.clock.now()}
    world.store.arm_put(resource["id"], resource)


def _require_resource_group(call: Call) -> Obj:
    group = call.world.store.arm_get(_resource_group_id(call.world, call.params["rg"]))
    if group is None:
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{call.params['rg']}' could not be found.")
    return group


def _require_provider(call: Call) -> Obj:
    provider = call.world.store.arm_get(_provider_id(call.world, call.params["ns"]))
    if provider is None:
        raise ArmError(404, "InvalidResourceNamespace", f"The resource namespace '{call.params['ns']}' is invalid.")
    return provider


def _require_feature(call: Call) -> Obj:
    feature = call.world.store.arm_get(_feature_id(call.world, call.params["ns"], call.params["feature"]))
    if feature is None:
        raise ArmError(404, "FeatureNotFound", f"The feature '{call.params['feature']}' could not be found.")
    return feature


# --- managed clusters -------------------------------------------------------------------------------


async def list_all_clusters(call: Call) -> web.Response:
    return _json({"value": [_cluster_view(call, call.world.store.arm_get(call.world.cluster_id))]})


async def list_clusters(call: Call) -> web.Response:
    _require_resource_group(call)
    prefix = f"{_resource_group_id(call.world, call.params['rg'])}/providers/{PROVIDER}/managedClusters/"
    return _json({"value": [_cluster_view(call, c) for c in call.world.store.arm_list(prefix)]})


async def get_cluster(call: Call) -> web.Response:
    return _json(_cluster_view(call, _require_cluster(call)))


async def user_credentials(call: Call) -> web.Response:
    return _credentials(call, "clusterUser")


async def admin_credentials(call: Call) -> web.Response:
    return _credentials(call, "clusterAdmin")


def _credentials(call: Call, kind: str) -> web.Response:
    _require_cluster(call)
    world = call.world
    kubeconfig = kubeconfig_yaml(world.config, call.base_url, (world.state_dir / "ca.pem").read_bytes(), world.token)
    if kind != "clusterUser":
        kubeconfig = kubeconfig.replace("clusterUser_", f"{kind}_")
    value = base64.b64encode(kubeconfig.encode()).decode()
    return _json({"kubeconfigs": [{"name": kind, "value": value}]})


def _cluster_view(call: Call, cluster: Obj) -> Obj:
    profiles = [{"name": p["name"], **_public(p, call.api_version)["properties"]} for p in pools(call.world)]
    view = _public(cluster)
    view["properties"]["agentPoolProfiles"] = profiles
    return view


def _require_cluster(call: Call) -> Obj:
    _require_resource_group(call)
    rg, name = call.params["rg"], call.params["cluster"]
    cluster_id = f"{_resource_group_id(call.world, rg)}/providers/{PROVIDER}/managedClusters/{name}"
    cluster = call.world.store.arm_get(cluster_id)
    if cluster is None:
        raise ArmError(404, "ResourceNotFound",
                       f"The Resource '{PROVIDER}/managedClusters/{name}' under resource group '{rg}' was not found. "
                       "For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    return cluster


# --- agent pools --------------------------------------------------------------------------------------


async def list_pools(call: Call) -> web.Response:
    _require_cluster(call)
    return _json({"value": [_public(p, call.api_version) for p in pools(call.world)]})


async def get_pool(call: Call) -> web.Response:
    return _json(_public(_require_pool(call), call.api_version))


async def put_pool(call: Call) -> web.StreamResponse:
    _require_cluster(call)
    requested = _requested_properties(await _json_body(call.request), call.preview)
    stored = call.world.store.arm_get(_pool_id(call.world, call.params["pool"]))
    if stored is None:
        return _create_pool(call, requested)
    return _update_pool(call, stored, requested)


async def delete_pool(call: Call) -> web.StreamResponse:
    _require_cluster(call)
    pool = call.world.store.arm_get(_pool_id(call.world, call.params["pool"]))
    if pool is None:
        return web.Response(status=204)
    if pool["properties"]["provisioningState"] != "Deleting":
        # AKS lets a delete cancel a create or update still in progress.
        if pool["properties"]["provisioningState"] in POOL_STEPS:
            _finish_operation(call.world, pool["_sim"]["operation"], "Canceled")
        pool["properties"]["provisioningState"] = "Deleting"
        _start_operation(call, pool, "delete")
    return _operation_started(call, pool, 202)


def _create_pool(call: Call, requested: Obj) -> web.Response:
    name = call.params["pool"]
    spec = _pool_spec(name, requested)
    _check_rules(call.world, spec)
    _check_preview_feature(call.world, spec)
    properties = _new_pool_properties(call.world, spec, requested)
    _check_quota(call.world, name, properties, current_count=0)
    pool = _pool_body(call.world, name, {**properties, "provisioningState": "Creating"})
    _start_operation(call, pool, "create")
    return _operation_started(call, pool, 201)


def _update_pool(call: Call, stored: Obj, requested: Obj) -> web.Response:
    current = stored["properties"]
    state = current["provisioningState"]
    _check_immutable(current, requested)
    merged = _merged_properties(call.world, current, requested)
    unchanged = _same_settings(current, merged)
    if state in POOL_STEPS:
        if unchanged and state != "Deleting":  # a re-run of the same request waits for the same operation
            return _operation_started(call, stored, 201 if state == "Creating" else 200)
        raise ArmError(409, "OperationNotAllowed",
                       f"Another agentpool operation ({state}) is in progress, please wait for it to finish "
                       "before starting a new operation. See https://aka.ms/aks-pending-operation for more details.")
    if unchanged:
        return _json(_public(stored, call.api_version))
    _check_rules(call.world, _pool_spec(stored["name"], merged))
    _check_quota(call.world, stored["name"], merged, current_count=current["count"])
    pool = {**stored, "properties": {**merged, "provisioningState": "Updating"}}
    _start_operation(call, pool, "update")
    return _operation_started(call, pool, 200)


def _requested_properties(body: Any, preview: bool) -> Obj:
    """The writable properties of a PUT body, as this api-version understands them."""
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict) or not isinstance(properties.get("gpuProfile") or {}, dict):
        raise ArmError(400, "InvalidRequestContent",
                       "The request content was invalid: 'properties' (and 'properties.gpuProfile') must be objects.")
    requested = {k: copy.deepcopy(v) for k, v in properties.items() if k not in READ_ONLY and v is not None}
    # Real ARM silently drops properties its api-version does not define, so driverType sent with the GA
    # api-version is lost and the pool gets its size's default driver type. That is why labkit sends
    # driverType with the preview api-version.
    if not preview and "gpuProfile" in requested:
        requested["gpuProfile"] = {k: v for k, v in requested["gpuProfile"].items() if k not in PREVIEW_GPU_PROPERTIES}
    return requested


def _pool_spec(name: str, properties: Obj) -> PoolSpec:
    gpu = properties.get("gpuProfile") or {}
    return PoolSpec(
        name=name,
        vm_size=str(properties.get("vmSize") or ""),
        os_type=str(properties.get("osType") or "Linux"),
        os_sku=_text(properties.get("osSKU")),
        mode=str(properties.get("mode") or "User"),
        count=properties.get("count", 1),
        orchestrator_version=_text(properties.get("orchestratorVersion")),
        gpu_driver=_text(gpu.get("driver")) or "Install",
        driver_type=_text(gpu.get("driverType")),
        enable_fips=bool(properties.get("enableFIPS", False)),
        gpu_instance_profile=_text(properties.get("gpuInstanceProfile")),
    )


def _check_rules(world: World, spec: PoolSpec) -> None:
    if not spec.vm_size:
        raise ArmError(400, "InvalidParameter", "The value of parameter properties.vmSize is required.",
                       "properties.vmSize")
    cluster_version = catalog.parse_version(world.config.kubernetes_version)
    problems = pool_problems(spec, cluster_version=cluster_version, today=date.today(), names=REST_NAMES)
    if problems:
        first = problems[0]
        raise ArmError(400, first.code, str(first), first.param, [_detail(p) for p in problems])


def _detail(problem: Problem) -> Obj:
    return {"code": problem.code, "message": str(problem), "target": problem.param}


def _check_preview_feature(world: World, spec: PoolSpec) -> None:
    if not spec.windows or catalog.gpu_size(spec.vm_size) is None:
        return
    feature = world.store.arm_get(_feature_id(world, PROVIDER, PREVIEW_FEATURE))
    if feature["properties"]["state"] != "Registered":
        raise ArmError(400, "PreviewFeatureNotRegistered",
                       f"Preview feature {PROVIDER}/{PREVIEW_FEATURE} not registered. Register it with "
                       f"az feature register --namespace {PROVIDER} --name {PREVIEW_FEATURE}, wait until "
                       f"az feature show reports Registered, then az provider register --namespace {PROVIDER}.",
                       "properties.vmSize")


def _check_quota(world: World, name: str, properties: Obj, current_count: int) -> None:
    size = catalog.gpu_size(properties["vmSize"])
    if size is None:
        return
    limit = world.config.gpu_vcpu_quota
    usage = sum(_gpu_vcpus(p["properties"]) for p in pools(world))
    required = size.vcpus * (properties["count"] - current_count)
    if required > 0 and usage + required > limit:
        raise ArmError(400, "QuotaExceeded",
                       "Operation could not be completed as it results in exceeding approved GPU Cores quota. "
                       f"Additional details - Deployment Model: Resource Manager, Location: {world.config.location}, "
                       f"Current Limit: {limit}, Current Usage: {usage}, Additional Required: {required}, "
                       f"(Minimum) New Limit Required: {usage + required}. Submit a request for Quota increase at "
                       "https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView "
                       f"(agent pool '{name}', size {size.name}).",
                       "properties.count")


def _gpu_vcpus(properties: Obj) -> int:
    size = catalog.gpu_size(properties["vmSize"])
    return size.vcpus * properties["count"] if size else 0


def _new_pool_properties(world: World, spec: PoolSpec, requested: Obj) -> Obj:
    version = spec.orchestrator_version or world.config.kubernetes_version
    properties = {
        **requested,
        "count": spec.count,
        "osType": "Windows" if spec.windows else "Linux",
        "osSKU": spec.os_sku or _default_os_sku(spec, version),
        "mode": spec.mode,
        "type": requested.get("type", "VirtualMachineScaleSets"),
        "orchestratorVersion": version,
        "currentOrchestratorVersion": _full_version(version, world.config.kubernetes_version),
        "powerState": {"code": "Running"},
        "nodeLabels": requested.get("nodeLabels") or {},
        "nodeTaints": requested.get("nodeTaints") or [],
        "enableFIPS": spec.enable_fips,
    }
    gpu_profile = _gpu_profile(spec, requested.get("gpuProfile"))
    if gpu_profile is not None:
        properties["gpuProfile"] = gpu_profile
    return properties


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


def _merged_properties(world: World, current: Obj, requested: Obj) -> Obj:
    """An existing pool's properties with a PUT's changeable properties applied."""
    fixed = (*IMMUTABLE, "gpuProfile")
    merged = {**current, **{k: v for k, v in requested.items() if k not in fixed}}
    if "orchestratorVersion" in requested:
        merged["currentOrchestratorVersion"] = _full_version(str(merged["orchestratorVersion"]),
                                                             world.config.kubernetes_version)
    return merged


def _same_settings(current: Obj, merged: Obj) -> bool:
    def settings(properties: Obj) -> Obj:
        return {k: v for k, v in properties.items() if k != "provisioningState"}

    return settings(current) == settings(merged)


def _check_immutable(current: Obj, requested: Obj) -> None:
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
    return ArmError(400, "PropertyChangeNotAllowed", f"Changing property '{key}' is not allowed ({what}).",
                    f"properties.{key}")


def _require_pool(call: Call) -> Obj:
    _require_cluster(call)
    pool = call.world.store.arm_get(_pool_id(call.world, call.params["pool"]))
    if pool is None:
        raise ArmError(404, "NotFound",
                       f"Could not find agent pool {call.params['pool']} in managed cluster {call.params['cluster']}.")
    return pool


def pools(world: World) -> list[Obj]:
    return world.store.arm_list(f"{world.cluster_id}/agentPools/")


def _pool_body(world: World, name: str, properties: Obj) -> Obj:
    return {"id": _pool_id(world, name), "name": name, "type": POOL_TYPE, "properties": properties}


# --- long-running operations ------------------------------------------------------------------------


async def get_operation(call: Call) -> web.Response:
    operation = _require_operation(call)
    headers = {"Retry-After": _poll_delay(call.world, operation)} if operation["status"] == "InProgress" else {}
    return _json(_public(operation), headers=headers)


async def get_operation_result(call: Call) -> web.Response:
    operation = _require_operation(call)
    if operation["status"] != "InProgress":
        return web.Response(status=204)
    headers = {"Location": _operation_url(call, operation["name"], "operationresults"),
               "Retry-After": _poll_delay(call.world, operation)}
    return web.Response(status=202, headers=headers)


def _start_operation(call: Call, pool: Obj, action: str) -> None:
    """Store a new operation for ``pool`` and the pool itself, marked with the operation."""
    world = call.world
    operation_id = str(uuid.uuid4())
    now = world.clock.now()
    step = "pool_delete" if action == "delete" else "pool_create"
    world.store.arm_put(_operation_id(world, operation_id), {
        "id": _operation_id(world, operation_id), "name": operation_id, "status": "InProgress",
        "startTime": rfc3339(now), "_sim": {"step": step},
    })
    pool["_sim"] = {"started": now, "operation": operation_id, "action": action, "api_version": call.api_version}
    world.store.arm_put(pool["id"], pool)


def _finish_operation(world: World, operation_id: str, status: str) -> None:
    operation = world.store.arm_get(_operation_id(world, operation_id))
    operation.update(status=status, endTime=rfc3339())
    if status == "Canceled":
        operation["error"] = {"code": "OperationCanceled", "message": "The operation was canceled by a delete."}
    world.store.arm_put(operation["id"], operation)


def _operation_started(call: Call, pool: Obj, status: int) -> web.Response:
    """The answer to a PUT or DELETE that started (or joined) an operation: ARM's async headers."""
    operation_id = pool["_sim"]["operation"]
    # The SDK reads the first answer's Retry-After as an int (a fraction raises ValueError); azure-core
    # polls once at once anyway and then honours the operation's own (fractional) Retry-After.
    headers = {"Azure-AsyncOperation": _operation_url(call, operation_id, "operations"), "Retry-After": "0"}
    if status == 202:
        headers["Location"] = _operation_url(call, operation_id, "operationresults")
        return web.Response(status=202, headers=headers)
    return _json(_public(pool, call.api_version), status=status, headers=headers)


def _operation_url(call: Call, operation_id: str, kind: str) -> str:
    world = call.world
    return (f"{call.base_url}{world.subscription_path}/providers/{PROVIDER}/locations/{world.config.location}"
            f"/{kind}/{operation_id}?api-version={call.api_version}")


def _poll_delay(world: World, operation: Obj) -> str:
    """A tenth of the operation's simulated duration, so clients poll about ten times."""
    return f"{max(0.01, world.clock.seconds(operation['_sim']['step']) / 10):.3f}"


def _require_operation(call: Call) -> Obj:
    operation = call.world.store.arm_get(_operation_id(call.world, call.params["op"]))
    if operation is None:
        raise ArmError(404, "NotFound", f"Operation {call.params['op']} was not found.")
    return operation


# --- ids, bodies and helpers ----------------------------------------------------------------------


def _resource_group_id(world: World, name: str) -> str:
    return f"{world.subscription_path}/resourceGroups/{name}"


def _resource_group(world: World, name: str) -> Obj:
    return {"id": _resource_group_id(world, name), "name": name, "type": "Microsoft.Resources/resourceGroups",
            "location": world.config.location, "properties": {"provisioningState": "Succeeded"}}


def _provider_id(world: World, namespace: str) -> str:
    return f"{world.subscription_path}/providers/{namespace}"


def _provider(world: World, namespace: str, state: str) -> Obj:
    return {"id": _provider_id(world, namespace), "namespace": namespace, "registrationState": state,
            "registrationPolicy": "RegistrationRequired",
            "resourceTypes": [{"resourceType": "managedClusters", "locations": [world.config.location]}]}


def _feature_id(world: World, namespace: str, name: str) -> str:
    return f"{world.subscription_path}/providers/Microsoft.Features/providers/{namespace}/features/{name}"


def _feature(world: World, namespace: str, name: str, state: str) -> Obj:
    return {"id": _feature_id(world, namespace, name), "name": f"{namespace}/{name}",
            "type": "Microsoft.Features/providers/features", "properties": {"state": state}}


def _pool_id(world: World, name: str) -> str:
    return f"{world.cluster_id}/agentPools/{name}"


def _operation_id(world: World, operation_id: str) -> str:
    return f"{world.subscription_path}/providers/{PROVIDER}/locations/{world.config.location}/operations/{operation_id}"


def _public(resource: Obj, api_version: str = "") -> Obj:
    """A stored resource as a response shows it: no ``_sim``; preview-only properties only for preview."""
    view = {k: copy.deepcopy(v) for k, v in resource.items() if k != "_sim"}
    gpu_profile = view.get("properties", {}).get("gpuProfile")
    if gpu_profile and "preview" not in api_version.lower():
        for key in PREVIEW_GPU_PROPERTIES:
            gpu_profile.pop(key, None)
    return view


def _text(value: Any) -> Optional[str]:
    return None if value is None else str(value)


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw) if raw else {}
    except ValueError as error:
        raise ArmError(400, "InvalidRequestContent", f"The request content was not valid JSON: {error}.") from error


def _json(body: Obj, status: int = 200, headers: Optional[dict[str, str]] = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_RG = _SUB + r"/resourcegroups/(?P<rg>[^/]+)"
_CLUSTER = _RG + r"/providers/Microsoft\.ContainerService/managedClusters/(?P<cluster>[^/]+)"
_POOL = _CLUSTER + r"/agentPools/(?P<pool>[^/]+)"
_FEATURES = _SUB + r"/providers/Microsoft\.Features/providers/(?P<ns>[^/]+)/features"
_LOCATION = _SUB + r"/providers/Microsoft\.ContainerService/locations/(?P<loc>[^/]+)"

#: (method, path pattern, handler); ARM compares paths without regard to letter case.
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(pattern, re.IGNORECASE), handler)
    for method, pattern, handler in [
        ("GET", _RG, get_resource_group),
        ("HEAD", _RG, resource_group_exists),
        ("GET", _SUB + r"/providers/(?P<ns>[^/]+)", get_provider),
        ("POST", _SUB + r"/providers/(?P<ns>[^/]+)/register", register_provider),
        ("GET", _FEATURES, list_features),
        ("GET", _FEATURES + r"/(?P<feature>[^/]+)", get_feature),
        ("POST", _FEATURES + r"/(?P<feature>[^/]+)/register", register_feature),
        ("GET", _SUB + r"/providers/Microsoft\.ContainerService/managedClusters", list_all_clusters),
        ("GET", _RG + r"/providers/Microsoft\.ContainerService/managedClusters", list_clusters),
        ("GET", _CLUSTER, get_cluster),
        ("POST", _CLUSTER + r"/listClusterUserCredential", user_credentials),
        ("POST", _CLUSTER + r"/listClusterAdminCredential", admin_credentials),
        ("GET", _CLUSTER + r"/agentPools", list_pools),
        ("GET", _POOL, get_pool),
        ("PUT", _POOL, put_pool),
        ("DELETE", _POOL, delete_pool),
        ("GET", _LOCATION + r"/operations/(?P<op>[^/]+)", get_operation),
        ("GET", _LOCATION + r"/operationresults/(?P<op>[^/]+)", get_operation_result),
    ]
]
