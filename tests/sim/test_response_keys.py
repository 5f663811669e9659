"""Every ARM route's answer carries only keys the real API defines.

What the API defines is read from the SDK models, which are generated from the REST specs
(azure-rest-api-specs: containerservice aks/stable/2026-08-01, compute, resources, features); the
operation status body follows ARM's common-types OperationStatusResult. A walk over urls.ROUTES checks
that no route is left out.
"""

from __future__ import annotations

import importlib
import typing

import pytest
import requests
from azure.mgmt.compute import models as compute_models
from azure.mgmt.containerservice import models as aks_models
from azure.mgmt.resource.features import models as feature_models
from azure.mgmt.resource.resources import models as resource_models

from labkit.catalog import PREVIEW_API_VERSION
from labkit.sim.arm import urls

#: common-types/resource-management/v5/types.json OperationStatusResult, and ErrorDetail within it.
OPERATION_STATUS = {"id", "name", "status", "percentComplete", "startTime", "endTime", "operations", "error",
                    "resourceId"}
ERROR_DETAIL = {"code", "message", "target", "details", "additionalInfo"}
#: Microsoft.Resources subscriptions.json (stable/2022-12-01) Subscription and TenantIdDescription; labkit installs no
#: SDK of them (azure-mgmt-resource-subscriptions), `az login` reads them.
SUBSCRIPTION = {"id", "subscriptionId", "displayName", "tenantId", "state", "subscriptionPolicies", "authorizationSource",
                "managedByTenants", "tags"}
TENANT = {"id", "tenantId", "tenantCategory", "country", "countryCode", "displayName", "domains", "defaultDomain",
          "tenantType", "tenantBrandingLogoUrl"}


def unknown_keys(model, body, path="") -> list[str]:
    """Keys of ``body`` (JSON) that ``model`` (an SDK model class) does not define, as dotted paths."""
    if isinstance(body, list):
        return [k for i, item in enumerate(body) for k in unknown_keys(model, item, f"{path}[{i}]")]
    if not isinstance(body, dict) or model is None:
        return []
    if isinstance(model, _Flattened):
        return [f"{path}.{k}".lstrip(".") for k in body if k != model.key]
    if isinstance(model, _MapOf):
        return [k for key, value in body.items() for k in unknown_keys(model.model, value, f"{path}.{key}")]
    fields = _fields(model)
    found = []
    for key, value in body.items():
        if key not in fields:
            found.append(f"{path}.{key}".lstrip("."))
        else:
            found += unknown_keys(fields[key], value, f"{path}.{key}")
    return found


def _fields(model) -> dict[str, typing.Any]:
    """JSON key -> the model class of its value (None for plain values), for both SDK generations."""
    if hasattr(model, "_attribute_map"):  # msrest models (azure-mgmt-resource-features)
        module = importlib.import_module(model.__module__.rsplit(".", 1)[0])
        fields: dict[str, typing.Any] = {}
        for spec in model._attribute_map.values():
            head, _, rest = spec["key"].partition(".")
            inner = getattr(module, spec["type"].strip("[]{}"), None)
            fields[head] = _Flattened(rest, inner) if rest else inner
        return fields
    instance = model({})
    package = importlib.import_module(model.__module__.rsplit(".", 1)[0])
    hints = typing.get_type_hints(model, localns={"_models": package})
    return {f._rest_name: _model_in(hints.get(name)) for name, f in instance._attr_to_rest_field.items()}


class _Flattened:
    """An msrest ``properties.x`` key: the ``properties`` object holds ``x`` (a plain value in FeatureResult)."""

    def __init__(self, key, model):
        self.key, self.model = key, model


def _model_in(hint):
    """The SDK model a field holds (a list of them counts too); a _MapOf for a dict of them; None for plain values."""
    for arg in (typing.get_args(hint) or (hint,)):
        mapping = typing.get_origin(arg) is dict
        for inner in (typing.get_args(arg) or (arg,)):
            if isinstance(inner, type) and hasattr(inner, "as_dict"):  # an SDK model, of either generation
                return _MapOf(inner) if mapping else inner
    return None


class _MapOf:
    """A JSON object whose keys are data (patch versions, say) and whose values are ``model``."""

    def __init__(self, model):
        self.model = model


def _check(model, body):
    if isinstance(model, dict):  # {"value": Model}: a list result
        assert set(body) <= {"value", "nextLink"}
        if isinstance(model["value"], set):
            return [k for item in body["value"] for k in sorted(set(item) - model["value"])]
        return [k for item in body["value"] for k in unknown_keys(model["value"], item)]
    if isinstance(model, set):
        return sorted(set(body) - model)
    return unknown_keys(model, body)


@pytest.fixture(scope="module")
def walk(sim, until, arm_token):
    """Every route called once, in an order that leaves something to read: (handler name, api-version, JSON)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {arm_token(sim)}"
    verify, c = str(sim.state_dir / "ca.pem"), sim.config
    sub = f"{sim.url}/subscriptions/{c.subscription_id}"
    rg = f"{sub}/resourceGroups/{c.resource_group}"
    cluster = f"{rg}/providers/Microsoft.ContainerService/managedClusters/{c.cluster_name}"
    features = f"{sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features"
    seen = []

    def call(handler, method, url, version, body=None, params=None):
        answer = session.request(method, url, params={"api-version": version, **(params or {})}, json=body,
                                 verify=verify)
        assert answer.status_code < 300, (handler, answer.status_code, answer.text)
        seen.append((handler, version, answer.json() if answer.content else None))
        return answer

    call("register_feature", "POST", f"{features}/WindowsGPUPreview/register", "2021-07-01")
    until(lambda: session.get(f"{features}/WindowsGPUPreview", params={"api-version": "2021-07-01"},
                              verify=verify).json()["properties"]["state"] == "Registered")
    pool_body = {"properties": {"vmSize": "Standard_NC4as_T4_v3", "osType": "Windows", "count": 1,
                                "gpuProfile": {"driver": "Install", "driverType": "GRID"}, "tags": {"labkit": "x"}}}
    created = call("put_pool", "PUT", f"{cluster}/agentPools/keys", PREVIEW_API_VERSION, pool_body)
    operation = created.headers["Azure-AsyncOperation"]
    call("get_operation", "GET", operation.split("?")[0], "2026-08-01")
    call("get_operation_result", "GET", operation.replace("/operations/", "/operationresults/").split("?")[0],
         "2026-08-01")
    for handler, method, url, version in [
        ("list_subscriptions", "GET", f"{sim.url}/subscriptions", "2022-12-01"),
        ("get_subscription", "GET", sub, "2022-12-01"),
        ("list_tenants", "GET", f"{sim.url}/tenants", "2022-12-01"),
        ("get_resource_group", "GET", rg, "2025-04-01"),
        ("resource_group_exists", "HEAD", rg, "2025-04-01"),
        ("get_provider", "GET", f"{sub}/providers/Microsoft.ContainerService", "2025-04-01"),
        ("register_provider", "POST", f"{sub}/providers/Microsoft.ContainerService/register", "2025-04-01"),
        ("list_features", "GET", features, "2021-07-01"),
        ("get_feature", "GET", f"{features}/WindowsGPUPreview", "2021-07-01"),
        ("list_all_clusters", "GET", f"{sub}/providers/Microsoft.ContainerService/managedClusters", "2026-08-01"),
        ("list_clusters", "GET", f"{rg}/providers/Microsoft.ContainerService/managedClusters", "2026-08-01"),
        ("get_cluster", "GET", cluster, "2026-08-01"),
        ("user_credentials", "POST", f"{cluster}/listClusterUserCredential", "2026-08-01"),
        ("admin_credentials", "POST", f"{cluster}/listClusterAdminCredential", "2026-08-01"),
        ("list_pools", "GET", f"{cluster}/agentPools", "2026-08-01"),
        ("get_pool", "GET", f"{cluster}/agentPools/keys", "2026-08-01"),
        ("get_pool", "GET", f"{cluster}/agentPools/keys", PREVIEW_API_VERSION),
        ("list_kubernetes_versions", "GET", f"{sub}/providers/Microsoft.ContainerService/locations/eastus/kubernetesVersions",
         "2026-08-01"),
        ("list_skus", "GET", f"{sub}/providers/Microsoft.Compute/skus", "2021-07-01"),
        ("list_usages", "GET", f"{sub}/providers/Microsoft.Compute/locations/eastus/usages", "2026-04-01"),
        ("delete_pool", "DELETE", f"{cluster}/agentPools/keys", "2026-08-01"),
    ]:
        call(handler, method, url, version)
    return seen


#: The model each handler's answer is, by the SDK that reads it.
MODELS = {
    "list_subscriptions": {"value": SUBSCRIPTION},
    "get_subscription": SUBSCRIPTION,
    "list_tenants": {"value": TENANT},
    "get_resource_group": resource_models.ResourceGroup,
    "get_provider": resource_models.Provider,
    "register_provider": resource_models.Provider,
    "list_features": {"value": feature_models.FeatureResult},
    "get_feature": feature_models.FeatureResult,
    "register_feature": feature_models.FeatureResult,
    "list_all_clusters": {"value": aks_models.ManagedCluster},
    "list_clusters": {"value": aks_models.ManagedCluster},
    "get_cluster": aks_models.ManagedCluster,
    "user_credentials": aks_models.CredentialResults,
    "admin_credentials": aks_models.CredentialResults,
    "list_pools": {"value": aks_models.AgentPool},
    "get_pool": aks_models.AgentPool,
    "put_pool": aks_models.AgentPool,
    "get_operation": OPERATION_STATUS,
    "list_kubernetes_versions": aks_models.KubernetesVersionListResult,
    "list_skus": {"value": compute_models.ResourceSku},
    "list_usages": {"value": compute_models.Usage},
}

#: Keys the GA SDK does not know but the preview api-version defines (docs/aks-facts.md, "API versions").
PREVIEW_ONLY = {"properties.gpuProfile.driverType"}


def test_the_walk_covers_every_route(walk):
    assert {handler for handler, _, _ in walk} == {route[2].__name__ for route in urls.ROUTES}


def test_no_answer_carries_a_key_the_api_does_not_define(walk):
    extra = {}
    for handler, version, body in walk:
        if body is None:
            continue
        keys = set(_check(MODELS[handler], body))
        if "preview" in version:
            keys -= PREVIEW_ONLY
        if keys:
            extra[(handler, version)] = sorted(keys)
    assert extra == {}


def test_pools_carry_every_read_only_property_of_the_spec_examples(walk):
    pool = next(body for handler, _, body in walk if handler == "get_pool")["properties"]
    # AgentPoolsGet.json, AgentPoolsCreate_WindowsOSSKU.json / _Update.json (2026-08-01)
    for key in ("count", "currentOrchestratorVersion", "eTag", "maxPods", "nodeImageVersion", "orchestratorVersion",
                "osType", "osSKU", "provisioningState", "upgradeSettings", "vmSize", "mode", "powerState",
                "osDiskSizeGB", "osDiskType", "kubeletDiskType", "enableFIPS", "type"):
        assert key in pool, key
    assert pool["nodeImageVersion"].startswith("AKSWindows-2022-containerd-20348.")
    assert "driverType" not in pool["gpuProfile"]
    assert not [k for _, _, body in walk for k in (body or {}) if str(k).startswith("_")]
