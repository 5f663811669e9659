"""The simulated subscription and its tenant as ARM lists them, and the cloud ARM describes at /metadata/endpoints.

Shapes: the Microsoft.Resources subscriptions spec, 2022-12-01 (azure-rest-api-specs, specification/resources/
resource-manager/Microsoft.Resources/stable/2022-12-01/examples/GetSubscription.json, GetSubscriptions.json,
GetTenants.json); the cloud's fields as ARM's metadata endpoint and the template function environment() name them
(learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-deployment#environment), of which `az
cloud register` reads name, authentication.loginEndpoint, authentication.audiences[0] and resourceManager
(azure-cli, azure/cli/core/cloud.py, _arm_to_cli_mapper).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from labkit.sim.entra.directory import ARM_AUDIENCES
from labkit.sim.store import Obj

if TYPE_CHECKING:
    from labkit.sim.world import SimConfig

#: The cloud's name as `az cloud register` and `az cloud show` use it.
CLOUD_NAME = "LabkitSimulator"
SUBSCRIPTION_NAME = "labkit simulator"
TENANT_NAME = "labkit simulated tenant"


class Subscriptions:
    """The one subscription the simulator has, in its one tenant."""

    def __init__(self, config: "SimConfig"):
        self.config = config

    def get(self, subscription_id: str) -> Optional[Obj]:
        return self._subscription() if subscription_id.lower() == self.config.subscription_id.lower() else None

    def list(self) -> list[Obj]:
        return [self._subscription()]

    def tenants(self) -> list[Obj]:
        tenant = self.config.tenant_id
        return [{"id": f"/tenants/{tenant}", "tenantId": tenant, "countryCode": "US", "displayName": TENANT_NAME,
                 "domains": ["labkit.invalid"], "tenantCategory": "Home", "defaultDomain": "labkit.invalid",
                 "tenantType": "AAD"}]

    def _subscription(self) -> Obj:
        sub = self.config.subscription_id
        return {"id": f"/subscriptions/{sub}", "subscriptionId": sub, "tenantId": self.config.tenant_id,
                "displayName": SUBSCRIPTION_NAME, "state": "Enabled",
                "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                         "spendingLimit": "Off"},
                "authorizationSource": "RoleBased", "managedByTenants": [], "tags": {}}


def cloud(server_url: str) -> Obj:
    """The simulator as a cloud: ARM and the Entra authority both at ``server_url``, ARM's own audiences."""
    return {
        "name": CLOUD_NAME,
        "portal": server_url,
        "resourceManager": f"{server_url}/",
        "authentication": {"loginEndpoint": server_url, "audiences": list(ARM_AUDIENCES[::2]), "tenant": "common",
                           "identityProvider": "AAD"},
        "suffixes": {},
    }
