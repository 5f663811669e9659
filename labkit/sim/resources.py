"""The Kubernetes resources the simulator serves, and the discovery documents kubectl reads about them.

Example:
    >>> lookup("apps", "v1", "daemonsets").kind
    'DaemonSet'
    >>> by_kind("Pod").api_version
    'v1'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
STATUS_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class Resource:
    """One served resource type, as discovery describes it.

    Attributes:
        name: The plural resource name in URLs (``pods``).
        singular: The singular name (``pod``).
        kind: The object kind (``Pod``).
        group: The API group, ``""`` for core.
        version: The API version within the group.
        namespaced: Whether objects live in a namespace.
        short_names: kubectl's abbreviations (``po``).
        subresources: Served subresources (``status``, ``log``).
        categories: Discovery categories (``all`` puts it in ``kubectl get all``).
        fields: Field selector labels beyond ``metadata.name`` and ``metadata.namespace``.
        returns_deleted_object: Whether DELETE answers with the object rather than a Status.
        verbs: What clients may do with the collection and its objects.
    """

    name: str
    singular: str
    kind: str
    group: str
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ("status",)
    categories: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    returns_deleted_object: bool = False
    verbs: tuple[str, ...] = ALL_VERBS

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """How the apiserver names the resource in messages: ``pods``, ``daemonsets.apps``."""
        return f"{self.name}.{self.group}" if self.group else self.name

    def discovery_entries(self) -> list[dict[str, Any]]:
        """This resource's entries in an APIResourceList, subresources included."""
        main: dict[str, Any] = {
            "name": self.name, "singularName": self.singular, "namespaced": self.namespaced,
            "kind": self.kind, "verbs": list(self.verbs),
        }
        if self.short_names:
            main["shortNames"] = list(self.short_names)
        if self.categories:
            main["categories"] = list(self.categories)
        subs = [
            {"name": f"{self.name}/{sub}", "singularName": "", "namespaced": self.namespaced, "kind": self.kind,
             "verbs": ["get"] if sub == "log" else list(STATUS_VERBS)}
            for sub in self.subresources
        ]
        return [main, *subs]


RESOURCES: tuple[Resource, ...] = (
    Resource("namespaces", "namespace", "Namespace", "", "v1", False, ("ns",), fields=("status.phase",),
             returns_deleted_object=True, verbs=tuple(v for v in ALL_VERBS if v != "deletecollection")),
    Resource("nodes", "node", "Node", "", "v1", False, ("no",), fields=("spec.unschedulable",)),
    Resource("pods", "pod", "Pod", "", "v1", True, ("po",), ("status", "log"), ("all",),
             fields=("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                     "status.phase", "status.podIP", "status.nominatedNodeName"),
             returns_deleted_object=True),
    # kubectl cluster-info lists the kube-system services labelled kubernetes.io/cluster-service=true.
    Resource("services", "service", "Service", "", "v1", True, ("svc",), categories=("all",),
             fields=("spec.clusterIP", "spec.type")),
    Resource("events", "event", "Event", "", "v1", True, ("ev",), (),
             fields=("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                     "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                     "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type")),
    Resource("daemonsets", "daemonset", "DaemonSet", "apps", "v1", True, ("ds",), categories=("all",)),
    # The daemon controller's template history, which kubectl rollout history and undo read.
    Resource("controllerrevisions", "controllerrevision", "ControllerRevision", "apps", "v1", True, subresources=()),
    Resource("jobs", "job", "Job", "batch", "v1", True, categories=("all",), fields=("status.successful",)),
    # kubectl describe node shows the node's lease from kube-node-lease.
    Resource("leases", "lease", "Lease", "coordination.k8s.io", "v1", True, subresources=()),
)

_BY_PATH = {(r.group, r.version, r.name): r for r in RESOURCES}
_BY_KIND = {r.kind: r for r in RESOURCES}
GROUP_VERSIONS: tuple[tuple[str, str], ...] = tuple(dict.fromkeys((r.group, r.version) for r in RESOURCES))


def lookup(group: str, version: str, name: str) -> Optional[Resource]:
    """The resource served at ``/apis/<group>/<version>/<name>`` (``/api/v1/<name>`` for core)."""
    return _BY_PATH.get((group, version, name))


def by_kind(kind: str) -> Optional[Resource]:
    return _BY_KIND.get(kind)


def api_versions() -> dict[str, Any]:
    """The ``/api`` document."""
    return {"kind": "APIVersions", "apiVersion": "v1", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}


def api_group(group: str) -> Optional[dict[str, Any]]:
    """The ``/apis/<group>`` document, or None when the group is not served."""
    versions = [{"groupVersion": f"{g}/{v}", "version": v} for g, v in GROUP_VERSIONS if g == group and g]
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions,
            "preferredVersion": versions[0]}


def api_group_list() -> dict[str, Any]:
    """The ``/apis`` document: every named group."""
    groups = [api_group(g) for g in dict.fromkeys(g for g, _ in GROUP_VERSIONS if g)]
    for group in groups:
        group.pop("kind")
        group.pop("apiVersion")
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_resource_list(group: str, version: str) -> Optional[dict[str, Any]]:
    """The ``/api/v1`` or ``/apis/<group>/<version>`` document, or None when not served."""
    if (group, version) not in GROUP_VERSIONS:
        return None
    entries = [e for r in RESOURCES if (r.group, r.version) == (group, version) for e in r.discovery_entries()]
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version, "resources": entries}
