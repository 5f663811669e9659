"""The ARM plane's routes: which handler answers which method and path. ARM matches paths in any letter case."""

from __future__ import annotations

import re
from functools import partial

from aiohttp import web

from labkit.sim.arm import responses as r
from labkit.sim.world import World

_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_RG = _SUB + r"/resourcegroups/(?P<rg>[^/]+)"
_CLUSTER = _RG + r"/providers/Microsoft\.ContainerService/managedClusters/(?P<cluster>[^/]+)"
_POOL = _CLUSTER + r"/agentPools/(?P<pool>[^/]+)"
_FEATURES = _SUB + r"/providers/Microsoft\.Features/providers/(?P<ns>[^/]+)/features"
_LOCATION = _SUB + r"/providers/Microsoft\.ContainerService/locations/(?P<loc>[^/]+)"
_COMPUTE = _SUB + r"/providers/Microsoft\.Compute"

#: (method, path pattern, handler, resource type for the api-version check), tried in order.
ROUTES: list[r.Route] = [
    (method, re.compile(pattern, re.IGNORECASE), handler, resource_type)
    for method, pattern, handler, resource_type in [
        ("GET", r"/subscriptions", r.list_subscriptions, "subscriptions"),
        ("GET", _SUB, r.get_subscription, "subscriptions"),
        ("GET", r"/tenants", r.list_tenants, "tenants"),
        ("GET", _RG, r.get_resource_group, "resourceGroups"),
        ("HEAD", _RG, r.resource_group_exists, "resourceGroups"),
        ("GET", _SUB + r"/providers/(?P<ns>[^/]+)", r.get_provider, "providers"),
        ("POST", _SUB + r"/providers/(?P<ns>[^/]+)/register", r.register_provider, "providers"),
        ("GET", _FEATURES, r.list_features, "features"),
        ("GET", _FEATURES + r"/(?P<feature>[^/]+)", r.get_feature, "features"),
        ("POST", _FEATURES + r"/(?P<feature>[^/]+)/register", r.register_feature, "features"),
        ("GET", _SUB + r"/providers/Microsoft\.ContainerService/managedClusters", r.list_all_clusters, "managedClusters"),
        ("GET", _RG + r"/providers/Microsoft\.ContainerService/managedClusters", r.list_clusters, "managedClusters"),
        ("GET", _CLUSTER, r.get_cluster, "managedClusters"),
        ("POST", _CLUSTER + r"/listClusterUserCredential", r.user_credentials, "managedClusters"),
        ("POST", _CLUSTER + r"/listClusterAdminCredential", r.admin_credentials, "managedClusters"),
        ("GET", _CLUSTER + r"/agentPools", r.list_pools, "managedClusters/agentPools"),
        ("GET", _POOL, r.get_pool, "managedClusters/agentPools"),
        ("PUT", _POOL, r.put_pool, "managedClusters/agentPools"),
        ("DELETE", _POOL, r.delete_pool, "managedClusters/agentPools"),
        ("GET", _LOCATION + r"/operations/(?P<op>[^/]+)", r.get_operation, "locations/operations"),
        ("GET", _LOCATION + r"/operationresults/(?P<op>[^/]+)", r.get_operation_result, "locations/operationresults"),
        ("GET", _LOCATION + r"/kubernetesVersions", r.list_kubernetes_versions, "locations/kubernetesVersions"),
        ("GET", _COMPUTE + r"/skus", r.list_skus, "skus"),
        ("GET", _COMPUTE + r"/locations/(?P<loc>[^/]+)/usages", r.list_usages, "locations/usages"),
    ]
]


def add_routes(app: web.Application, world: World) -> list[web.AbstractRoute]:
    """Serve every path under ``/subscriptions`` and ``/tenants`` (any letter case) from :data:`ROUTES`, and ARM's
    metadata; returns the routes that need no token (the metadata), for the authentication gate."""

    async def arm(request: web.Request) -> web.StreamResponse:
        return await r.dispatch(request, world, ROUTES)

    app.router.add_route("*", "/{root:(?i:subscriptions|tenants)}{tail:(/.*)?}", arm)
    return [app.router.add_get("/{root:(?i:metadata/endpoints)}", partial(r.cloud_metadata, world=world))]
