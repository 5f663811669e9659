"""The node lifecycle controller: NoSchedule taints follow a node's conditions and cordon; RegisteredNode."""

from __future__ import annotations


def taint_keys(kube, name):
    return sorted(t.key for t in kube.core.read_node(name).spec.taints or [])


def test_condition_taints_come_and_go_with_the_conditions(kube, until):
    kube.core.create_node({"metadata": {"name": "hand-made"},
                           "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}]}})
    until(lambda: taint_keys(kube, "hand-made") == ["node.kubernetes.io/not-ready"], what="the not-ready taint")
    kube.core.patch_node_status("hand-made", {"status": {"conditions": [
        {"type": "Ready", "status": "True", "reason": "KubeletReady"},
        {"type": "DiskPressure", "status": "True", "reason": "KubeletHasDiskPressure"}]}})
    until(lambda: taint_keys(kube, "hand-made") == ["node.kubernetes.io/disk-pressure"], what="the pressure taint")
    kube.core.patch_node("hand-made", {"spec": {"unschedulable": True}})
    until(lambda: taint_keys(kube, "hand-made") == ["node.kubernetes.io/disk-pressure", "node.kubernetes.io/unschedulable"],
          what="the cordon's taint")


def test_a_users_own_taints_stay(kube, until):
    kube.core.patch_node("hand-made", {"spec": {"unschedulable": False, "taints": [
        {"key": "sku", "value": "gpu", "effect": "NoSchedule"}]}})
    until(lambda: taint_keys(kube, "hand-made") == ["node.kubernetes.io/disk-pressure", "sku"], what="taints settled")


def test_the_node_controller_registers_each_node(kube):
    events = kube.core.list_namespaced_event("default", field_selector="involvedObject.name=hand-made,reason=RegisteredNode").items
    assert [e.message for e in events] == ["Node hand-made event: Registered Node hand-made in Controller"]
