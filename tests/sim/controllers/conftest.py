"""Fixtures for the controllers' tests: the ``kubernetes`` client and pools on the module's simulator (``aks``
is in tests/sim/conftest.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml
from kubernetes import client, config


T4 = "Standard_NC4as_T4_v3"


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
