"""The :class:`Lab`: one object, built from the parameters, holding the backend, its clients and a kubeconfig.

Example:
    >>> from labkit import Lab, load_params
    >>> lab = Lab(load_params())  # starts the simulator if needed   # doctest: +SKIP
    >>> lab.cluster_version()                    # doctest: +SKIP
    (1, 33)
"""

from __future__ import annotations

import shutil
from functools import cached_property
from pathlib import Path
from typing import Any

from labkit import catalog
from labkit.backend import Backend, connect
from labkit.catalog import GA_API_VERSION, PREVIEW_API_VERSION
from labkit.errors import OperationError
from labkit.failures import reported
from labkit.params import LabParams
from labkit.files import private_dir, write_private
from labkit.user_agent import USER_AGENT


class Lab:
    """The lab's connection to one backend. The same code serves the simulator and Azure."""

    def __init__(self, params: LabParams):
        self.params = params
        self.backend: Backend = connect(params)

    def __repr__(self) -> str:
        p = self.params
        return (f"Lab(lab={p.lab_id!r}, backend={p.backend!r}, cloud={self.backend.cloud.name}, "
                f"cluster={p.resource_group}/{p.cluster_name}, endpoint={self.backend.arm_endpoint})")

    # --- Azure clients ----------------------------------------------------------------------------

    @cached_property
    def aks(self) -> Any:
        """ContainerServiceClient on the GA api-version."""
        return self._container_service(GA_API_VERSION)

    @cached_property
    def aks_preview(self) -> Any:
        """ContainerServiceClient on the preview api-version, the only one that knows ``driverType``."""
        return self._container_service(PREVIEW_API_VERSION)

    def _container_service(self, api_version: str) -> Any:
        from azure.mgmt.containerservice import ContainerServiceClient

        b = self.backend
        return ContainerServiceClient(b.credential, b.subscription_id, api_version=api_version, **b.client_options())

    @cached_property
    def compute(self) -> Any:
        """ComputeManagementClient: the region's VM sizes and vCPU quota (usages)."""
        from azure.mgmt.compute import ComputeManagementClient

        b = self.backend
        return ComputeManagementClient(b.credential, b.subscription_id, **b.client_options())

    @cached_property
    def features(self) -> Any:
        from azure.mgmt.resource.features import FeatureClient

        b = self.backend
        return FeatureClient(b.credential, b.subscription_id, **b.client_options())

    @cached_property
    def resources(self) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient

        b = self.backend
        return ResourceManagementClient(b.credential, b.subscription_id, **b.client_options())

    def cluster(self) -> Any:
        """The managed cluster the lab works on."""
        with reported(f"reading cluster {self.params.cluster_name}"):
            return self.aks.managed_clusters.get(self.params.resource_group, self.params.cluster_name)

    def cluster_version(self) -> catalog.Version:
        return catalog.parse_version(kubernetes_version(self.cluster()))

    @cached_property
    def region(self) -> str:
        """The cluster's Azure region, where its pools' VMs run, are priced and draw quota."""
        return self.cluster().location

    # --- Kubernetes ----------------------------------------------------------------------------------

    @cached_property
    def kubeconfig_path(self) -> Path:
        """The cluster-user kubeconfig, fetched the AKS way and written 0600 outside the repository."""
        p = self.params
        with reported("fetching cluster credentials"):
            result = self.aks.managed_clusters.list_cluster_user_credentials(p.resource_group, p.cluster_name)
        kubeconfig = result.kubeconfigs[0].value
        _require_exec_plugins(kubeconfig)
        path = private_dir(self.backend.kubeconfig_dir) / f"{self.backend.subscription_id[:8]}-{p.resource_group}-{p.cluster_name}.yaml"
        write_private(path, kubeconfig)
        return path

    @cached_property
    def k8s(self) -> Any:
        """The cluster's Kubernetes API (see :mod:`labkit.k8s`)."""
        from kubernetes import config
        from kubernetes.dynamic import DynamicClient

        from labkit.k8s import Kubernetes

        api_client = config.new_client_from_config(config_file=str(self.kubeconfig_path))
        api_client.user_agent = USER_AGENT
        with reported("reading the cluster's API discovery"):
            return Kubernetes(DynamicClient(api_client))

    def wait_options(self) -> dict[str, float]:
        """Keyword arguments for :func:`labkit.waiting.wait_for`."""
        return {"timeout_minutes": self.params.timeout_minutes, "poll_seconds": self.backend.poll_seconds}


def kubernetes_version(cluster: Any) -> str:
    """The version the cluster's control plane runs (during an upgrade, the one it runs now)."""
    return cluster.properties.current_kubernetes_version or cluster.properties.kubernetes_version


def _require_exec_plugins(kubeconfig: bytes) -> None:
    """Entra ID clusters' kubeconfigs run kubelogin; without it the client would go on with no credentials."""
    import yaml

    for user in yaml.safe_load(kubeconfig).get("users") or []:
        command = (user.get("user") or {}).get("exec", {}).get("command")
        if command and shutil.which(command) is None:
            raise OperationError(
                "fetching cluster credentials", "CredentialPluginMissing",
                f"the cluster's kubeconfig runs {command!r} (a Microsoft Entra ID cluster), which is not installed",
                "Install it with `az aks install-cli` (or from https://aka.ms/aks/kubelogin), then run this cell again.",
            )
