"""What advertises the GPU: the driver install, or a DirectX device plugin pod while it runs."""

from __future__ import annotations

import time

from kubernetes import utils

from labkit import manifests


def test_auto_driver_nodes_advertise_the_gpu(make_pool, gpu_of, until):
    make_pool("gpunp")
    assert until(lambda: gpu_of("aksgpunp000000") == ("1", "1"), what="GPU on the auto-driver node")


def test_skipped_driver_pool_gets_gpus_only_while_the_plugin_runs(kube, make_pool, gpu_of, until):
    make_pool("gpudx", driver="None")
    until(lambda: kube.core.list_node(label_selector="agentpool=gpudx").items, what="driverless node")
    time.sleep(0.05)
    assert gpu_of("aksgpudx000000") == (None, None)
    utils.create_from_yaml(kube.api, yaml_objects=manifests.load(manifests.NAMESPACE))
    utils.create_from_yaml(kube.api, yaml_objects=manifests.load(manifests.DEVICE_PLUGIN))
    until(lambda: gpu_of("aksgpudx000000") == ("1", "1"), what="GPU after the plugin runs")
    plugin = kube.core.list_namespaced_pod("gpu-resources", field_selector="spec.nodeName=aksgpudx000000").items
    assert "registered resource microsoft.com/directx" in kube.core.read_namespaced_pod_log(plugin[0].metadata.name, "gpu-resources")
    kube.apps.delete_namespaced_daemon_set("nvidia-device-plugin-daemonset", "gpu-resources")
    until(lambda: gpu_of("aksgpudx000000") == ("0", "0"), what="GPU gone with the plugin")
