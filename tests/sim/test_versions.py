"""Kubernetes versions AKS offers, and ARM's api-version check, through the real SDKs and on the wire."""

from __future__ import annotations

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.resource.features import FeatureClient
from azure.mgmt.resource.resources import ResourceManagementClient

from labkit.sim.arm import api_versions
from labkit.sim.client import credential


def client(cls, sim, **options):
    return cls(credential(sim.state_dir, sim.url), sim.config.subscription_id, base_url=sim.url,
               connection_verify=str(sim.state_dir / "ca.pem"), **options)


def test_offered_versions_as_az_aks_get_versions_reads_them(sim):
    versions = client(ContainerServiceClient, sim).managed_clusters.list_kubernetes_versions("eastus").values_property
    by_minor = {v.version: v for v in versions}
    assert by_minor["1.33"].is_default and "1.33.2" in by_minor["1.33"].patch_versions
    assert by_minor["1.35"].is_preview
    assert by_minor["1.32"].patch_versions["1.32.6"].upgrades == ["1.32.7", "1.33.1", "1.33.2"]


@pytest.mark.parametrize("make_client, call", [
    (lambda sim: client(ContainerServiceClient, sim, api_version="2099-13-45"),
     lambda c, sim: c.managed_clusters.get(sim.config.resource_group, sim.config.cluster_name)),
    (lambda sim: client(ContainerServiceClient, sim, api_version="2017-07-01"),
     lambda c, sim: list(c.agent_pools.list(sim.config.resource_group, sim.config.cluster_name))),
    (lambda sim: client(ComputeManagementClient, sim),  # its operations take the api-version per call
     lambda c, sim: list(c.usage.list("eastus", api_version="bogus"))),
])
def test_a_provider_type_answers_an_unknown_api_version_with_arm_s_400(sim, make_client, call):
    with pytest.raises(HttpResponseError) as caught:
        call(make_client(sim), sim)
    assert (caught.value.status_code, caught.value.error.code) == (400, "NoRegisteredProviderFound")
    assert "The supported api-versions are '" in caught.value.error.message


def test_arm_s_own_types_answer_invalid_api_version_parameter(sim, arm_token):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {arm_token(sim)}"
    url = f"{sim.url}/subscriptions/{sim.config.subscription_id}/resourcegroups/{sim.config.resource_group}"
    answer = session.get(url, params={"api-version": "2099-01-01"}, verify=str(sim.state_dir / "ca.pem"))
    error = answer.json()["error"]
    assert (answer.status_code, error["code"]) == (400, "InvalidApiVersionParameter")
    assert error["message"].startswith("The api-version '2099-01-01' is invalid. The supported versions are '2025-04-01")


def test_every_api_version_the_kit_s_sdks_and_az_use_is_supported(sim):
    """The SDKs in pyproject (their defaults, the preview one labkit uses) and az 2.91's, per resource type."""
    used = {
        "managedClusters/agentPools": ["2026-08-01", "2026-08-02-preview", "2026-06-01", "2026-01-01"],
        "features": ["2021-07-01"], "providers": ["2025-04-01", "2024-11-01"],
        "skus": ["2021-07-01", "2019-04-01"], "locations/usages": ["2026-04-01", "2024-11-01"],
    }
    for resource_type, versions in used.items():
        for version in versions:
            api_versions.require(resource_type, version, "eastus")
    assert client(FeatureClient, sim).features.get("Microsoft.ContainerService", "WindowsGPUPreview")
    assert client(ResourceManagementClient, sim).resource_groups.get(sim.config.resource_group)
