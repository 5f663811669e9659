"""The ARM plane's handlers: read the request, ask the models, shape ARM's answer. They keep no state."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Awaitable, Callable, Optional

from aiohttp import web

from labkit.sim.arm import api_versions, subscriptions
from labkit.sim.arm.agent_pools import AgentPool
from labkit.sim.arm.exceptions import ArmError, not_found
from labkit.sim.arm.ids import PROVIDER
from labkit.sim.origin import server_url
from labkit.sim.store import Obj
from labkit.sim.world import World

#: An ARM request's body, decoded once, as the server's body check leaves it (``{}`` when empty).
JSON_BODY = web.RequestKey("json_body", object)


@dataclass
class Call:
    """One ARM request as the handlers see it: the request, the world, the path's parts, the api-version."""

    request: web.Request
    world: World
    params: dict[str, str]
    api_version: str

    @property
    def base_url(self) -> str:
        """This server's own address, as the client reached it."""
        return server_url(self.request)


Handler = Callable[[Call], Awaitable[web.StreamResponse]]
#: (method, path pattern, handler, resource type as ARM names it).
Route = tuple[str, "re.Pattern[str]", Handler, str]


async def dispatch(request: web.Request, world: World, routes: list[Route]) -> web.StreamResponse:
    """Answer one request from the first route matching its method and path, or with ARM's error."""
    world.advance_arm()  # the controllers advance it too; doing it here keeps answers current on their own
    try:
        handler, params, resource_type = _route(routes, request.method, request.path.rstrip("/"))
        world.arm_requests[request.method, resource_type] += 1
        if "sub" in params and world.subscriptions.get(params["sub"]) is None:
            raise not_found("SubscriptionNotFound", f"The subscription '{params['sub']}' could not be found.")
        api_version = _api_version(request, resource_type, world)
        _injected_failure(request, world)
        return await handler(Call(request, world, params, api_version))
    except ArmError as error:
        return error_response(error)


async def cloud_metadata(request: web.Request, world: World) -> web.Response:
    """``GET /metadata/endpoints``: the cloud the simulator is, which ARM serves to anyone (no token, no faults)."""
    try:
        _api_version(request, "metadata", world)
    except ArmError as error:
        return error_response(error)
    return _json(subscriptions.cloud(server_url(request)))


def _api_version(request: web.Request, resource_type: str, world: World) -> str:
    api_version = request.query.get("api-version")
    if not api_version:
        raise ArmError(400, "MissingApiVersionParameter",
                       "The api-version query parameter (?api-version=) is required for all requests.")
    api_versions.require(resource_type, api_version, world.config.location)
    return api_version


def error_response(error: ArmError) -> web.Response:
    """ARM's answer to ``error``: its status, body and headers."""
    return web.json_response(error.body(), status=error.status, headers=error.headers)


def _injected_failure(request: web.Request, world: World) -> None:
    """The throttling and server-error faults: ARM's answers, which azure-core's retry policy retries."""
    throttle = world.faults.take("throttle")
    if throttle is not None:
        seconds = int(throttle["retry_after"])
        kind = "read" if request.method in ("GET", "HEAD") else "write"
        # Code, text and headers as ARM throttles (learn.microsoft.com/azure/azure-resource-manager/management/
        # request-limits-and-throttling): 429, Retry-After in whole seconds, the remaining-requests header at 0.
        raise ArmError(429, "SubscriptionRequestsThrottled",
                       f"Number of '{kind}' requests for subscription '{world.config.subscription_id}' exceeded. "
                       f"Please try again after '{seconds}' seconds after additional tokens are available. "
                       "Refer to https://aka.ms/arm-throttling for additional information.",
                       headers={"Retry-After": str(seconds), f"x-ms-ratelimit-remaining-subscription-{kind}s": "0"})
    failure = world.faults.take("server-error")
    if failure is not None:
        status = int(failure["status"])
        code, text = ("ServiceUnavailable", "The service is temporarily unavailable. Please retry the request.") \
            if status == 503 else ("InternalServerError", "Encountered internal server error.")
        raise ArmError(status, code, f"{text} Diagnostic information: tracking id '{uuid.uuid4()}'.")


def _route(routes: list[Route], method: str, path: str) -> tuple[Handler, dict[str, str], str]:
    path_known = False
    for route_method, pattern, handler, resource_type in routes:
        match = pattern.fullmatch(path)
        if match and route_method == method:
            return handler, match.groupdict(), resource_type
        path_known = path_known or bool(match)
    if path_known:
        raise ArmError(405, "HttpMethodNotAllowed", f"The HTTP method '{method}' is not supported at '{path}'.")
    raise not_found("InvalidResourceType", f"The resource type for '{path}' could not be found.")


# --- subscriptions and tenants ---------------------------------------------------------------------


async def list_subscriptions(call: Call) -> web.Response:
    return _json({"value": call.world.subscriptions.list()})


async def get_subscription(call: Call) -> web.Response:
    return _json(call.world.subscriptions.get(call.params["sub"]))


async def list_tenants(call: Call) -> web.Response:
    return _json({"value": call.world.subscriptions.tenants()})


# --- resource groups, providers, features ----------------------------------------------------------


async def get_resource_group(call: Call) -> web.Response:
    return _json(_require_resource_group(call))


async def resource_group_exists(call: Call) -> web.Response:
    _require_resource_group(call)
    return web.Response(status=204)


async def get_provider(call: Call) -> web.Response:
    return _registration(call, _found(call.world.registrations.provider(call.params["ns"]), _no_namespace(call)))


async def register_provider(call: Call) -> web.Response:
    provider = call.world.registrations.register_provider(call.params["ns"])
    return _registration(call, _found(provider, _no_namespace(call)))


async def list_features(call: Call) -> web.Response:
    return _json({"value": call.world.registrations.features(call.params["ns"])})


async def get_feature(call: Call) -> web.Response:
    feature = call.world.registrations.feature(call.params["ns"], call.params["feature"])
    return _registration(call, _found(feature, _no_feature(call)))


async def register_feature(call: Call) -> web.Response:
    feature = call.world.registrations.register_feature(call.params["ns"], call.params["feature"])
    return _registration(call, _found(feature, _no_feature(call)))


def _registration(call: Call, resource: Obj) -> web.Response:
    """A feature or provider, with how long its registration has left while it is under way."""
    seconds = call.world.registrations.seconds_left(resource)
    return _json(resource, headers=wait_headers(seconds) if seconds > 0 else {})


def _no_namespace(call: Call) -> ArmError:
    return not_found("InvalidResourceNamespace", f"The resource namespace '{call.params['ns']}' is invalid.")


def _no_feature(call: Call) -> ArmError:
    return not_found("FeatureNotFound", f"The feature '{call.params['feature']}' could not be found.")


def _require_resource_group(call: Call) -> Obj:
    group = call.world.clusters.resource_group(call.params["rg"])
    return _found(group, not_found("ResourceGroupNotFound", f"Resource group '{call.params['rg']}' could not be found."))


# --- managed clusters -------------------------------------------------------------------------------


async def list_all_clusters(call: Call) -> web.Response:
    return _json({"value": call.world.clusters.list(None, call.api_version)})


async def list_clusters(call: Call) -> web.Response:
    _require_resource_group(call)
    return _json({"value": call.world.clusters.list(call.params["rg"], call.api_version)})


async def get_cluster(call: Call) -> web.Response:
    return _json(_require_cluster(call))


async def user_credentials(call: Call) -> web.Response:
    _require_cluster(call)
    return _json(call.world.clusters.kubeconfig("clusterUser", call.base_url))


async def admin_credentials(call: Call) -> web.Response:
    _require_cluster(call)
    return _json(call.world.clusters.kubeconfig("clusterAdmin", call.base_url))


def _require_cluster(call: Call) -> Obj:
    _require_resource_group(call)
    rg, name = call.params["rg"], call.params["cluster"]
    cluster = call.world.clusters.get(rg, name, call.api_version)
    return _found(cluster, not_found(
        "ResourceNotFound",
        f"The Resource '{PROVIDER}/managedClusters/{name}' under resource group '{rg}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    ))


# --- agent pools --------------------------------------------------------------------------------------


async def list_pools(call: Call) -> web.Response:
    _require_cluster(call)
    return _json({"value": [p.view(call.api_version) for p in call.world.agent_pools.list()]})


async def get_pool(call: Call) -> web.Response:
    _require_cluster(call)
    pool = call.world.agent_pools.get(call.params["pool"])
    message = f"Could not find agent pool {call.params['pool']} in managed cluster {call.params['cluster']}."
    return _json(_found(pool, not_found("NotFound", message)).view(call.api_version))


async def put_pool(call: Call) -> web.StreamResponse:
    _require_cluster(call)
    headers = call.request.headers
    pool, outcome = call.world.agent_pools.create_or_update(
        call.params["pool"], call.request[JSON_BODY], call.api_version,
        if_match=headers.get("If-Match"), if_none_match=headers.get("If-None-Match"),
    )
    if outcome == "unchanged":
        return _json(pool.view(call.api_version))
    created = outcome == "created" or pool.provisioning_state == "Creating"
    return _operation_started(call, pool, 201 if created else 200)


async def delete_pool(call: Call) -> web.StreamResponse:
    _require_cluster(call)
    pool = call.world.agent_pools.delete(call.params["pool"])
    return web.Response(status=204) if pool is None else _operation_started(call, pool, 202)


# --- versions and Compute -----------------------------------------------------------------------------


async def list_kubernetes_versions(call: Call) -> web.Response:
    return _json({"values": call.world.agent_pools.kubernetes_versions()})


async def list_skus(call: Call) -> web.Response:
    location = _location_filter(call.request.query.get("$filter"))
    return _json({"value": call.world.compute.skus(location, date.today())})


async def list_usages(call: Call) -> web.Response:
    if call.params["loc"].lower() != call.world.config.location.lower():
        return _json({"value": []})
    return _json({"value": call.world.compute.usages()})


def _location_filter(text: Optional[str]) -> Optional[str]:
    """The location of ``$filter=location eq 'eastus'``, the one filter Microsoft.Compute/skus takes."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*location\s+eq\s+'([^']*)'\s*", text, re.IGNORECASE)
    if match is None:
        raise ArmError(400, "InvalidFilterInQueryString",
                       f"The filter '{text}' is not supported; use $filter=location eq '<location>'.")
    return match[1]


# --- long-running operations ------------------------------------------------------------------------


async def get_operation(call: Call) -> web.Response:
    operation = _require_operation(call)
    in_progress = operation["status"] == "InProgress"
    return _json(operation, headers=_operation_wait(call, operation["name"]) if in_progress else {})


async def get_operation_result(call: Call) -> web.Response:
    operation = _require_operation(call)
    if operation["status"] != "InProgress":
        return web.Response(status=204)
    headers = {"Location": _operation_url(call, operation["name"], "operationresults"),
               **_operation_wait(call, operation["name"])}
    return web.Response(status=202, headers=headers)


def _operation_started(call: Call, pool: AgentPool, status: int) -> web.Response:
    """The answer to a PUT or DELETE that started (or joined) an operation: ARM's async headers."""
    operation_id = pool.operation_id
    headers = {"Azure-AsyncOperation": _operation_url(call, operation_id, "operations"),
               **_operation_wait(call, operation_id)}
    if status == 202:
        headers["Location"] = _operation_url(call, operation_id, "operationresults")
        return web.Response(status=202, headers=headers)
    return _json(pool.view(call.api_version), status=status, headers=headers)


def _operation_url(call: Call, operation_id: str, kind: str) -> str:
    world = call.world
    return (f"{call.base_url}{world.ids.subscription}/providers/{PROVIDER}/locations/{world.config.location}"
            f"/{kind}/{operation_id}?api-version={call.api_version}")


def _operation_wait(call: Call, operation_id: str) -> dict[str, str]:
    return wait_headers(call.world.operations.seconds_left(operation_id))


def wait_headers(seconds: float) -> dict[str, str]:
    """How long a client should wait before asking again: the time the change has left.

    ARM's ``Retry-After`` is whole seconds (spec), which the simulator sends while a second or more is
    left. Its clock compresses minutes into fractions of a second, so below a second it sends
    ``retry-after-ms`` instead, the header azure-core reads when ``Retry-After`` is absent
    (``azure/core/pipeline/policies/_utils.py``, ``get_retry_after``): a client then asks once, as the
    change ends, instead of polling at its own pace. One millisecond more than left, so that it never asks
    a moment too early.
    """
    if seconds >= 1:
        return {"Retry-After": str(int(seconds))}
    return {"retry-after-ms": str(math.ceil(seconds * 1000) + 1)}


def _require_operation(call: Call) -> Obj:
    operation = call.world.operations.get(call.params["op"])
    return _found(operation, not_found("NotFound", f"Operation {call.params['op']} was not found."))


# --- helpers ------------------------------------------------------------------------------------------


def _found(value: Any, error: ArmError) -> Any:
    if value is None:
        raise error
    return value


def _json(body: Obj, status: int = 200, headers: Optional[dict[str, str]] = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)
