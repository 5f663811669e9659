"""The manifests parse into the kubernetes client's models without loss, and substitution works."""

import json

import pytest
from kubernetes import client
from kubernetes.client import ApiClient

from labkit import manifests
from labkit.identity import LAB_LABEL, MANAGED_BY

MODELS = {"Namespace": "V1Namespace", "DaemonSet": "V1DaemonSet", "Job": "V1Job"}
FILES = [manifests.NAMESPACE, manifests.DEVICE_PLUGIN, manifests.GPU_WORKLOAD]


def to_model(doc):
    """Deserialize the way the client does with a server's answer."""
    return ApiClient().deserialize(json.dumps(doc), MODELS[doc["kind"]], "application/json")


@pytest.mark.parametrize("name", FILES)
def test_manifest_round_trips_through_the_client_models(name):
    for doc in manifests.load(name):
        model = to_model(doc)
        assert ApiClient().sanitize_for_serialization(model) == doc


def test_every_object_and_pod_carries_the_managed_by_label_and_the_lab_id():
    key, value = MANAGED_BY
    for name in FILES:
        for doc in manifests.load(name, lab_id="team3"):
            assert doc["metadata"]["labels"][key] == value
            assert doc["metadata"]["labels"][LAB_LABEL] == "team3"
            if "template" in doc.get("spec", {}):
                assert doc["spec"]["template"]["metadata"]["labels"][LAB_LABEL] == "team3"


def test_a_node_pool_keeps_the_pods_on_its_nodes():
    for name in (manifests.DEVICE_PLUGIN, manifests.GPU_WORKLOAD):
        (doc,) = manifests.load(name, node_pool="gpudx")
        assert doc["spec"]["template"]["spec"]["nodeSelector"] == {
            "kubernetes.io/os": "windows", "kubernetes.azure.com/agentpool": "gpudx"}
        assert isinstance(to_model(doc), (client.V1DaemonSet, client.V1Job))


def test_device_plugin_matches_the_doc():
    (ds,) = manifests.load(manifests.DEVICE_PLUGIN)
    pod = ds["spec"]["template"]["spec"]
    assert ds["metadata"]["namespace"] == "gpu-resources"
    assert pod["containers"][0]["image"] == "mcr.microsoft.com/aks/aks-windows-gpu-device-plugin:0.0.17"
    assert pod["volumes"][0]["hostPath"]["path"] == "/var/lib/kubelet/device-plugins"
    assert {t["key"] for t in pod["tolerations"]} == {"CriticalAddonsOnly", "nvidia.com/gpu", "sku"}
    assert pod["nodeSelector"] == {"kubernetes.io/os": "windows"}


def test_workload_asks_for_one_gpu_on_windows():
    (job,) = manifests.load(manifests.GPU_WORKLOAD)
    pod = job["spec"]["template"]["spec"]
    assert job["metadata"]["name"] == "windows-gpu-workload"
    assert pod["containers"][0]["resources"]["limits"] == {"microsoft.com/directx": "1"}
    assert pod["nodeSelector"] == {"kubernetes.io/os": "windows"}
    assert {"key": "sku", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"} in pod["tolerations"]


def test_substitution_of_namespace_and_resource_name():
    docs = [d for name in FILES for d in manifests.load(name, namespace="lab-gpu", gpu_resource_name="microsoft.com.directx/gpu")]
    assert docs[0]["metadata"]["name"] == "lab-gpu"
    assert all(d["metadata"]["namespace"] == "lab-gpu" for d in docs[1:])
    limits = docs[2]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"microsoft.com.directx/gpu": "1"}
    assert isinstance(to_model(docs[2]), client.V1Job)


def test_dump_is_loadable_yaml():
    import yaml

    docs = manifests.load(manifests.DEVICE_PLUGIN)
    assert list(yaml.safe_load_all(manifests.dump(docs))) == docs


def test_workload_image_follows_the_windows_version():
    (job,) = manifests.load(manifests.GPU_WORKLOAD, windows_image_tag="ltsc2025")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "mcr.microsoft.com/windows/servercore:ltsc2025"
    (plugin,) = manifests.load(manifests.DEVICE_PLUGIN, windows_image_tag="ltsc2025")
    assert plugin["spec"]["template"]["spec"]["containers"][0]["image"].endswith("device-plugin:0.0.17")
