"""The DaemonSet controller as kubernetes' daemon controller: its tolerations, labels, node affinity and revisions."""

from __future__ import annotations

from kubernetes import client

#: What pkg/controller/daemon/util/daemonset_util.go adds to every daemon pod, in that order.
DAEMON_TOLERATIONS = [
    ("node.kubernetes.io/not-ready", "Exists", "NoExecute", None),
    ("node.kubernetes.io/unreachable", "Exists", "NoExecute", None),
    ("node.kubernetes.io/disk-pressure", "Exists", "NoSchedule", None),
    ("node.kubernetes.io/memory-pressure", "Exists", "NoSchedule", None),
    ("node.kubernetes.io/pid-pressure", "Exists", "NoSchedule", None),
    ("node.kubernetes.io/unschedulable", "Exists", "NoSchedule", None),
]


def daemonset(name: str, image: str, **pod_spec) -> dict:
    return {"metadata": {"name": name}, "spec": {
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {
            "nodeSelector": {"kubernetes.io/os": "windows"}, "containers": [{"name": "main", "image": image}], **pod_spec}}}}


def daemon_pods(kube, name):
    return kube.core.list_namespaced_pod("default", label_selector=f"app={name}").items


def test_daemon_pods_carry_what_the_daemon_controller_adds(kube, make_pool, until):
    make_pool("gpunp", count=2)
    kube.apps.create_namespaced_daemon_set("default", daemonset("agent", "example.com/agent:1",
                                                                tolerations=[{"key": "sku", "operator": "Exists"}]))
    pods = until(lambda: [p for p in daemon_pods(kube, "agent") if p.status.phase == "Running"] if len(daemon_pods(kube, "agent")) == 2 else [],
                 what="two daemon pods running")
    for pod in pods:
        tolerations = [(t.key, t.operator, t.effect, t.toleration_seconds) for t in pod.spec.tolerations]
        assert tolerations == [("sku", "Exists", None, None), *DAEMON_TOLERATIONS]
        terms = pod.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_terms
        assert [(r.key, r.operator, r.values) for r in terms[0].match_fields] == [("metadata.name", "In", [pod.spec.node_name])]
        assert not terms[0].match_expressions
        assert set(pod.metadata.labels) == {"app", "controller-revision-hash", "pod-template-generation"}
    assert sorted(p.spec.node_name for p in pods) == ["aksgpunp000000", "aksgpunp000001"]


def test_each_template_has_a_controller_revision(kube, until):
    revisions = client.AppsV1Api(kube.api).list_namespaced_controller_revision("default", label_selector="app=agent").items
    (first,) = revisions
    assert first.revision == 1 and first.metadata.owner_references[0].name == "agent"
    assert first.metadata.name == f"agent-{first.metadata.labels['controller-revision-hash']}"
    hashes = {p.metadata.labels["controller-revision-hash"] for p in daemon_pods(kube, "agent")}
    assert hashes == {first.metadata.labels["controller-revision-hash"]}


def test_a_new_template_rolls_out_as_a_new_revision(kube, until):
    kube.apps.patch_namespaced_daemon_set("agent", "default", {"spec": {"template": {"spec": {
        "containers": [{"name": "main", "image": "example.com/agent:2"}]}}}})

    def rolled():
        pods = daemon_pods(kube, "agent")
        return len(pods) == 2 and all(p.spec.containers[0].image.endswith(":2") and p.status.phase == "Running" for p in pods)

    until(rolled, what="the rollout")
    revisions = client.AppsV1Api(kube.api).list_namespaced_controller_revision("default", label_selector="app=agent").items
    assert sorted(r.revision for r in revisions) == [1, 2]
    status = kube.apps.read_namespaced_daemon_set("agent", "default").status
    until(lambda: kube.apps.read_namespaced_daemon_set("agent", "default").status.updated_number_scheduled == 2, what="status")
    assert status.desired_number_scheduled == 2


def test_host_network_daemons_tolerate_an_unavailable_network(kube, until):
    kube.apps.create_namespaced_daemon_set("default", daemonset("netagent", "example.com/net:1", hostNetwork=True))
    (pod, *_) = until(lambda: daemon_pods(kube, "netagent"), what="a host-network daemon pod")
    assert ("node.kubernetes.io/network-unavailable", "Exists", "NoSchedule", None) in [
        (t.key, t.operator, t.effect, t.toleration_seconds) for t in pod.spec.tolerations]


def test_a_daemon_leaves_a_node_that_no_longer_matches(kube, until):
    kube.apps.patch_namespaced_daemon_set("netagent", "default", {"spec": {"template": {"spec": {
        "nodeSelector": {"kubernetes.io/hostname": "aksgpunp000001"}}}}})
    until(lambda: sorted(p.spec.node_name or "" for p in daemon_pods(kube, "netagent")) == ["aksgpunp000001"],
          what="the daemon pod gone from the other node")
    until(lambda: kube.apps.read_namespaced_daemon_set("netagent", "default").status.desired_number_scheduled == 1,
          what="one node desired")
