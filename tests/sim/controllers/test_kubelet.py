"""The kubelet: a pod bound to any Ready node runs, even on a node no pool made."""

from __future__ import annotations


def test_a_hand_made_node_runs_its_pods(kube, until):
    core = kube.core
    core.create_node({"metadata": {"name": "bare-node"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    core.create_namespaced_pod("default", {"metadata": {"name": "pinned"},
                                           "spec": {"nodeName": "bare-node", "containers": [{"name": "c", "image": "busybox"}]}})
    until(lambda: core.read_namespaced_pod("pinned", "default").status.phase == "Running", what="pod on the bare node")
    core.delete_node("bare-node")
