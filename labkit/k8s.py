"""The lab's Kubernetes access: the ``kubernetes`` client's DynamicClient, with plain dicts in and out.

The typed API classes (``CoreV1Api``) cost about 0.8 s to import in every kernel, the DynamicClient a
hundredth of that; objects come back as the dicts the API server sent (camelCase keys, as in YAML).

Example:
    >>> nodes = lab.k8s.list("Node", label_selector="kubernetes.io/os=windows")   # doctest: +SKIP
    >>> nodes[0]["status"]["allocatable"]["microsoft.com/directx"]                 # doctest: +SKIP
    '1'
"""

from __future__ import annotations

from typing import Any, Optional

from kubernetes.client.exceptions import ApiException

Obj = dict[str, Any]

#: Seconds to connect, and to wait for an answer, on every call: a stalled API server must not hang a cell.
REQUEST_TIMEOUT = (10, 60)

#: The kinds the lab works with, and their API versions.
API_VERSIONS = {"Namespace": "v1", "Node": "v1", "Pod": "v1", "Event": "v1", "DaemonSet": "apps/v1", "Job": "batch/v1"}


class Kubernetes:
    """Read, list, create, patch and delete objects of the kinds in :data:`API_VERSIONS`."""

    def __init__(self, dynamic_client: Any):
        self._client = dynamic_client

    def _resource(self, kind: str) -> Any:
        return self._client.resources.get(api_version=API_VERSIONS[kind], kind=kind)

    def list(self, kind: str, namespace: Optional[str] = None, **selectors: str) -> list[Obj]:
        """Objects of a kind, in one namespace or all; ``label_selector=``/``field_selector=`` narrow it."""
        return self._client.get(self._resource(kind), namespace=namespace, _request_timeout=REQUEST_TIMEOUT, **selectors).to_dict()["items"]

    def read(self, kind: str, name: str, namespace: Optional[str] = None) -> Optional[Obj]:
        """The object, or None when it does not exist."""
        try:
            return self._client.get(self._resource(kind), name=name, namespace=namespace, _request_timeout=REQUEST_TIMEOUT).to_dict()
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    def create(self, kind: str, body: Obj, namespace: Optional[str] = None) -> Obj:
        return self._client.create(self._resource(kind), body=body, namespace=namespace, _request_timeout=REQUEST_TIMEOUT).to_dict()

    def create_unless_exists(self, kind: str, body: Obj, namespace: Optional[str] = None) -> Optional[Obj]:
        """Create the object; None when one of that name exists already (the API server decides, atomically)."""
        try:
            return self.create(kind, body, namespace)
        except ApiException as error:
            if error.status == 409:
                return None
            raise

    def patch(self, kind: str, body: Obj, namespace: Optional[str] = None) -> Obj:
        """A strategic merge patch, as ``kubectl apply`` sends for these kinds."""
        return self._client.patch(self._resource(kind), body=body, namespace=namespace, _request_timeout=REQUEST_TIMEOUT).to_dict()

    def delete(self, kind: str, name: str, namespace: Optional[str] = None, *, propagation: str = "Background") -> bool:
        """Delete the object; False when it was already gone."""
        options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        try:
            self._client.delete(self._resource(kind), name=name, namespace=namespace, body=options, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return True

    def log(self, pod: str, namespace: str) -> str:
        response = self._client.request(
            "get", f"/api/v1/namespaces/{namespace}/pods/{pod}/log", serialize=False, _request_timeout=REQUEST_TIMEOUT,
        )
        return response.data.decode()
