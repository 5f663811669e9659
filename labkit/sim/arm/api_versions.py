"""Which api-versions each resource type has, and ARM's answer to one it does not have.

ARM routes a request to a resource provider only for an api-version the provider registered for
that resource type; otherwise it answers 400 itself. For types ARM serves itself (resource groups,
providers, features) the code is InvalidApiVersionParameter, "The api-version 'X' is invalid. The
supported versions are '...'" (captured: github.com/Azure/azure-cli/issues/28038); for a provider's
types it is NoRegisteredProviderFound, "No registered resource provider found for location 'L' and API
version 'X' for type 'T'. The supported api-versions are '...'" (captured: github.com/Azure/azure-cli/issues/28368).
"""

from __future__ import annotations

from labkit.sim.arm.exceptions import ArmError


def _monthly(first_year: int, last: tuple[int, int]) -> list[str]:
    """AKS publishes a GA api-version (YYYY-MM-01) and a preview (YYYY-MM-02-preview) about every month."""
    months = [(y, m) for y in range(first_year, last[0] + 1) for m in range(1, 13) if (y, m) <= last]
    return [v for y, m in months for v in (f"{y}-{m:02d}-01", f"{y}-{m:02d}-02-preview")]


#: managedClusters' list as AKS answered it in 2024 (azure-cli#28368, up to 2023-11-01), then the monthly
#: pattern up to the versions azure-mgmt-containerservice 41.0-41.9 use (2026-01-01 ... 2026-08-01, 2026-08-02-preview;
#: az 2.91 ships 41.6, 2026-06-01).
CONTAINER_SERVICE = [
    "2017-08-31", "2018-03-31", "2019-02-01", "2019-04-01", "2019-06-01", "2019-08-01", "2019-10-01", "2019-11-01",
    "2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01", "2020-06-01", "2020-07-01", "2020-09-01", "2020-11-01",
    "2020-12-01", "2021-02-01", "2021-03-01", "2021-05-01", "2021-07-01", "2021-08-01", "2021-09-01", "2021-10-01",
    "2022-01-01", "2022-01-02-preview", "2022-02-01", "2022-03-01", "2022-03-02-preview", "2022-04-01",
    "2022-04-02-preview", "2022-05-02-preview", "2022-06-01", "2022-06-02-preview", "2022-07-01", "2022-07-02-preview",
    "2022-08-01", "2022-08-02-preview", "2022-08-03-preview", "2022-09-01", "2022-09-02-preview", "2022-10-02-preview",
    "2022-11-01", "2022-11-02-preview", *_monthly(2023, (2026, 8)),
]

#: Microsoft.Resources (resource groups, providers): azure-mgmt-resource 26 uses 2025-04-01, az 2.91 2024-11-01;
#: the older ones as ARM listed them (github.com/ansible-collections/azure/issues/1739).
RESOURCES = [
    "2025-04-01", "2024-11-01", "2024-08-01", "2024-07-01", "2024-03-01", "2023-07-01", "2022-12-01", "2022-09-01",
    "2022-05-01", "2022-01-01", "2021-04-01", "2021-01-01", "2020-10-01", "2020-06-01", "2019-10-01", "2019-08-01",
    "2019-07-01", "2019-05-10", "2019-05-01", "2018-05-01", "2018-02-01", "2017-05-10", "2016-09-01", "2016-02-01",
    "2015-11-01",
]

#: Subscriptions and tenants (ARM's own): az 2.91 and azure-mgmt-resource 26's SubscriptionClient use 2022-12-01;
#: the older ones as the Microsoft.Resources subscriptions specs list them (azure-rest-api-specs).
SUBSCRIPTIONS = ["2022-12-01", "2021-01-01", "2020-01-01", "2019-11-01", "2019-06-01", "2018-06-01", "2016-06-01"]

#: /metadata/endpoints: az 2.91 asks for 2022-09-01 (azure-cli, command_modules/cloud/custom.py); Azure PowerShell and
#: the Java SDK for 2019-05-01 and 2020-06-01 (Add-AzEnvironment -AutoDiscover, azure-core-management's MetadataEndpoint).
METADATA = ["2022-09-01", "2020-06-01", "2019-05-01"]

#: Microsoft.Features: azure-mgmt-resource-features 1.0 and az 2.91 use 2021-07-01; 2015-12-01 in Azure/AKS#984.
FEATURES = ["2021-07-01", "2015-12-01"]

#: Microsoft.Compute: azure-mgmt-compute 39 (skus 2021-07-01, usages 2026-04-01), az 2.91's aaz commands
#: (vm list-skus 2019-04-01, vm list-usage 2024-11-01).
COMPUTE_SKUS = ["2021-07-01", "2019-04-01", "2017-09-01"]
COMPUTE_USAGES = ["2026-04-01", "2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01"]

#: Resource type (as ARM names it in the message) -> its api-versions, and whether ARM itself serves it.
TYPES: dict[str, tuple[list[str], bool]] = {
    "metadata": (METADATA, True),
    "subscriptions": (SUBSCRIPTIONS, True),
    "tenants": (SUBSCRIPTIONS, True),
    "resourceGroups": (RESOURCES, True),
    "providers": (RESOURCES, True),
    "features": (FEATURES, True),
    "managedClusters": (CONTAINER_SERVICE, False),
    "managedClusters/agentPools": (CONTAINER_SERVICE, False),
    "locations/operations": (CONTAINER_SERVICE, False),
    "locations/operationresults": (CONTAINER_SERVICE, False),
    "locations/kubernetesVersions": (CONTAINER_SERVICE, False),
    "skus": (COMPUTE_SKUS, False),
    "locations/usages": (COMPUTE_USAGES, False),
}


def require(resource_type: str, api_version: str, location: str) -> None:
    """Raise ARM's 400 unless ``resource_type`` has ``api_version`` (compared case-insensitively, as ARM does)."""
    versions, arm_itself = TYPES[resource_type]
    if api_version.lower() in (v.lower() for v in versions):
        return
    supported = ", ".join(versions)
    if arm_itself:
        raise ArmError(400, "InvalidApiVersionParameter",
                       f"The api-version '{api_version}' is invalid. The supported versions are '{supported}'.")
    raise ArmError(400, "NoRegisteredProviderFound",
                   f"No registered resource provider found for location '{location}' and API version '{api_version}' "
                   f"for type '{resource_type}'. The supported api-versions are '{supported}'. "
                   f"The supported locations are '{location}'.")
