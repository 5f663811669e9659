"""Fixtures for the controllers' tests: the real SDK and ``kubernetes`` clients on the module's simulator."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.resource.features import FeatureClient
from kubernetes import client, config

from labkit.sim.client import credential as sim_credential

T4 = "Standard_NC4as_T4_v3"


@pytest.fixture(scope="module")
def aks(sim, until):
    """A ContainerServiceClient on the module's simulator, with the Windows GPU preview registered."""
    options = {"base_url": sim.url, "connection_verify": str(sim.state_dir / "ca.pem"), "polling_interval": 0.01}
    credential = sim_credential(sim.state_dir, sim.url)
    features = FeatureClient(credential, sim.config.subscription_id, **options)
    features.features.register("Microsoft.ContainerService", "WindowsGPUPreview")
    until(lambda: features.features.get("Microsoft.ContainerService", "WindowsGPUPreview").properties.state == "Registered",
          what="feature registration")
    return ContainerServiceClient(credential, sim.config.subscription_id, **options)


@pytest.fixture(scope="module")
def names(sim):
    """The simulated cluster's resource group and name."""
    return sim.config.resource_group, sim.config.cluster_name


@pytest.fixture(scope="module")
def kube(aks, names):
    """The ``kubernetes`` client's APIs (core, apps, batch, and the ApiClient) from the cluster user's kubeconfig."""
    value = aks.managed_clusters.list_cluster_user_credentials(*names).kubeconfigs[0].value
    api = config.new_client_from_config_dict(yaml.safe_load(value))
    return SimpleNamespace(core=client.CoreV1Api(api), apps=client.AppsV1Api(api), batch=client.BatchV1Api(api), api=api)


@pytest.fixture(scope="module")
def make_pool(aks, names):
    """``make_pool(name, driver="Install")``: a one-node Windows T4 pool, provisioned."""
    def make(name: str, *, driver: str = "Install", vm_size: str = T4, count: int = 1):
        body = {"properties": {"count": count, "vmSize": vm_size, "osType": "Windows", "mode": "User",
                               "gpuProfile": {"driver": driver}}}
        return aks.agent_pools.begin_create_or_update(*names, name, body).result(timeout=30)

    return make


@pytest.fixture(scope="module")
def gpu_of(sim, kube):
    """``gpu_of(node)``: the node's (capacity, allocatable) of the GPU resource."""
    def read(node_name: str):
        node = kube.core.read_node(node_name)
        resource = sim.config.gpu_resource_name
        return (node.status.capacity or {}).get(resource), (node.status.allocatable or {}).get(resource)

    return read
