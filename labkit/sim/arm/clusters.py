"""Resource groups and the managed cluster, with the kubeconfigs its credentials calls hand out."""

from __future__ import annotations

import base64
import copy
import hashlib
from pathlib import Path
from typing import Optional

from labkit.sim import network
from labkit.sim.arm.agent_pools import AgentPools
from labkit.sim.arm.exceptions import ArmError
from labkit.sim.arm.ids import PROVIDER, ArmIds
from labkit.sim.arm.records import Record, Records
from labkit.sim.faults import Faults
from labkit.sim.store import Obj


class Clusters:
    """The simulator's one cluster, its resource group and its node resource group."""

    def __init__(self, records: Records, ids: ArmIds, agent_pools: AgentPools, faults: Faults, *, ca_file: Path,
                 token: str):
        self._records, self._ids, self._agent_pools, self._faults = records, ids, agent_pools, faults
        self._ca_file, self._token = ca_file, token
        self._config = ids.config

    @property
    def node_resource_group(self) -> str:
        c = self._config
        return f"MC_{c.resource_group}_{c.cluster_name}_{c.location}"

    def seed(self) -> None:
        """The resource group, the node resource group and the cluster; existing ones stay as they are."""
        config = self._config
        for record in (
            Record(self._resource_group(config.resource_group)),
            Record({**self._resource_group(self.node_resource_group), "managedBy": self._ids.cluster_id}),
            Record(self._cluster()),
        ):
            if self._records.get(record.id) is None:
                self._records.put(record)

    def resource_group(self, name: str) -> Optional[Obj]:
        record = self._records.get(self._ids.resource_group(name))
        return record and record.resource

    def get(self, resource_group: str, name: str, api_version: str) -> Optional[Obj]:
        """The cluster as a response of ``api_version`` shows it, with its pools as agentPoolProfiles."""
        record = self._records.get(self._ids.cluster(resource_group, name))
        return None if record is None else self._view(record.resource, api_version)

    def list(self, resource_group: Optional[str], api_version: str) -> list[Obj]:
        """The clusters of a resource group, or of the subscription when it is None."""
        groups = [resource_group] if resource_group else [self._config.resource_group]
        return [self._view(r.resource, api_version) for g in groups for r in self._records.list(self._ids.clusters(g))]

    def kubeconfig(self, kind: str, server_url: str) -> Obj:
        """``listCluster{User,Admin}Credential``'s answer: one base64 kubeconfig for the Kubernetes plane.

        Raises:
            ArmError: 403 AuthorizationFailed while the credentials-forbidden fault is on.
        """
        from labkit.sim.world import kubeconfig_yaml  # world imports this module: import at call time

        if self._faults.active("credentials-forbidden"):
            action = f"{PROVIDER}/managedClusters/list{kind[0].upper()}{kind[1:]}Credential/action"
            # Text as ARM words it: learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors
            raise ArmError(403, "AuthorizationFailed",
                           f"The client 'labkit-learner' with object id '{self._config.subscription_id}' does not have "
                           f"authorization to perform action '{action}' over scope '{self._ids.cluster_id}' or the "
                           "scope is invalid. If access was recently granted, please refresh your credentials.")

        text = kubeconfig_yaml(self._config, server_url, self._ca_file.read_bytes(), self._token)
        if kind != "clusterUser":
            text = text.replace("clusterUser_", f"{kind}_")
        return {"kubeconfigs": [{"name": kind, "value": base64.b64encode(text.encode()).decode()}]}

    def _view(self, cluster: Obj, api_version: str) -> Obj:
        view = copy.deepcopy(cluster)
        view["properties"]["agentPoolProfiles"] = [
            {"name": pool.name, **pool.view(api_version)["properties"]} for pool in self._agent_pools.list()
        ]
        return view

    def _resource_group(self, name: str) -> Obj:
        return {"id": self._ids.resource_group(name), "name": name, "type": "Microsoft.Resources/resourceGroups",
                "location": self._config.location, "properties": {"provisioningState": "Succeeded"}}

    def _cluster(self) -> Obj:
        config = self._config
        cluster_id = self._ids.cluster_id
        dns_prefix = f"{config.cluster_name}-dns"
        suffix = hashlib.sha256(cluster_id.lower().encode()).hexdigest()[:8]
        return {
            "id": cluster_id,
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
                "nodeResourceGroup": self.node_resource_group,
                "enableRBAC": True,
                "networkProfile": network.PROFILE,
            },
        }
