"""Resource ids of the simulated subscription, spelled as ARM spells them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.sim.world import SimConfig

PROVIDER = "Microsoft.ContainerService"


class ArmIds:
    """Every id and collection prefix the models store resources under."""

    def __init__(self, config: "SimConfig"):
        self.config = config
        self.subscription = f"/subscriptions/{config.subscription_id}"

    def resource_group(self, name: str) -> str:
        return f"{self.subscription}/resourceGroups/{name}"

    def provider(self, namespace: str) -> str:
        return f"{self.subscription}/providers/{namespace}"

    def features(self, namespace: str) -> str:
        return f"{self.subscription}/providers/Microsoft.Features/providers/{namespace}/features/"

    def feature(self, namespace: str, name: str) -> str:
        return self.features(namespace) + name

    def clusters(self, resource_group: str) -> str:
        return f"{self.resource_group(resource_group)}/providers/{PROVIDER}/managedClusters/"

    def cluster(self, resource_group: str, name: str) -> str:
        return self.clusters(resource_group) + name

    @property
    def cluster_id(self) -> str:
        """The one cluster the simulator runs."""
        return self.cluster(self.config.resource_group, self.config.cluster_name)

    @property
    def pools(self) -> str:
        return f"{self.cluster_id}/agentPools/"

    def pool(self, name: str) -> str:
        return self.pools + name

    def operation(self, operation_id: str) -> str:
        return f"{self.subscription}/providers/{PROVIDER}/locations/{self.config.location}/operations/{operation_id}"
