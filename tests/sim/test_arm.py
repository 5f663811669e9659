"""The ARM plane through the real Azure SDKs (and plain https where the wire itself is the point)."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

import pytest
import requests
import yaml
from azure.core.exceptions import HttpResponseError
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.containerservice.models import AgentPool
from azure.mgmt.resource.features import FeatureClient
from azure.mgmt.resource.resources import ResourceManagementClient

from labkit.catalog import GA_API_VERSION
from labkit.sim.arm.agent_pools import POOL_TYPE
from labkit.sim.client import credential
from labkit.sim.server import SimServer

PREVIEW = "2026-08-02-preview"
NAMESPACE = "Microsoft.ContainerService"
FEATURE = "WindowsGPUPreview"
T4 = "Standard_NC4as_T4_v3"
LRO_TIMEOUT = 5


def client(cls, server: SimServer, **options):
    """An SDK client of ``cls`` talking to ``server`` exactly as it would to Azure."""
    return cls(
        credential(server.state_dir, server.url), server.config.subscription_id, base_url=server.url,
        connection_verify=str(server.state_dir / "ca.pem"), polling_interval=0.01, **options,
    )


def windows_pool(vm_size: str = T4, **properties) -> dict:
    return {"properties": {"vmSize": vm_size, "osType": "Windows", "count": 1, **properties}}


def arm_error(call) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as info:
        call()
    return info.value


@pytest.fixture
def make_sim(tmp_path):
    """Start fresh simulators (own state, own clock speed) for tests that need a pristine world."""
    servers = []

    def make(time_scale: float) -> SimServer:
        server = SimServer(tmp_path / f"sim{len(servers)}", time_scale=time_scale).start_in_thread()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def aks(sim):
    return client(ContainerServiceClient, sim)


@pytest.fixture(scope="module")
def aks_preview(sim):
    return client(ContainerServiceClient, sim, api_version=PREVIEW)


@pytest.fixture(scope="module")
def names(sim):
    return sim.config.resource_group, sim.config.cluster_name


@pytest.fixture(scope="module")
def gpu_ready(sim, until):
    """The module's simulator with the Windows GPU preview feature registered."""
    features = client(FeatureClient, sim)
    features.features.register(NAMESPACE, FEATURE)
    until(lambda: features.features.get(NAMESPACE, FEATURE).properties.state == "Registered")


class Wire:
    """Plain https calls with the simulator's token, for checking status codes and headers."""

    def __init__(self, server: SimServer, token: str):
        self.server = server
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def pool_url(self, pool: str) -> str:
        config = self.server.config
        return (f"{self.server.url}/subscriptions/{config.subscription_id}/resourceGroups/{config.resource_group}"
                f"/providers/Microsoft.ContainerService/managedClusters/{config.cluster_name}/agentPools/{pool}")

    def request(self, method: str, url: str, body=None, api_version: str = GA_API_VERSION) -> requests.Response:
        params = {"api-version": api_version} if api_version and "api-version=" not in url else None
        # verify per request: requests lets REQUESTS_CA_BUNDLE override a session's verify.
        return self.session.request(method, url, params=params, json=body, verify=str(self.server.state_dir / "ca.pem"))


def test_windows_gpu_pool_needs_the_preview_feature_registered_first(make_sim, until):
    server = make_sim(1 / 3000)
    features = client(FeatureClient, server).features
    aks = client(ContainerServiceClient, server)
    rg, cluster = server.config.resource_group, server.config.cluster_name
    assert features.get(NAMESPACE, FEATURE).properties.state == "NotRegistered"

    error = arm_error(lambda: aks.agent_pools.begin_create_or_update(rg, cluster, "gpunp", windows_pool()))
    assert (error.status_code, error.error.code) == (400, "PreviewFeatureNotRegistered")
    assert error.error.message == f"Preview feature {NAMESPACE}/{FEATURE} not registered."

    assert features.register(NAMESPACE, FEATURE).properties.state == "Registering"
    until(lambda: features.get(NAMESPACE, FEATURE).properties.state == "Registered")
    assert [f.name for f in features.list(NAMESPACE)] == [f"{NAMESPACE}/{FEATURE}"]
    pool = aks.agent_pools.begin_create_or_update(rg, cluster, "gpunp", windows_pool()).result(timeout=LRO_TIMEOUT)
    assert pool.properties.provisioning_state == "Succeeded"


def test_provider_registration_completes(sim, until):
    providers = client(ResourceManagementClient, sim).providers
    assert providers.register(NAMESPACE).registration_state == "Registering"
    until(lambda: providers.get(NAMESPACE).registration_state == "Registered")


def test_resource_group_found_and_missing(sim):
    groups = client(ResourceManagementClient, sim).resource_groups
    group = groups.get(sim.config.resource_group)
    assert (group.name, group.location) == (sim.config.resource_group, sim.config.location)
    assert groups.check_existence(sim.config.resource_group) and not groups.check_existence("nosuchgroup")
    error = arm_error(lambda: groups.get("nosuchgroup"))
    assert (error.status_code, error.error.code) == (404, "ResourceGroupNotFound")


def test_cluster_describes_itself_and_its_pools(sim, aks, names):
    cluster = aks.managed_clusters.get(*names)
    props = cluster.properties
    assert props.kubernetes_version == props.current_kubernetes_version == sim.config.kubernetes_version
    assert (props.provisioning_state, props.power_state.code) == ("Succeeded", "Running")
    assert props.fqdn.endswith(f".hcp.{sim.config.location}.azmk8s.io")
    assert props.node_resource_group == sim.world.node_resource_group
    system = next(p for p in props.agent_pool_profiles if p.name == "nodepool1")
    assert (system.mode, system.os_type, system.vm_size, system.count) == ("System", "Linux", "Standard_D4ds_v5", 1)
    # Azure CNI, as Windows pools need, and so its default of 30 pods a node where kubenet's would be 110
    assert (props.network_profile.network_plugin, props.network_profile.service_cidr) == ("azure", "10.0.0.0/16")
    assert system.max_pods == 30
    assert [c.name for c in aks.managed_clusters.list_by_resource_group(names[0])] == [names[1]]
    error = arm_error(lambda: aks.managed_clusters.get(names[0], "nosuchcluster"))
    assert (error.status_code, error.error.code) == (404, "ResourceNotFound")


@pytest.mark.parametrize("kind", ["User", "Admin"])
def test_credentials_are_a_kubeconfig_the_kubernetes_client_loads(sim, aks, names, kind):
    from kubernetes import client as kube_client, config as kube_config

    listing = getattr(aks.managed_clusters, f"list_cluster_{kind.lower()}_credentials")
    kubeconfig = yaml.safe_load(listing(*names).kubeconfigs[0].value)
    configuration = kube_client.Configuration()
    kube_config.load_kube_config_from_dict(kubeconfig, client_configuration=configuration)
    assert configuration.host == sim.url
    assert kubeconfig["users"][0]["name"] == f"cluster{kind}_{names[0]}_{names[1]}"
    assert configuration.api_key["BearerToken"] == f"Bearer {sim.world.token}"  # the cluster's, not an ARM token


def test_pool_create_get_list_delete(gpu_ready, aks, names):
    body = AgentPool(vm_size=T4, os_type="Windows", count=1, node_taints=["sku=gpu:NoSchedule"])
    created = aks.agent_pools.begin_create_or_update(*names, "life", body).result(timeout=LRO_TIMEOUT)
    assert created.properties.provisioning_state == "Succeeded"
    pool = aks.agent_pools.get(*names, "life").properties
    assert (pool.os_type, pool.os_sku, pool.mode, pool.count, pool.max_pods) == ("Windows", "Windows2022", "User", 1, 30)
    assert pool.gpu_profile.driver == "Install" and pool.node_taints == ["sku=gpu:NoSchedule"]
    assert "life" in [p.name for p in aks.agent_pools.list(*names)]
    assert "life" in [p.name for p in aks.managed_clusters.get(*names).properties.agent_pool_profiles]

    aks.agent_pools.begin_delete(*names, "life").result(timeout=LRO_TIMEOUT)
    error = arm_error(lambda: aks.agent_pools.get(*names, "life"))
    assert (error.status_code, error.error.code) == (404, "NotFound")
    aks.agent_pools.begin_delete(*names, "life").result(timeout=LRO_TIMEOUT)


def test_driver_type_is_honoured_with_the_preview_api_version(sim, gpu_ready, aks, aks_preview, names):
    body = windows_pool(gpuProfile={"driver": "Install", "driverType": "GRID"})
    pool = aks_preview.agent_pools.begin_create_or_update(*names, "grid", body).result(timeout=LRO_TIMEOUT)
    assert pool.properties.gpu_profile["driverType"] == "GRID"
    assert "driverType" not in aks.agent_pools.get(*names, "grid").properties.gpu_profile
    stored = sim.world.agent_pools.get("grid")  # what the node controller reads
    assert stored.properties["gpuProfile"] == {"driver": "Install", "driverType": "GRID"}
    assert stored.resource["type"] == POOL_TYPE


def test_seeding_again_keeps_the_state(sim, gpu_ready):
    sim.world.seed_arm()
    assert [f["properties"]["state"] for f in sim.world.registrations.features(NAMESPACE)] == ["Registered"]


def test_driver_type_is_dropped_with_the_ga_api_version(gpu_ready, aks, aks_preview, names):
    body = windows_pool(gpuProfile={"driver": "Install", "driverType": "GRID"})
    aks.agent_pools.begin_create_or_update(*names, "gadrop", body).result(timeout=LRO_TIMEOUT)
    assert aks_preview.agent_pools.get(*names, "gadrop").properties.gpu_profile["driverType"] == "CUDA"


def test_pool_operations_on_the_wire(make_sim, until, arm_token):
    """201 + Azure-AsyncOperation, joining and refusing while in flight, no-op 200, update, 202 delete."""
    server = make_sim(1 / 1000)
    wire = Wire(server, arm_token(server))  # a pool takes 0.42 s to create: room for requests while it is Creating
    url, body = wire.pool_url("gpulin"), {"properties": {"vmSize": T4, "osType": "Linux", "count": 1}}
    created = wire.request("PUT", url, body)
    assert created.status_code == 201 and created.json()["properties"]["provisioningState"] == "Creating"
    assert "_sim" not in created.json()
    operation_url = created.headers["Azure-AsyncOperation"]
    rerun = wire.request("PUT", url, body)
    assert (rerun.status_code, rerun.headers["Azure-AsyncOperation"]) == (201, operation_url)
    conflict = wire.request("PUT", url, {"properties": {**body["properties"], "count": 2}})
    assert (conflict.status_code, conflict.json()["code"]) == (409, "OperationNotAllowed")

    status = wire.request("GET", operation_url)
    # Under a second left: ARM's Retry-After is whole seconds, so the wait comes in the header azure-core also reads.
    assert status.json()["status"] == "InProgress" and "Retry-After" not in status.headers
    assert 0 < int(status.headers["retry-after-ms"]) <= 421 == int(created.headers["retry-after-ms"])
    until(lambda: wire.request("GET", operation_url).json()["status"] == "Succeeded")
    same = wire.request("PUT", url, body)
    assert same.status_code == 200 and "Azure-AsyncOperation" not in same.headers
    assert same.json()["properties"]["provisioningState"] == "Succeeded"

    scaled = wire.request("PUT", url, {"properties": {**body["properties"], "count": 2}})
    assert scaled.status_code == 200 and scaled.json()["properties"]["provisioningState"] == "Updating"
    until(lambda: wire.request("GET", url).json()["properties"]["provisioningState"] == "Succeeded")

    deleting = wire.request("DELETE", url)
    assert deleting.status_code == 202 and "Azure-AsyncOperation" in deleting.headers
    until(lambda: wire.request("GET", deleting.headers["Location"]).status_code == 204)
    assert wire.request("GET", url).status_code == 404
    assert wire.request("DELETE", url).status_code == 204


def test_count_change_goes_through_updating(sim, aks, names):
    body = {"properties": {"vmSize": "Standard_D4ds_v5", "osType": "Linux", "count": 1}}
    aks.agent_pools.begin_create_or_update(*names, "scale", body).result(timeout=LRO_TIMEOUT)
    body["properties"]["count"] = 3
    pool = aks.agent_pools.begin_create_or_update(*names, "scale", body).result(timeout=LRO_TIMEOUT)
    assert (pool.properties.count, pool.properties.provisioning_state) == (3, "Succeeded")


RULE_CASES = [  # (pool, body, AKS's code, the property it names); docs/aks-facts.md has each one's source
    ("GPU_Pool", windows_pool(), "InvalidParameter", "name"),
    ("gpupool1", windows_pool(), "WindowsAgentPoolNameTooLong", "name"),
    ("many", windows_pool(count=1001), "InvalidParameter", "properties.count"),
    ("winsys", windows_pool(mode="System"), "InvalidParameter", "properties.mode"),
    ("w19", windows_pool(osSKU="Windows2019"), "AgentPoolK8sVersionNotSupported", "properties.osSKU"),
    ("old", windows_pool(orchestratorVersion="1.28"), "AgentPoolK8sVersionNotSupported", "properties.orchestratorVersion"),
    ("bogus", windows_pool(orchestratorVersion="1.99"), "AgentPoolK8sVersionNotSupported", "properties.orchestratorVersion"),
    ("newer", windows_pool(orchestratorVersion="1.34"), "NodePoolMcVersionIncompatible", "properties.orchestratorVersion"),
    ("v100", windows_pool("Standard_NC6s_v3"), "BadRequest", "properties.vmSize"),
    ("amd", windows_pool("Standard_NV4as_v4"), "BadRequest", "properties.vmSize"),
    ("nosize", windows_pool("Standard_Z9_v9"), "BadRequest", "properties.vmSize"),
]


@pytest.mark.parametrize("pool, body, code, target", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_rules_are_answered_with_aks_codes(aks_preview, names, pool, body, code, target):
    error = arm_error(lambda: aks_preview.agent_pools.begin_create_or_update(*names, pool, body))
    assert (error.status_code, error.error.code, error.error.target) == (400, code, target)


def test_aks_errors_have_aks_shape_on_the_wire(sim, arm_token):
    wire = Wire(sim, arm_token(sim))
    answer = wire.request("PUT", wire.pool_url("gpupool1"), windows_pool())
    assert answer.status_code == 400
    assert set(answer.json()) == {"code", "details", "message", "subcode", "target"}


ACCEPTED_CASES = [  # what only labkit advises against: AKS creates these, so the simulator does too
    ("wnp2", {"properties": {"count": 1, "orchestratorVersion": "1.33", "osSKU": "Windows2022", "osType": "Windows",
                             "vmSize": "Standard_D4s_v3"}}),  # spec example AgentPoolsCreate_WindowsOSSKU.json
    ("w25", windows_pool(osSKU="Windows2025")),  # without enableFIPS
    ("nodrv", windows_pool(gpuProfile={"driver": "None", "driverType": "CUDA"})),
    ("linsku", {"properties": {"vmSize": "Standard_D4s_v3", "osType": "Linux", "orchestratorVersion": ""}}),
    ("older", windows_pool(orchestratorVersion="1.32.7")),
]


@pytest.mark.parametrize("pool, body", ACCEPTED_CASES, ids=[c[0] for c in ACCEPTED_CASES])
def test_what_aks_accepts_is_accepted(gpu_ready, aks_preview, names, pool, body):
    created = aks_preview.agent_pools.begin_create_or_update(*names, pool, body).result(timeout=LRO_TIMEOUT)
    assert created.properties.provisioning_state == "Succeeded"
    aks_preview.agent_pools.begin_delete(*names, pool)


def test_gpu_profile_and_size_cannot_change_on_an_existing_pool(gpu_ready, aks, names):
    aks.agent_pools.begin_create_or_update(*names, "nodrv", windows_pool(gpuProfile={"driver": "None"})).result(
        timeout=LRO_TIMEOUT)
    error = arm_error(lambda: aks.agent_pools.begin_create_or_update(
        *names, "nodrv", windows_pool(gpuProfile={"driver": "Install"})))
    assert (error.status_code, error.error.code, error.error.target) == (
        400, "PropertyChangeNotAllowed", "properties.gpuProfile")
    error = arm_error(lambda: aks.agent_pools.begin_create_or_update(
        *names, "nodrv", windows_pool("Standard_NC8as_T4_v3")))
    assert (error.error.code, error.error.target) == ("PropertyChangeNotAllowed", "properties.vmSize")


def test_gpu_quota_is_per_family(gpu_ready, aks, names):
    error = arm_error(lambda: aks.agent_pools.begin_create_or_update(*names, "big", windows_pool("Standard_ND96asr_v4")))
    assert (error.status_code, error.error.code) == (400, "ErrCode_InsufficientVCPUQuota")
    assert error.error.message.startswith(
        "Insufficient vcpu quota requested 96, remaining 48 for family standardNDASv4_A100Family for region eastus.")


def test_paths_are_case_insensitive_and_need_an_api_version(sim, arm_token):
    wire = Wire(sim, arm_token(sim))
    lower = wire.pool_url("nodepool1").replace("resourceGroups", "resourcegroups").replace("agentPools", "agentpools")
    assert wire.request("GET", lower.replace("/subscriptions/", "/SUBSCRIPTIONS/")).json()["name"] == "nodepool1"
    missing = wire.request("GET", lower, api_version="")
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "MissingApiVersionParameter")


def test_requests_without_the_token_are_refused(sim):
    context = ssl.create_default_context(cafile=str(sim.state_dir / "ca.pem"))
    url = f"{Wire(sim, '').pool_url('nodepool1')}?api-version={GA_API_VERSION}"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, context=context, timeout=5)
    assert info.value.code == 401
    assert json.loads(info.value.read())["error"]["code"] == "AuthenticationFailed"


def test_conditional_puts_guard_a_pool_as_the_spec_documents(gpu_ready, aks, names):
    from azure.core import MatchConditions
    from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

    missing = {"match_condition": MatchConditions.IfMissing}
    pool = aks.agent_pools.begin_create_or_update(*names, "once", windows_pool(), **missing).result(timeout=LRO_TIMEOUT)
    with pytest.raises(ResourceExistsError):  # If-None-Match: * -> 412: two labs never adopt one pool
        aks.agent_pools.begin_create_or_update(*names, "once", windows_pool(), **missing)
    stale = pool.properties.e_tag
    unmodified = {"etag": stale, "match_condition": MatchConditions.IfNotModified}
    scaled = aks.agent_pools.begin_create_or_update(*names, "once", windows_pool(count=2), **unmodified)
    assert scaled.result(timeout=LRO_TIMEOUT).properties.e_tag != stale
    with pytest.raises(ResourceModifiedError):  # If-Match with an old eTag -> 412
        aks.agent_pools.begin_create_or_update(*names, "once", windows_pool(count=1), **unmodified)


@pytest.mark.parametrize("body", [
    [], {"properties": []}, {"properties": {"vmSize": 5}}, {"properties": {"vmSize": T4, "count": "2"}},
    {"properties": {"vmSize": T4, "count": True}}, {"properties": {"vmSize": T4, "nodeTaints": [1]}},
    {"properties": {"vmSize": T4, "nodeLabels": {"a": 1}}}, {"properties": {"vmSize": T4, "orchestratorVersion": "1.x"}},
    {"properties": {"vmSize": T4, "count": -1}}, {"properties": {"vmSize": T4, "gpuProfile": {"driver": 7}}},
])
def test_odd_bodies_get_a_400_never_a_500(sim, body, arm_token):
    wire = Wire(sim, arm_token(sim))
    answer = wire.request("PUT", wire.pool_url("odd"), body)
    assert answer.status_code == 400, answer.text


def test_odd_queries_and_headers_get_4xx(sim, arm_token):
    wire = Wire(sim, arm_token(sim))
    sub = f"{sim.url}/subscriptions/{sim.config.subscription_id}"
    assert wire.request("GET", f"{sub}/providers/Microsoft.Compute/skus?api-version=2021-07-01&$filter=name eq 'x'",
                        api_version="").status_code == 400
    answer = wire.session.put(wire.pool_url("odd") + f"?api-version={GA_API_VERSION}", json=windows_pool(),
                              headers={"If-Match": '"nope"'}, verify=str(sim.state_dir / "ca.pem"))
    assert (answer.status_code, answer.json()["error"]["code"]) == (412, "PreconditionFailed")
