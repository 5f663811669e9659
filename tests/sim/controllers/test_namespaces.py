"""The namespace controller: a deleted namespace takes every namespaced object with it, then goes."""

from __future__ import annotations

from kubernetes import utils

from labkit import manifests


def test_namespace_deletion_removes_every_namespaced_kind(kube, until):
    core = kube.core
    utils.create_from_yaml(kube.api, yaml_objects=manifests.load(manifests.NAMESPACE))
    utils.create_from_yaml(kube.api, yaml_objects=manifests.load(manifests.GPU_WORKLOAD))
    core.create_namespaced_service("gpu-resources", {"metadata": {"name": "svc"}, "spec": {"ports": [{"port": 80}]}})
    core.delete_namespace("gpu-resources")
    until(lambda: not [n for n in core.list_namespace().items if n.metadata.name == "gpu-resources"], what="namespace gone")
    assert not kube.batch.list_job_for_all_namespaces().items
    assert not core.list_namespaced_pod("gpu-resources").items
    assert not [s for s in core.list_service_for_all_namespaces().items if s.metadata.namespace == "gpu-resources"]
