"""The YAML the lab applies (``manifests/``), loaded with the lesson's namespace, GPU resource, lab and pool.

Example:
    >>> docs = load("windows-gpu-workload.yaml", namespace="gpu-lab", gpu_resource_name="microsoft.com.directx/gpu",
    ...             lab_id="team3", node_pool="gpudx")
    >>> docs[0]["metadata"]["namespace"], docs[0]["metadata"]["labels"]["labkit.io/lab"]
    ('gpu-lab', 'team3')
    >>> docs[0]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    {'microsoft.com.directx/gpu': '1'}
    >>> docs[0]["spec"]["template"]["spec"]["nodeSelector"]
    {'kubernetes.io/os': 'windows', 'kubernetes.azure.com/agentpool': 'gpudx'}
"""

from __future__ import annotations

from typing import Any, Optional

import yaml

from labkit import catalog
from labkit.identity import LAB_LABEL
from labkit.shipped import MANIFEST_DIR

NAMESPACE = "namespace.yaml"
DEVICE_PLUGIN = "k8s-directx-device-plugin.yaml"
GPU_WORKLOAD = "windows-gpu-workload.yaml"

#: The node label AKS gives every node of a pool: how the lab pins its DaemonSet and Job to its own pools.
POOL_LABEL = "kubernetes.azure.com/agentpool"

#: The values the files carry: the AKS doc's namespace, the DirectX resource name, Windows Server 2022 images.
SHIPPED_NAMESPACE = "gpu-resources"
SHIPPED_RESOURCE = catalog.DIRECTX_RESOURCE
SHIPPED_IMAGE_TAG = "ltsc2022"
_WINDOWS_BASE_IMAGE = "mcr.microsoft.com/windows/servercore:"


def load(
    name: str,
    *,
    namespace: str = SHIPPED_NAMESPACE,
    gpu_resource_name: str = SHIPPED_RESOURCE,
    windows_image_tag: str = SHIPPED_IMAGE_TAG,
    lab_id: Optional[str] = None,
    node_pool: Optional[str] = None,
) -> list[dict[str, Any]]:
    """The documents of one manifest, with the lesson's values substituted.

    The image tag must match the nodes' Windows version (ltsc2019, ltsc2022, ltsc2025): process-isolated
    Windows containers run only on the build they were made for. ``lab_id`` labels every object (and the
    pods it makes) as that lab's; ``node_pool`` keeps the pods on that pool's nodes.
    """
    docs = [d for d in yaml.safe_load_all((MANIFEST_DIR / name).read_text()) if d]
    for doc in docs:
        _substitute(doc, namespace, gpu_resource_name, windows_image_tag)
        if lab_id:
            _label(doc, lab_id)
        if node_pool:
            _pod_spec(doc)["nodeSelector"][POOL_LABEL] = node_pool
    return docs


def dump(docs: list[dict[str, Any]]) -> str:
    """YAML text of the documents, for ``kubectl apply -f -`` or for showing in a lesson."""
    return yaml.safe_dump_all(docs, sort_keys=False)


def _substitute(doc: dict[str, Any], namespace: str, resource: str, image_tag: str) -> None:
    if doc.get("kind") == "Namespace":
        doc["metadata"]["name"] = namespace
    elif "namespace" in doc.get("metadata", {}):
        doc["metadata"]["namespace"] = namespace
    for container in _containers(doc):
        if container["image"].startswith(_WINDOWS_BASE_IMAGE):
            container["image"] = _WINDOWS_BASE_IMAGE + image_tag
        for section in container.get("resources", {}).values():
            if SHIPPED_RESOURCE in section:
                section[resource] = section.pop(SHIPPED_RESOURCE)


def _label(doc: dict[str, Any], lab_id: str) -> None:
    doc["metadata"].setdefault("labels", {})[LAB_LABEL] = lab_id
    template = doc.get("spec", {}).get("template")
    if template is not None:
        template.setdefault("metadata", {}).setdefault("labels", {})[LAB_LABEL] = lab_id


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    return doc.get("spec", {}).get("template", {}).get("spec", {})


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return _pod_spec(doc).get("containers", [])
