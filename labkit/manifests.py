"""The YAML the lab applies, loaded from ``manifests/`` with the lesson's namespace and GPU resource.

Example:
    >>> docs = load("windows-gpu-workload.yaml", namespace="gpu-lab", gpu_resource_name="microsoft.com.directx/gpu")
    >>> docs[0]["metadata"]["namespace"]
    'gpu-lab'
    >>> docs[0]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    {'microsoft.com.directx/gpu': '1'}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

#: Where the manifests live: beside the package in a checkout.
MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifests"

NAMESPACE = "namespace.yaml"
DEVICE_PLUGIN = "k8s-directx-device-plugin.yaml"
GPU_WORKLOAD = "windows-gpu-workload.yaml"

#: The label on every Kubernetes object the lab creates; cleanup removes only what carries it.
MANAGED_BY = ("app.kubernetes.io/managed-by", "labkit")

_SHIPPED_NAMESPACE = "gpu-resources"
_SHIPPED_RESOURCE = "microsoft.com/directx"
_SHIPPED_IMAGE_TAG = "ltsc2022"
_WINDOWS_BASE_IMAGE = "mcr.microsoft.com/windows/servercore:"


def load(
    name: str,
    *,
    namespace: str = _SHIPPED_NAMESPACE,
    gpu_resource_name: str = _SHIPPED_RESOURCE,
    windows_image_tag: str = _SHIPPED_IMAGE_TAG,
) -> list[dict[str, Any]]:
    """The documents of one manifest, with namespace, GPU resource name and Windows base image tag substituted.

    The tag must match the nodes' Windows version (ltsc2019, ltsc2022, ltsc2025): process-isolated Windows
    containers run only on the build they were made for.
    """
    docs = [d for d in yaml.safe_load_all((MANIFEST_DIR / name).read_text()) if d]
    return [_substitute(doc, namespace, gpu_resource_name, windows_image_tag) for doc in docs]


def dump(docs: list[dict[str, Any]]) -> str:
    """YAML text of the documents, for ``kubectl apply -f -`` or for showing in a lesson."""
    return yaml.safe_dump_all(docs, sort_keys=False)


def _substitute(doc: dict[str, Any], namespace: str, resource: str, image_tag: str) -> dict[str, Any]:
    if doc.get("kind") == "Namespace":
        doc["metadata"]["name"] = namespace
    elif "namespace" in doc.get("metadata", {}):
        doc["metadata"]["namespace"] = namespace
    for container in _containers(doc):
        if container["image"].startswith(_WINDOWS_BASE_IMAGE):
            container["image"] = _WINDOWS_BASE_IMAGE + image_tag
        for section in container.get("resources", {}).values():
            if _SHIPPED_RESOURCE in section:
                section[resource] = section.pop(_SHIPPED_RESOURCE)
    return doc


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    pod_spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return pod_spec.get("containers", [])
