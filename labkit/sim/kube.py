"""The Kubernetes API plane: discovery, CRUD, patch, watch, pod logs and Tables, as the real clients use them.

Paths are those of kube-apiserver (``/api/v1/...``, ``/apis/<group>/<version>/...``); objects live in
``world.store``. What each client needs is in ``SIMULATOR_NOTES.md``; the resource types served are in
:mod:`labkit.sim.resources`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from aiohttp import web

from labkit.sim import admission, apierrors, bodies, defaults, network, patch, protobuf, resources, schema, selection, tables, validation
from labkit.sim.apierrors import ApiError
from labkit.sim.resources import Resource
from labkit.sim.store import Conflict, NotFound, StateLost, rfc3339
from labkit.sim.watch import Stream, Watches

log = logging.getLogger("labkit.sim.kube")

Obj = dict[str, Any]

#: The namespaces every cluster starts with.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
#: Namespaces the apiserver refuses to delete.
UNDELETABLE_NAMESPACES = ("default", "kube-system", "kube-public")

#: How long a watch lasts when the client does not say, in seconds.
DEFAULT_WATCH_TIMEOUT = 1800
#: How often an idle stream checks whether its client went away, in seconds.
IDLE_CHECK = 1.0
#: How often ``logs?follow=true`` looks for new log text, in seconds.
LOG_POLL = 0.1

_PATCHES: dict[str, Callable[[Any, Any], Any]] = {
    "application/json-patch+json": patch.json_patch,
    "application/merge-patch+json": patch.merge_patch,
    "application/strategic-merge-patch+json": patch.strategic_merge,
}
_PROTOBUF_OPENAPI = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


@dataclass(frozen=True)
class Target:
    """What a resource URL names: a collection (no name), an object, or an object's subresource."""

    resource: Resource
    namespace: str
    name: str = ""
    subresource: str = ""


def add_routes(app: web.Application, world) -> None:
    """Serve the Kubernetes API on ``app`` and seed the system namespaces."""
    plane = KubePlane(world)
    plane.seed()
    app.router.add_get("/version{slash:/?}", plane.version)  # the kubernetes client asks for /version/
    app.router.add_get("/openapi/v2", plane.openapi_v2)
    app.router.add_route("*", "/api{tail:(?:/.*)?}", plane.core)
    app.router.add_route("*", "/apis{tail:(?:/.*)?}", plane.named)
    # kubectl >= 1.27 asks for OpenAPI v3 first; a 404 Status sends it to /openapi/v2.
    app.router.add_route("*", "/openapi/v3{tail:(?:/.*)?}", plane.not_found)
    app.on_shutdown.append(plane.shutdown)


class KubePlane:
    """The request handlers, over one world's store."""

    def __init__(self, world):
        self.world = world
        self.store = world.store
        self.watches = Watches(world.store)
        self.closing = False

    def seed(self) -> None:
        """Create what every AKS cluster starts with and is missing: system namespaces and services."""
        for obj in _seed_objects():
            meta = obj["metadata"]
            if self.store.get(obj["kind"], meta.get("namespace", ""), meta["name"]) is None:
                self._store_new(resources.by_kind(obj["kind"]), obj)

    async def shutdown(self, app: web.Application) -> None:
        """End open watches and log streams so the server stops at once."""
        self.closing = True
        self.watches.end_all()

    # --- discovery ----------------------------------------------------------------------------------

    async def version(self, request: web.Request) -> web.Response:
        version = self.world.config.kubernetes_version
        major, minor = version.split(".")[:2]
        return web.json_response({
            "major": major, "minor": minor, "gitVersion": f"v{version}", "gitCommit": "0" * 40,
            "gitTreeState": "clean", "buildDate": "2025-06-01T00:00:00Z", "goVersion": "go1.24.4",
            "compiler": "gc", "platform": "linux/amd64",
        })

    async def openapi_v2(self, request: web.Request) -> web.Response:
        """An empty OpenAPI document: kubectl then skips client-side validation of the kinds it lacks."""
        if "protobuf" in request.headers.get("Accept", "") or "json" not in request.headers.get("Accept", ""):
            return web.Response(body=b"", content_type=_PROTOBUF_OPENAPI)
        version = self.world.config.kubernetes_version
        return web.json_response({"swagger": "2.0", "info": {"title": "Kubernetes", "version": f"v{version}"},
                                  "paths": {}, "definitions": {}})

    async def not_found(self, request: web.Request) -> web.Response:
        return status_response(apierrors.route_not_found())

    async def core(self, request: web.Request) -> web.StreamResponse:
        """``/api``, ``/api/v1`` and everything under it."""
        parts = _parts(request.match_info["tail"])
        if not parts:
            return web.json_response(resources.api_versions())
        return await self._serve(request, "", parts[0], parts[1:])

    async def named(self, request: web.Request) -> web.StreamResponse:
        """``/apis``, ``/apis/<group>``, ``/apis/<group>/<version>`` and everything under them."""
        parts = _parts(request.match_info["tail"])
        if not parts:
            return web.json_response(resources.api_group_list())
        if len(parts) == 1:
            group = resources.api_group(parts[0])
            return web.json_response(group) if group else status_response(apierrors.route_not_found())
        return await self._serve(request, parts[0], parts[1], parts[2:])

    async def _serve(self, request: web.Request, group: str, version: str, parts: list[str]) -> web.StreamResponse:
        try:
            if not parts:
                listing = resources.api_resource_list(group, version)
                if listing is None:
                    raise apierrors.route_not_found()
                return web.json_response(listing)
            return await self._dispatch(request, _target(group, version, parts))
        except ApiError as error:
            return status_response(error)
        except StateLost:
            raise  # the server answers it, and stops
        except Exception as error:  # an answer the client can read beats a dropped connection
            log.exception("kube request %s %s failed", request.method, request.path_qs)
            return status_response(ApiError(500, "InternalError", f"Internal error occurred: {error}"))

    async def _dispatch(self, request: web.Request, target: Target) -> web.StreamResponse:
        scope = target.subresource or ("object" if target.name else "collection")
        handler = {
            "collection": {"GET": self._list, "POST": self._create, "DELETE": self._delete_collection},
            "object": {"GET": self._get, "PUT": self._replace, "PATCH": self._patch, "DELETE": self._delete},
            "status": {"GET": self._get, "PUT": self._replace, "PATCH": self._patch},
            "log": {"GET": self._logs},
        }[scope].get(request.method)
        if handler is None or (handler == self._delete_collection and "deletecollection" not in target.resource.verbs):
            raise apierrors.method_not_allowed(request.method)
        return await handler(request, target)

    # --- read ---------------------------------------------------------------------------------------

    async def _get(self, request: web.Request, target: Target) -> web.Response:
        obj = self._existing(target)
        if _wants_table(request) and not target.subresource:
            return web.json_response(self._table(request, target.resource, [obj]))
        return web.json_response(obj)

    async def _list(self, request: web.Request, target: Target) -> web.StreamResponse:
        matches = _selector(request, target.resource)
        if _flag(request.query.get("watch")):
            return await self._watch(request, target, matches)
        items = [o for o in self._objects(target) if matches(o)]
        if _wants_table(request):
            return web.json_response(self._table(request, target.resource, items))
        return web.json_response(self._list_body(target.resource, items))

    def _objects(self, target: Target) -> list[Obj]:
        return self.store.list(target.resource.kind, target.namespace or None)

    def _list_body(self, resource: Resource, items: list[Obj]) -> Obj:
        return {"kind": f"{resource.kind}List", "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": self.store.resource_version}, "items": items}

    def _table(self, request: web.Request, resource: Resource, objects: list[Obj]) -> Obj:
        return tables.table(resource.kind, objects, include_object=request.query.get("includeObject", "Metadata"),
                            now=time.time(), resource_version=self.store.resource_version)

    def _existing(self, target: Target) -> Obj:
        obj = self.store.get(target.resource.kind, target.namespace, target.name)
        if obj is None:
            raise apierrors.not_found(target.resource, target.name)
        return obj

    # --- watch --------------------------------------------------------------------------------------

    async def _watch(self, request: web.Request, target: Target, matches: selection.Predicate) -> web.StreamResponse:
        timeout = request.query.get("timeoutSeconds", "")
        if timeout and not timeout.isdigit():
            raise apierrors.bad_request(f"invalid timeoutSeconds {timeout!r}")
        stream, first = self.watches.open(
            target.resource.kind, target.namespace, matches,
            resource_version=request.query.get("resourceVersion", ""), current=lambda: self._objects(target))
        response = _stream_response("application/json")
        try:
            await response.prepare(request)
            render = self._watch_renderer(request, target.resource)
            for event in first:
                if _gone(request):
                    return response
                await _send(response, render(event))
            if not any(kind == "ERROR" for kind, _ in first):
                await self._relay(request, stream, response, render, int(timeout or DEFAULT_WATCH_TIMEOUT))
        except ConnectionError:
            pass  # the client went away: a closed watch is no error
        finally:
            self.watches.close(stream)
        return response

    async def _relay(self, request: web.Request, stream: Stream, response: web.StreamResponse,
                     render: Callable[[Any], bytes], timeout: float) -> None:
        """Write the stream's events until the timeout, shutdown, or the client leaving."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.closing and (remaining := deadline - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(stream.queue.get(), min(remaining, IDLE_CHECK))
            except asyncio.TimeoutError:
                if _gone(request):
                    return
                continue
            if event is None or _gone(request):
                return
            await _send(response, render(event))

    def _watch_renderer(self, request: web.Request, resource: Resource) -> Callable[[Any], bytes]:
        as_table = _wants_table(request)

        def render(event: tuple[str, Obj]) -> bytes:
            kind, obj = event
            if as_table and kind != "ERROR":
                obj = self._table(request, resource, [obj])
            return json.dumps({"type": kind, "object": obj}).encode() + b"\n"

        return render

    # --- pod logs -----------------------------------------------------------------------------------

    async def _logs(self, request: web.Request, target: Target) -> web.StreamResponse:
        pod = self._existing(target)
        _check_log_container(pod, request.query.get("container", ""))
        text = _tail(self.store.log(target.namespace, target.name), request.query)
        if not _flag(request.query.get("follow")):
            return web.Response(text=text, content_type="text/plain")
        response = _stream_response("text/plain")
        try:
            await response.prepare(request)
            await response.write(text.encode())
            await self._follow(request, target, response, len(self.store.log(target.namespace, target.name)))
        except ConnectionError:
            pass  # the client stopped following
        return response

    async def _follow(self, request: web.Request, target: Target, response: web.StreamResponse, sent: int) -> None:
        """Write log text as it is appended, until the pod finishes or goes, or the client leaves."""
        while not self.closing and not _gone(request):
            await asyncio.sleep(LOG_POLL)
            pod = self.store.get("Pod", target.namespace, target.name)
            text = self.store.log(target.namespace, target.name)
            if len(text) > sent:
                await response.write(text[sent:].encode())
                sent = len(text)
            if pod is None or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                return

    # --- write --------------------------------------------------------------------------------------

    async def _create(self, request: web.Request, target: Target) -> web.Response:
        if target.resource.namespaced and not target.namespace:
            raise apierrors.method_not_allowed(request.method)
        body = await _body(request)
        obj = _as_new_object(target, body)
        if _dry_run(request, {}):
            return web.json_response(self._admit_new(target.resource, obj), status=201)
        return web.json_response(self._store_new(target.resource, obj), status=201)

    def _store_new(self, resource: Resource, obj: Obj) -> Obj:
        obj = self._admit_new(resource, obj)
        _check_stored_size(obj)
        try:
            return self.store.create(obj)
        except Conflict:
            meta = obj["metadata"]
            existing = self.store.get(resource.kind, meta.get("namespace", ""), meta["name"]) or {}
            deleting = bool(existing.get("metadata", {}).get("deletionTimestamp"))
            raise apierrors.already_exists(resource, meta["name"], deleting=deleting) from None

    def _admit_new(self, resource: Resource, obj: Obj) -> Obj:
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(random.choices(defaults.SAFE_ALPHABET, k=5))
        if resource.namespaced:
            self._check_namespace_open(resource, meta["namespace"], meta.get("name", ""))
        return admission.admit_create(resource, obj)

    def _check_namespace_open(self, resource: Resource, namespace: str, name: str) -> None:
        found = self.store.get("Namespace", "", namespace)
        if found is None:
            raise apierrors.not_found(resources.by_kind("Namespace"), namespace)
        if (found.get("status") or {}).get("phase") == "Terminating":
            why = f"unable to create new content in namespace {namespace} because it is being terminated"
            raise apierrors.forbidden(resource, name, why,
                                      {"reason": "NamespaceTerminating", "message": why, "field": "metadata.namespace"})

    async def _replace(self, request: web.Request, target: Target) -> web.Response:
        body = await _body(request)
        if not isinstance(body, dict):
            raise apierrors.bad_request("the body of a replace must be a JSON object")
        return self._store_update(request, target, body, self._existing(target))

    async def _patch(self, request: web.Request, target: Target) -> web.Response:
        content_type = request.content_type
        apply_patch = _PATCHES.get(content_type)
        if apply_patch is None:
            raise apierrors.unsupported_media_type(content_type)
        old = self._existing(target)
        patched = apply_patch(old, await _body(request))
        if not isinstance(patched, dict):
            raise apierrors.bad_request("the patch did not produce an object")
        return self._store_update(request, target, patched, old)

    def _store_update(self, request: web.Request, target: Target, body: Obj, old: Obj) -> web.Response:
        resource = target.resource
        new = _as_update(target, body, old)
        defaults.apply(new)
        if target.subresource == "status":
            validation.validate(resource, new)
        else:
            validation.validate_update(resource, new, old)
        if _dry_run(request, {}):
            return web.json_response(new)
        _check_stored_size(new)
        try:
            return web.json_response(self.store.update(new))
        except NotFound:
            raise apierrors.not_found(resource, target.name) from None

    async def _delete(self, request: web.Request, target: Target) -> web.Response:
        options = await _delete_options(request)
        obj = self._existing(target)
        _check_preconditions(target, obj, options.get("preconditions") or {})
        if _dry_run(request, options):
            return web.json_response(obj if target.resource.returns_deleted_object else _success(target, obj))
        if target.resource.kind == "Namespace":
            return web.json_response(self._terminate_namespace(target, obj))
        deleted = self.store.delete(target.resource.kind, target.namespace, target.name)
        return web.json_response(deleted if target.resource.returns_deleted_object else _success(target, deleted))

    def _terminate_namespace(self, target: Target, namespace: Obj) -> Obj:
        """Mark the namespace Terminating; the controllers empty it and then remove it."""
        if target.name in UNDELETABLE_NAMESPACES:
            raise apierrors.forbidden(target.resource, target.name, "this namespace may not be deleted")
        if namespace["metadata"].get("deletionTimestamp"):
            return namespace
        namespace["metadata"]["deletionTimestamp"] = rfc3339()
        namespace["metadata"]["deletionGracePeriodSeconds"] = 0
        namespace.setdefault("status", {})["phase"] = "Terminating"
        return self.store.update(namespace)

    async def _delete_collection(self, request: web.Request, target: Target) -> web.Response:
        options = await _delete_options(request)
        matches = _selector(request, target.resource)
        doomed = [o for o in self._objects(target) if matches(o)]
        if not _dry_run(request, options):
            for obj in doomed:
                self.store.delete(obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        return web.json_response(self._list_body(target.resource, doomed))


def _seed_objects() -> list[Obj]:
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in SYSTEM_NAMESPACES]
    apiserver = {"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "kubernetes", "namespace": "default",
                              "labels": {"component": "apiserver", "provider": "kubernetes"}},
                 "spec": {"clusterIP": network.KUBERNETES_SERVICE_IP, "ports": [{"name": "https", "port": 443, "targetPort": 443}]}}
    dns = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "kube-dns", "namespace": "kube-system",
                        "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                   "kubernetes.io/name": "CoreDNS", "addonmanager.kubernetes.io/mode": "Reconcile"}},
           "spec": {"clusterIP": network.DNS_SERVICE_IP, "selector": {"k8s-app": "kube-dns"},
                    "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                              {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}}
    return [*namespaces, apiserver, dns]


# --- requests ---------------------------------------------------------------------------------------


def _parts(tail: str) -> list[str]:
    return [p for p in tail.split("/") if p]


def _target(group: str, version: str, parts: list[str]) -> Target:
    """Resolve ``[namespaces, <ns>,] <resource>[, <name>[, <subresource>]]`` to a served target."""
    namespace = ""
    if len(parts) >= 3 and parts[0] == "namespaces":
        nested = resources.lookup(group, version, parts[2])
        if nested is not None and nested.namespaced:
            namespace, parts = parts[1], parts[2:]
    resource = resources.lookup(group, version, parts[0])
    if resource is None or len(parts) > 3:
        raise apierrors.route_not_found()
    name = parts[1] if len(parts) > 1 else ""
    subresource = parts[2] if len(parts) > 2 else ""
    if (subresource and subresource not in resource.subresources) or (resource.namespaced and name and not namespace):
        raise apierrors.route_not_found()
    return Target(resource, namespace, name, subresource)


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        raise apierrors.bad_request("the request has no body")
    if request.content_type == "application/vnd.kubernetes.protobuf":
        return protobuf.decode(raw)
    try:
        return bodies.decode_yaml(raw) if "yaml" in request.content_type else bodies.decode_json(raw)
    except bodies.Undecodable as error:
        raise apierrors.bad_request(f"couldn't get version/kind; json parse error: {error}") from None


async def _delete_options(request: web.Request) -> Obj:
    options: Obj = {}
    if request.can_read_body:
        raw = await request.read()
        if raw:
            try:
                options = bodies.decode_json(raw)
            except bodies.Undecodable as error:
                raise apierrors.bad_request(f"invalid DeleteOptions: {error}") from None
    return options if isinstance(options, dict) else {}


def _flag(value: Optional[str]) -> bool:
    return (value or "").lower() in ("true", "1")


def _dry_run(request: web.Request, options: Obj) -> bool:
    return "All" in request.query.getall("dryRun", []) or "All" in (options.get("dryRun") or [])


def _wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _selector(request: web.Request, resource: Resource) -> selection.Predicate:
    by_label = selection.label_selector(request.query.get("labelSelector", ""))
    by_field = selection.field_selector(request.query.get("fieldSelector", ""), resource.fields)
    return lambda obj: by_label(obj) and by_field(obj)


async def _send(response: web.StreamResponse, data: bytes) -> None:
    """Write, then let the loop run once: a connection the client dropped is seen before the next write
    (over TLS the write itself does not notice, and asyncio would warn of every write after)."""
    await response.write(data)
    await asyncio.sleep(0)


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _stream_response(content_type: str) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": content_type, "Cache-Control": "no-cache"})
    response.enable_chunked_encoding()
    return response


def status_response(error: ApiError) -> web.Response:
    """The Kubernetes plane's answer to ``error``: its ``Status``, with the status code it carries."""
    return web.json_response(error.status, status=error.status["code"])


def _success(target: Target, obj: Obj) -> Obj:
    details = {"name": target.name, "kind": target.resource.name, "uid": obj["metadata"].get("uid", "")}
    if target.resource.group:
        details["group"] = target.resource.group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


# --- objects ----------------------------------------------------------------------------------------

#: Metadata only the server sets; a client's values are dropped on create.
_SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                    "deletionGracePeriodSeconds", "generation", "selfLink", "managedFields")


def _as_new_object(target: Target, body: Any) -> Obj:
    """The body of a create, checked against the URL, with server-owned metadata removed."""
    obj = _typed(target.resource, body)
    meta = obj["metadata"] = obj.get("metadata") or {}
    for field in _SERVER_METADATA:
        meta.pop(field, None)
    if target.resource.namespaced:
        _place(meta, target.namespace)
    else:
        meta.pop("namespace", None)
    return obj


def _as_update(target: Target, body: Obj, old: Obj) -> Obj:
    """The object to store for a replace or patch: URL checks, precondition, and what the endpoint may change."""
    resource = target.resource
    new = _typed(resource, body)
    meta = new["metadata"] = new.get("metadata") or {}
    if meta.get("name", target.name) != target.name:
        raise apierrors.bad_request(
            f"the name of the object ({meta.get('name')}) does not match the name on the URL ({target.name})")
    meta["name"] = target.name
    if resource.namespaced:
        _place(meta, target.namespace)
    version = meta.get("resourceVersion")
    if version and version != old["metadata"]["resourceVersion"]:
        raise apierrors.conflict(resource, target.name, "the object has been modified; please apply your changes "
                                                        "to the latest version and try again")
    if target.subresource == "status":
        return {**old, "status": new.get("status") or {}}
    if "status" in resource.subresources:
        new["status"] = old.get("status") or {}
    for field in ("deletionTimestamp", "deletionGracePeriodSeconds"):
        if field in old["metadata"]:
            meta[field] = old["metadata"][field]
    return new


def _typed(resource: Resource, body: Any) -> Obj:
    """The body decoded as the resource's type (400 as kube-apiserver words it), with its apiVersion and kind."""
    if not isinstance(body, dict):
        raise apierrors.bad_request(f"couldn't get version/kind; json parse error: {_TYPE_META_ERROR % schema.json_type(body)}")
    for field, expected in (("apiVersion", resource.api_version), ("kind", resource.kind)):
        given = body.get(field)
        if given and given != expected:
            raise apierrors.bad_request(
                f"the {field} in the data ({given}) does not match the expected {field} ({expected})")
    try:
        typed = schema.decode(resource.kind, resource.version, body)
    except schema.TypeMismatch as error:
        raise apierrors.bad_request(str(error)) from None
    return {"apiVersion": resource.api_version, "kind": resource.kind,
            **{k: v for k, v in typed.items() if k not in ("apiVersion", "kind")}}


#: What Go says when a body is not an object, from the apiserver's first decode into TypeMeta.
_TYPE_META_ERROR = ('json: cannot unmarshal %s into Go value of type struct { APIVersion string '
                    '"json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }')


def _check_stored_size(obj: Obj) -> None:
    if len(json.dumps(obj)) > bodies.MAX_STORED_OBJECT_BYTES:
        raise apierrors.request_entity_too_large("etcdserver: request is too large")


def _place(meta: Obj, namespace: str) -> None:
    given = meta.get("namespace")
    if given and given != namespace:
        raise apierrors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request")
    meta["namespace"] = namespace


def _check_preconditions(target: Target, obj: Obj, preconditions: Obj) -> None:
    for field in ("uid", "resourceVersion"):
        wanted = preconditions.get(field)
        if wanted and wanted != obj["metadata"].get(field):
            raise apierrors.conflict(target.resource, target.name,
                                     f"Precondition failed: {field} in precondition: {wanted}, "
                                     f"{field} in object meta: {obj['metadata'].get(field)}")


def _check_log_container(pod: Obj, container: str) -> None:
    """Refuse a log request the way the kubelet does: unknown container, or one not started yet."""
    name = pod["metadata"]["name"]
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    names = [c.get("name") for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])]
    if not container:
        main = [c.get("name") for c in spec.get("containers") or []]
        if len(main) != 1:
            raise apierrors.bad_request(
                f"a container name must be specified for pod {name}, choose one of: [{' '.join(main)}]")
        container = main[0]
    if container not in names:
        raise apierrors.bad_request(f"container {container} is not valid for pod {name}")
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    state = next((s.get("state") or {} for s in statuses if s.get("name") == container), {})
    if "running" not in state and "terminated" not in state:
        reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
        raise apierrors.bad_request(f'container "{container}" in pod "{name}" is waiting to start: {reason}')


def _tail(text: str, query) -> str:
    """Apply ``tailLines`` and ``limitBytes``."""
    lines = query.get("tailLines", "")
    if lines.isdigit():
        text = "".join(text.splitlines(keepends=True)[-int(lines):]) if int(lines) else ""
    limit = query.get("limitBytes")
    if limit and limit.isdigit():
        text = text.encode()[: int(limit)].decode(errors="ignore")
    return text
