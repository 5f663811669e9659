"""The ARM plane's routes: which handler answers which method and path. ARM matches paths in any letter case."""

from __future__ import annotations

import re

from aiohttp import web

from labkit.sim.arm import responses as r
from labkit.sim.world import World

_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_RG = _SUB + r"/resourcegroups/(?P<rg>[^/]+)"
_CLUSTER = _RG + r"/providers/Microsoft\.ContainerService/managedClusters/(?P<cluster>[^/]+)"
_POOL = _CLUSTER + r"/agentPools/(?P<pool>[^/]+)"
_FEATURES = _SUB + r"/providers/Microsoft\.Features/providers/(?P<ns>[^/]+)/features"
_LOCATION = _SUB + r"/providers/Microsoft\.ContainerService/locations/(?P<loc>[^/]+)"

#: (method, path pattern, handler), tried in order.
ROUTES: list[r.Route] = [
    (method, re.compile(pattern, re.IGNORECASE), handler)
    for method, pattern, handler in [
        ("GET", _RG, r.get_resource_group),
        ("HEAD", _RG, r.resource_group_exists),
        ("GET", _SUB + r"/providers/(?P<ns>[^/]+)", r.get_provider),
        ("POST", _SUB + r"/providers/(?P<ns>[^/]+)/register", r.register_provider),
        ("GET", _FEATURES, r.list_features),
        ("GET", _FEATURES + r"/(?P<feature>[^/]+)", r.get_feature),
        ("POST", _FEATURES + r"/(?P<feature>[^/]+)/register", r.register_feature),
        ("GET", _SUB + r"/providers/Microsoft\.ContainerService/managedClusters", r.list_all_clusters),
        ("GET", _RG + r"/providers/Microsoft\.ContainerService/managedClusters", r.list_clusters),
        ("GET", _CLUSTER, r.get_cluster),
        ("POST", _CLUSTER + r"/listClusterUserCredential", r.user_credentials),
        ("POST", _CLUSTER + r"/listClusterAdminCredential", r.admin_credentials),
        ("GET", _CLUSTER + r"/agentPools", r.list_pools),
        ("GET", _POOL, r.get_pool),
        ("PUT", _POOL, r.put_pool),
        ("DELETE", _POOL, r.delete_pool),
        ("GET", _LOCATION + r"/operations/(?P<op>[^/]+)", r.get_operation),
        ("GET", _LOCATION + r"/operationresults/(?P<op>[^/]+)", r.get_operation_result),
    ]
]


def add_routes(app: web.Application, world: World) -> None:
    """Serve every path under ``/subscriptions`` (any letter case) from :data:`ROUTES`."""

    async def arm(request: web.Request) -> web.StreamResponse:
        return await r.dispatch(request, world, ROUTES)

    app.router.add_route("*", "/{root:(?i:subscriptions)}{tail:(/.*)?}", arm)
