"""The simulated region's Compute SKUs and vCPU quota, through azure-mgmt-compute's ComputeManagementClient."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.resource.features import FeatureClient

from labkit.sim import faults
from labkit.sim.client import credential

T4_FAMILY = "standardNCASv3_T4Family"


def client(cls, sim):
    return cls(credential(sim.state_dir, sim.url), sim.config.subscription_id, base_url=sim.url,
               connection_verify=str(sim.state_dir / "ca.pem"), polling_interval=0.01)


@pytest.fixture(scope="module")
def compute(sim):
    return client(ComputeManagementClient, sim)


@pytest.fixture(scope="module")
def aks(sim, until):
    features = client(FeatureClient, sim).features
    features.register("Microsoft.ContainerService", "WindowsGPUPreview")
    until(lambda: features.get("Microsoft.ContainerService", "WindowsGPUPreview").properties.state == "Registered")
    return client(ContainerServiceClient, sim)


def usage(compute, name):
    return next(u for u in compute.usage.list("eastus") if u.name.value == name)


def t4_pool(count=1):
    return {"properties": {"vmSize": "Standard_NC4as_T4_v3", "osType": "Windows", "count": count}}


def test_skus_of_the_region_carry_family_capabilities_zones_and_restrictions(compute):
    skus = {s.name: s for s in compute.resource_skus.list(filter="location eq 'eastus'")}
    t4 = skus["Standard_NC4as_T4_v3"]
    capabilities = {c.name: c.value for c in t4.capabilities}
    assert (t4.family, capabilities["vCPUs"], capabilities["GPUs"], capabilities["MemoryGB"]) == (
        "Standard NCASv3_T4 Family", "4", "1", "28")
    assert (t4.restrictions, t4.location_info[0].zones) == ([], ["1", "2", "3"])
    retired = skus["Standard_NC6s_v3"].restrictions[0]
    assert (retired.reason_code, retired.restriction_info.locations) == ("NotAvailableForSubscription", ["eastus"])
    assert "Standard_D4s_v3" in skus and list(compute.resource_skus.list(filter="location eq 'westus'")) == []


def test_usages_count_every_pool_of_the_cluster_including_the_system_pool(sim, compute, aks):
    regional = usage(compute, "cores")
    assert regional.name.localized_value == "Total Regional vCPUs" and regional.current_value == 4  # nodepool1
    assert usage(compute, "standardDDSv5Family").current_value == 4
    before = usage(compute, T4_FAMILY)
    aks.agent_pools.begin_create_or_update(sim.config.resource_group, sim.config.cluster_name, "usage", t4_pool(2))
    after = usage(compute, T4_FAMILY)
    assert (after.current_value - before.current_value, after.limit) == (8, 48)
    assert usage(compute, "cores").current_value == 12


def test_scaling_is_checked_against_the_family_quota(sim, aks, until):
    rg, cluster = sim.config.resource_group, sim.config.cluster_name
    aks.agent_pools.begin_create_or_update(rg, cluster, "scale", t4_pool(1)).result(timeout=10)
    with pytest.raises(HttpResponseError) as caught:
        aks.agent_pools.begin_create_or_update(rg, cluster, "scale", t4_pool(20))
    assert caught.value.error.code == "ErrCode_InsufficientVCPUQuota"
    assert "requested 76, remaining" in caught.value.error.message


@pytest.mark.parametrize("family, code", [(T4_FAMILY, "ErrCode_InsufficientVCPUQuota"), ("cores", "QuotaExceeded")])
def test_a_quota_fault_sets_a_family_or_the_region_to_zero(sim, compute, aks, family, code):
    faults.add(sim.state_dir, "quota", family=family)
    try:
        assert usage(compute, family).limit == 0
        with pytest.raises(HttpResponseError) as caught:
            aks.agent_pools.begin_create_or_update(sim.config.resource_group, sim.config.cluster_name, "zero", t4_pool())
        assert (caught.value.status_code, caught.value.error.code) == (400, code)
    finally:
        faults.clear(sim.state_dir)
