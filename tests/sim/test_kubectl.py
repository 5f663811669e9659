"""The Kubernetes plane through kubectl, a recent one and Debian's 1.20, typed as the lab's doc types it.

Missing kubectls are skipped on a workstation; in CI (``CI`` set) a missing one fails: CI provides a
recent kubectl on PATH and unpacks 1.20 with ``tools/get-kubectl.sh``.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kubectls import KUBECTL_1_20, kubectl_or_skip, recent_kubectl
from labkit.manifests import MANIFEST_DIR
from labkit.sim.world import kubeconfig_yaml

NODE = "aksgpunp000000"
GPU = "microsoft.com/directx"
NAMESPACE_FILE = str(MANIFEST_DIR / "namespace.yaml")
PLUGIN_FILE = str(MANIFEST_DIR / "k8s-directx-device-plugin.yaml")


class Kubectl:
    """One kubectl binary, pointed at a simulator through its own kubeconfig, home and cache."""

    def __init__(self, binary: str, home: Path, kubeconfig: Path):
        self.binary = binary
        self.flags = [f"--cache-dir={home / 'cache'}"]
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(home)}

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        """Run to completion and return stdout; fail the test when kubectl fails."""
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"kubectl {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def refused(self, *args: str, stdin: str | None = None) -> str:
        """Run a command the server must refuse; return what kubectl says about it."""
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 1, f"kubectl {' '.join(args)} was not refused:\n{done.stdout}"
        return done.stderr

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, *self.flags, "--request-timeout=30s", *args],
                              input=stdin, capture_output=True, text=True, env=self.env, timeout=60)

    def start(self, *args: str) -> "Running":
        """Start a long-running kubectl (``get -w``) whose output the test follows."""
        return Running(subprocess.Popen([self.binary, *self.flags, *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, env=self.env))


class Running:
    """A kubectl still running, and the lines it has printed so far."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in process.stdout], daemon=True).start()

    def read_until(self, wanted, timeout: float = 10.0) -> list[str]:
        """The lines printed up to the first for which ``wanted(line)`` holds."""
        seen, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                seen.append(self.lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
            if wanted(seen[-1]):
                return seen
        pytest.fail(f"not seen within {timeout} s; got {seen}")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module", params=["recent", "1.20"])
def kubectl(request, sim, tmp_path_factory) -> Kubectl:
    if request.param == "recent":
        binary = kubectl_or_skip(recent_kubectl(), "kubectl >= 1.29 on PATH")
    else:
        binary = kubectl_or_skip(str(KUBECTL_1_20), "kubectl 1.20 in .tools (tools/get-kubectl.sh unpacks it)")
    home = tmp_path_factory.mktemp(f"kubectl-{request.param}")
    config = home / "config"
    config.write_text(kubeconfig_yaml(sim.config, sim.url, (sim.state_dir / "ca.pem").read_bytes(), sim.world.token))
    os.chmod(config, 0o600)
    return Kubectl(binary, home, config)


@pytest.fixture(scope="module")
def gpu_node(kubectl):
    """A Windows GPU node as AKS registers it (created once per module; the second kubectl finds it)."""
    node = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": NODE, "labels": {
            "kubernetes.io/os": "windows", "agentpool": "gpunp", "kubernetes.io/role": "agent",
            "node.kubernetes.io/instance-type": "Standard_NC4as_T4_v3", "kubernetes.azure.com/os-sku": "Windows2022"}},
        "status": {
            "capacity": {"cpu": "4", "memory": "28Gi", "pods": "30", GPU: "1"},
            "allocatable": {"cpu": "3860m", "memory": "22Gi", "pods": "30", GPU: "1"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "ready"}],
            "addresses": [{"type": "InternalIP", "address": "10.224.0.9"}, {"type": "Hostname", "address": NODE}],
            "nodeInfo": {"kubeletVersion": "v1.33.2", "osImage": "Windows Server 2022 Datacenter",
                         "containerRuntimeVersion": "containerd://1.7.20+azure", "operatingSystem": "windows",
                         "architecture": "amd64", "kernelVersion": "10.0.20348.2849", "machineID": "m",
                         "systemUUID": "s", "bootID": "b", "kubeProxyVersion": "v1.33.2"}},
    }
    if NODE not in kubectl("get", "nodes", "-o", "name"):
        assert kubectl("create", "-f", "-", stdin=json.dumps(node)).strip() == f"node/{NODE} created"
    return NODE


def test_get_nodes_shows_status_roles_age_version(kubectl, gpu_node):
    lines = kubectl("get", "nodes").splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    row = next(line.split() for line in lines if line.startswith(gpu_node))
    assert row[1:3] == ["Ready", "agent"] and row[4] == "v1.33.2"
    wide = kubectl("get", "nodes", "-o", "wide").splitlines()
    assert "OS-IMAGE" in wide[0] and any("Windows Server 2022 Datacenter" in line for line in wide)


def test_cluster_info_names_the_control_plane(kubectl, sim):
    shown = re.sub(r"\x1b\[[0-9;]*m", "", kubectl("cluster-info"))  # kubectl 1.20 colours even a pipe
    assert shown.splitlines()[0] == f"Kubernetes control plane is running at {sim.url}"


def test_describe_node_shows_the_gpu_as_capacity_and_allocatable(kubectl, gpu_node):
    status = json.loads(kubectl("get", "node", gpu_node, "-o", "json"))["status"]  # a plugin may have come and gone
    described = kubectl("describe", "node", gpu_node)
    capacity = described.split("Capacity:")[1].split("Allocatable:")[0]
    allocatable = described.split("Allocatable:")[1].split("System Info:")[0]
    assert f"{GPU}:  {status['capacity'][GPU]}" in capacity and f"{GPU}:  {status['allocatable'][GPU]}" in allocatable
    if kubectl.binary != str(KUBECTL_1_20):  # 1.20 asks only for the kubelet's events (uid = node name)
        assert f"Registered Node {gpu_node} in Controller" in described.split("Events:")[1]
    assert "Roles:              agent" in described


def test_apply_twice_then_delete_the_device_plugin(kubectl, gpu_node):
    assert kubectl("apply", "-f", NAMESPACE_FILE).strip() in ("namespace/gpu-resources created",
                                                               "namespace/gpu-resources unchanged")
    first = kubectl("apply", "-f", PLUGIN_FILE).strip()
    assert first == "daemonset.apps/nvidia-device-plugin-daemonset created"
    second = kubectl("apply", "-f", PLUGIN_FILE).strip()
    assert second in ("daemonset.apps/nvidia-device-plugin-daemonset unchanged",
                      "daemonset.apps/nvidia-device-plugin-daemonset configured")

    daemonsets = kubectl("get", "ds", "-n", "gpu-resources").splitlines()
    assert daemonsets[0].split()[:3] == ["NAME", "DESIRED", "CURRENT"]
    assert daemonsets[1].startswith("nvidia-device-plugin-daemonset")
    pods = kubectl("get", "pods", "-A").splitlines()
    assert pods[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]

    history = kubectl("rollout", "history", "daemonset/nvidia-device-plugin-daemonset", "-n", "gpu-resources")
    assert history.split()[-2:] == ["1", "<none>"] and "REVISION" in history  # from its ControllerRevision
    deleted = kubectl("delete", "-f", PLUGIN_FILE).strip()
    assert deleted == 'daemonset.apps "nvidia-device-plugin-daemonset" deleted'
    assert "nvidia-device-plugin-daemonset" not in kubectl("get", "ds", "-n", "gpu-resources", "-o", "name")


def test_get_watch_and_delete_wait_follow_a_namespace(kubectl, gpu_node):
    name = f"watched-{len(kubectl.binary)}"
    watcher = kubectl.start("get", "namespaces", "--watch")
    try:
        watcher.read_until(lambda line: line.startswith("kube-system"))
        kubectl("create", "namespace", name)  # kubectl >= 1.32 sends this one as protobuf
        assert kubectl("delete", "namespace", name).strip() == f'namespace "{name}" deleted'  # waits until gone
        lines = watcher.read_until(lambda line: line.startswith(name) and "Terminating" in line)
    finally:
        watcher.stop()
    assert any(line.split()[:2] == [name, "Active"] for line in lines)
    assert name not in kubectl("get", "namespaces", "-o", "name")


@pytest.fixture(scope="module")
def aks_pool(sim, aks, until):
    """A real (simulated) AKS Windows GPU pool with the driver installed, made through the ARM plane."""
    body = {"properties": {"count": 1, "vmSize": "Standard_NC4as_T4_v3", "osType": "Windows", "mode": "User"}}
    aks.agent_pools.begin_create_or_update(sim.config.resource_group, sim.config.cluster_name, "gpuk", body).result()
    until(lambda: sim.world.store.get("Node", "", "aksgpuk000000"), what="the pool's node")
    until(lambda: len([p for p in sim.world.store.list("Pod", "kube-system") if p["status"].get("phase") == "Running"]) >= 4,
          what="AKS's kube-system pods on the node")
    return "aksgpuk000000"


def test_describe_node_shows_a_windows_gpu_node_as_aks_makes_it(kubectl, aks_pool):
    described = kubectl("describe", "node", aks_pool)
    for expected in ("kubernetes.azure.com/node-image-version=AKSWindows-2022-containerd-20348.",
                     "node.kubernetes.io/windows-build=10.0.20348", "topology.disk.csi.azure.com/zone=",
                     "failure-domain.beta.kubernetes.io/region=", "csi.volume.kubernetes.io/nodeid:",
                     "volumes.kubernetes.io/controller-managed-attach-detach: true", "Kernel Version:             10.0.20348.",
                     "Non-terminated Pods:          (4 in total)", "aks-windows-gpu-device-plugin-",
                     "cloud-node-manager-windows-", "csi-azuredisk-node-win-", "csi-azurefile-node-win-",
                     f"Node {aks_pool} status is now: NodeReady", "Starting kubelet."):
        assert expected in described, expected
    allocatable = described.split("Allocatable:")[1].split("System Info:")[0]
    # the doc's plugin, applied and deleted by the test before in this module, leaves the GPU at 0 once gone
    gpus = json.loads(kubectl("get", "node", aks_pool, "-o", "json"))["status"]["allocatable"][GPU]
    assert "cpu:                    3860m" in allocatable and f"{GPU}:  {gpus}" in allocatable


def test_each_node_has_its_own_internal_ip(kubectl, aks_pool):
    rows = [line.split() for line in kubectl("get", "nodes", "-o", "wide").splitlines()[1:]]
    addresses = [row[5] for row in rows if row[0] != NODE]  # the hand-made node says what its maker wrote
    assert len(addresses) == len(set(addresses)) >= 2


def test_daemon_pods_show_the_daemon_controllers_tolerations(kubectl, aks_pool):
    pods = kubectl("get", "pods", "-n", "kube-system", "-o", "name", "--field-selector", f"spec.nodeName={aks_pool}")
    plugin = next(p for p in pods.split() if "aks-windows-gpu-device-plugin" in p)
    described = kubectl("describe", "-n", "kube-system", plugin)
    assert "Controlled By:  DaemonSet/aks-windows-gpu-device-plugin-gpuk" in described
    tolerations = described.split("Tolerations:")[1].split("Events:")[0]
    for toleration in ("node.kubernetes.io/not-ready:NoExecute op=Exists", "node.kubernetes.io/unschedulable:NoSchedule op=Exists",
                       "node.kubernetes.io/pid-pressure:NoSchedule op=Exists"):
        assert toleration in tolerations
    assert "for 300s" not in tolerations  # daemons tolerate node problems without a time limit
    revisions = kubectl("get", "controllerrevisions", "-n", "kube-system").splitlines()
    assert revisions[0].split() == ["NAME", "CONTROLLER", "REVISION", "AGE"]
    assert any("daemonset.apps/aks-windows-gpu-device-plugin-gpuk" in line for line in revisions)


def test_wrong_types_and_broken_rules_are_refused_as_kube_apiserver_refuses_them(kubectl):
    daemonset = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "typed", "namespace": "default"},
                 "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
                          "spec": {"nodeSelector": "notadict", "containers": [{"name": "c", "image": "i"}]}}}}
    said = kubectl.refused("create", "-f", "-", stdin=json.dumps(daemonset))
    assert ('DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal string into Go '
            "struct field PodSpec.spec.template.spec.nodeSelector of type map[string]string") in said
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "ruled", "namespace": "default"},
           "spec": {"ttlSecondsAfterFinished": -1, "template": {"spec": {"restartPolicy": "Never",
                                                                       "containers": [{"name": "c", "image": "i"}]}}}}
    said = kubectl.refused("create", "-f", "-", stdin=json.dumps(job))
    assert 'The Job "ruled" is invalid: spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0' in said
