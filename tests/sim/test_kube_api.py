"""The Kubernetes plane through the real ``kubernetes`` client (and plain https where the wire is the point)."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
import requests
from kubernetes import client, config, utils, watch
from kubernetes.client.exceptions import ApiException

from labkit.manifests import MANIFEST_DIR
from labkit.sim.server import SimServer
from labkit.sim.world import kubeconfig_yaml

NAMESPACE = "gpu-resources"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


def write_kubeconfig(server: SimServer, path) -> str:
    """The server's kubeconfig, private, as ``az aks get-credentials`` would write it."""
    ca = (server.state_dir / "ca.pem").read_bytes()
    path.write_text(kubeconfig_yaml(server.config, server.url, ca, server.world.token))
    os.chmod(path, 0o600)
    return str(path)


def api_client(server: SimServer, path) -> client.ApiClient:
    return config.new_client_from_config(config_file=write_kubeconfig(server, path))


def windows_gpu_node(name: str = "aksgpunp000000") -> dict:
    """A Node shaped like an AKS Windows GPU node, as the kubelet registers it."""
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/os": "windows", "agentpool": "gpunp", "kubernetes.io/role": "agent",
            "node.kubernetes.io/instance-type": "Standard_NC4as_T4_v3", "kubernetes.azure.com/os-sku": "Windows2022",
        }},
        "spec": {"taints": [{"key": "sku", "value": "gpu", "effect": "NoSchedule"}]},
        "status": {
            "capacity": {"cpu": "4", "memory": "28Gi", "pods": "30", "microsoft.com/directx": "1"},
            "allocatable": {"cpu": "3860m", "memory": "22Gi", "pods": "30", "microsoft.com/directx": "1"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "ready"},
                           {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"}],
            "addresses": [{"type": "InternalIP", "address": "10.224.0.9"}, {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": "v1.33.2", "osImage": "Windows Server 2022 Datacenter",
                         "kernelVersion": "10.0.20348.2849", "containerRuntimeVersion": "containerd://1.7.20+azure",
                         "operatingSystem": "windows", "architecture": "amd64", "machineID": "m", "systemUUID": "s",
                         "bootID": "b", "kubeProxyVersion": "v1.33.2"},
        },
    }


def stuck_pod(name: str, labels: dict | None = None) -> dict:
    """A Pod no node matches, so the simulator's scheduler and kubelet leave it alone."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"nodeSelector": {"labkit.test/nowhere": "true"},
                     "containers": [{"name": "main", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022"}]}}


def reason(error: ApiException) -> str:
    return json.loads(error.body)["reason"]


def api_error(call) -> ApiException:
    with pytest.raises(ApiException) as info:
        call()
    return info.value


@pytest.fixture(scope="module")
def api(sim, tmp_path_factory):
    return api_client(sim, tmp_path_factory.mktemp("kube") / "config")


@pytest.fixture(scope="module")
def core(api):
    return client.CoreV1Api(api)


@pytest.fixture(scope="module")
def gpu_node(core):
    return core.create_node(windows_gpu_node())


@pytest.fixture(scope="module")
def lab_namespace(core):
    core.create_namespace({"metadata": {"name": "lab-tests"}})
    return "lab-tests"


@pytest.fixture(scope="module")
def wire(sim):
    """Plain https with the simulator's token, for headers and raw documents."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sim.world.token}"

    def call(path: str, accept: str = "application/json", method: str = "GET", body=None) -> requests.Response:
        # verify per request: requests lets REQUESTS_CA_BUNDLE override a session's verify.
        return session.request(method, sim.url + path, headers={"Accept": accept}, json=body,
                               verify=str(sim.state_dir / "ca.pem"))

    return call


# --- discovery --------------------------------------------------------------------------------------


def test_version_and_discovery(api, sim):
    assert client.VersionApi(api).get_code().git_version == f"v{sim.config.kubernetes_version}"
    groups = {g.name: g.preferred_version.group_version for g in client.ApisApi(api).get_api_versions().groups}
    assert groups == {"apps": "apps/v1", "batch": "batch/v1", "coordination.k8s.io": "coordination.k8s.io/v1"}
    core_resources = {r.name: r for r in client.CoreV1Api(api).get_api_resources().resources}
    assert {"namespaces", "nodes", "nodes/status", "pods", "pods/log", "pods/status", "events"} <= set(core_resources)
    assert [core_resources[n].short_names for n in ("nodes", "namespaces", "pods", "events")] == [["no"], ["ns"], ["po"], ["ev"]]
    apps = {r.name: r for r in client.AppsV1Api(api).get_api_resources().resources}
    assert apps["daemonsets"].short_names == ["ds"] and "daemonsets/status" in apps
    assert {"jobs", "jobs/status"} <= {r.name for r in client.BatchV1Api(api).get_api_resources().resources}


def test_aggregated_discovery_request_gets_plain_json_so_kubectl_falls_back(wire):
    for path, kind in (("/api", "APIVersions"), ("/apis", "APIGroupList")):
        response = wire(path, AGGREGATED)
        assert response.headers["Content-Type"].startswith("application/json")
        assert "apidiscovery" not in response.headers["Content-Type"]
        assert response.json()["kind"] == kind


def test_openapi_v2_is_an_empty_protobuf_document_and_v3_is_absent(wire):
    v2 = wire("/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
    assert (v2.status_code, v2.content) == (200, b"")
    assert v2.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert wire("/openapi/v3").status_code == 404


def test_what_the_client_models_require_is_refused_as_invalid(wire, lab_namespace):
    """Bodies the typed client would not even send, as other clients (kubectl, raw https) may."""
    no_containers = wire(f"/api/v1/namespaces/{lab_namespace}/pods", method="POST",
                         body={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "empty"}, "spec": {}})
    assert (no_containers.status_code, no_containers.json()["reason"]) == (422, "Invalid")
    assert no_containers.json()["message"] == 'Pod "empty" is invalid: spec.containers: Required value'
    no_template = wire(f"/apis/batch/v1/namespaces/{lab_namespace}/jobs", method="POST",
                       body={"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "t"}, "spec": {}})
    assert (no_template.status_code, no_template.json()["details"]["causes"][0]["field"]) == (422, "spec.template.spec.containers")
    no_condition_status = wire("/api/v1/nodes", method="POST", body={
        "metadata": {"name": "half"}, "status": {"conditions": [{"type": "Ready"}]}})
    assert no_condition_status.json()["details"]["causes"][0]["field"] == "status.conditions[0].status"
    misshapen = wire(f"/api/v1/namespaces/{lab_namespace}/pods", method="POST",
                     body={"metadata": {"name": "odd"}, "spec": {"containers": "busybox"}})
    assert (misshapen.status_code, misshapen.json()["reason"]) == (400, "BadRequest")


def test_kubernetes_plane_needs_the_token(sim):
    response = requests.get(f"{sim.url}/api/v1/nodes", verify=str(sim.state_dir / "ca.pem"))
    assert response.status_code == 401
    assert response.json()["kind"] == "Status"


# --- create, read, list -----------------------------------------------------------------------------


def test_create_from_yaml_of_every_manifest_then_a_second_create_conflicts(api):
    files = ["namespace.yaml"] + sorted(p.name for p in MANIFEST_DIR.glob("*.yaml") if p.name != "namespace.yaml")
    for name in files:
        utils.create_from_yaml(api, str(MANIFEST_DIR / name))
    daemonset = client.AppsV1Api(api).read_namespaced_daemon_set("nvidia-device-plugin-daemonset", NAMESPACE)
    assert daemonset.metadata.uid and daemonset.metadata.resource_version and daemonset.metadata.creation_timestamp
    with pytest.raises(utils.FailToCreateError) as info:
        utils.create_from_yaml(api, str(MANIFEST_DIR / "k8s-directx-device-plugin.yaml"))
    error = info.value.api_exceptions[0]
    assert (error.status, reason(error)) == (409, "AlreadyExists")
    assert json.loads(error.body)["message"] == 'daemonsets.apps "nvidia-device-plugin-daemonset" already exists'


def test_create_defaults_like_the_apiserver(api, core, lab_namespace):
    job = client.BatchV1Api(api).create_namespaced_job(lab_namespace, {
        "metadata": {"name": "defaults"},
        "spec": {"template": {"metadata": {"labels": {"app": "x"}}, "spec": {
            "restartPolicy": "Never", "nodeSelector": {"labkit.test/nowhere": "true"},
            "containers": [{"name": "c", "image": "busybox", "resources": {"limits": {"microsoft.com/directx": "1"}}}]}}}})
    uid = job.metadata.uid
    assert (job.spec.parallelism, job.spec.completions, job.spec.backoff_limit) == (1, 1, 6)
    assert job.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": uid}
    assert job.spec.template.metadata.labels == {
        "app": "x", "batch.kubernetes.io/controller-uid": uid, "controller-uid": uid,
        "batch.kubernetes.io/job-name": "defaults", "job-name": "defaults"}
    container = job.spec.template.spec.containers[0]
    assert container.resources.requests == {"microsoft.com/directx": "1"}
    assert container.image_pull_policy == "Always"

    pod = core.create_namespaced_pod(lab_namespace, stuck_pod("defaults"))
    assert pod.status.phase == "Pending"
    assert (pod.spec.restart_policy, pod.spec.scheduler_name, pod.spec.dns_policy) == ("Always", "default-scheduler", "ClusterFirst")
    assert (pod.spec.termination_grace_period_seconds, pod.spec.service_account_name) == (30, "default")

    daemonset = client.AppsV1Api(api).create_namespaced_daemon_set(lab_namespace, {
        "metadata": {"name": "defaults"},
        "spec": {"selector": {"matchLabels": {"app": "x"}},
                 "template": {"metadata": {"labels": {"app": "x"}}, "spec": stuck_pod("x")["spec"]}}})
    assert daemonset.spec.update_strategy.rolling_update.max_unavailable == 1
    assert daemonset.spec.revision_history_limit == 10
    assert daemonset.status.number_misscheduled == 0


def test_generate_name_makes_a_unique_name(core, lab_namespace):
    first = core.create_namespaced_pod(lab_namespace, {**stuck_pod(""), "metadata": {"generateName": "worker-"}})
    second = core.create_namespaced_pod(lab_namespace, {**stuck_pod(""), "metadata": {"generateName": "worker-"}})
    assert first.metadata.name.startswith("worker-") and len(first.metadata.name) == len("worker-") + 5
    assert first.metadata.name != second.metadata.name


def test_list_with_label_and_field_selectors(core, gpu_node):
    core.create_namespace({"metadata": {"name": "selectors"}})
    for name, labels in (("web-1", {"app": "web", "tier": "front"}), ("web-2", {"app": "web"}), ("db-1", {"app": "db"}),
                         ("bare", {})):
        core.create_namespaced_pod("selectors", stuck_pod(name, labels))

    def names(**selectors) -> list[str]:
        return [p.metadata.name for p in core.list_namespaced_pod("selectors", **selectors).items]

    assert names(label_selector="app=web") == ["web-1", "web-2"]
    assert names(label_selector="app in (web,db),tier") == ["web-1"]
    assert names(label_selector="app notin (web),app") == ["db-1"]
    assert names(label_selector="app!=web,!tier") == ["bare", "db-1"]
    assert names(label_selector="app notin (web)") == ["bare", "db-1"]
    assert names(field_selector="metadata.name=db-1") == ["db-1"]
    assert names(field_selector="status.phase!=Pending") == []
    everywhere = core.list_pod_for_all_namespaces(label_selector="app=web")
    assert everywhere.kind == "PodList" and everywhere.metadata.resource_version
    assert core.list_node(field_selector=f"metadata.name={gpu_node.metadata.name}").items[0].metadata.labels["agentpool"] == "gpunp"
    assert core.list_namespaced_pod("no-such-namespace").items == []
    assert reason(api_error(lambda: core.list_namespaced_pod("selectors", field_selector="spec.image=x"))) == "BadRequest"
    core.delete_collection_namespaced_pod("selectors", label_selector="app=web")
    assert names() == ["bare", "db-1"]


# --- errors -----------------------------------------------------------------------------------------


def test_errors_are_status_objects_with_reasons(api, core, lab_namespace):
    missing = api_error(lambda: core.read_namespaced_pod("nope", lab_namespace))
    assert (missing.status, reason(missing)) == (404, "NotFound")
    body = json.loads(missing.body)
    assert (body["message"], body["details"]) == ('pods "nope" not found', {"name": "nope", "kind": "pods"})

    bad_name = api_error(lambda: core.create_namespaced_pod(lab_namespace, stuck_pod("Bad_Name")))
    assert (bad_name.status, reason(bad_name)) == (422, "Invalid")
    assert "RFC 1123" in json.loads(bad_name.body)["message"]
    always = api_error(lambda: client.BatchV1Api(api).create_namespaced_job(lab_namespace, {
        "metadata": {"name": "always"}, "spec": {"template": {"spec": stuck_pod("x")["spec"]}}}))
    assert 'spec.template.spec.restartPolicy: Unsupported value: "Always"' in json.loads(always.body)["message"]
    no_namespace = api_error(lambda: core.create_namespaced_pod("nowhere", stuck_pod("p")))
    assert (no_namespace.status, json.loads(no_namespace.body)["message"]) == (404, 'namespaces "nowhere" not found')
    undeletable = api_error(lambda: core.delete_namespace("default"))
    assert (undeletable.status, reason(undeletable)) == (403, "Forbidden")


# --- update, patch, delete --------------------------------------------------------------------------


def test_node_status_strategic_merge_patch(core, gpu_node):
    name = gpu_node.metadata.name
    # example.com/dongle: a resource no simulated device plugin manages (the kubelet rewrites the GPU's)
    core.patch_node_status(name, {"status": {
        "capacity": {"example.com/dongle": "2"},
        "conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady", "message": "PLEG"}]}})
    node = core.read_node(name)
    assert node.status.capacity["example.com/dongle"] == "2" and node.status.capacity["cpu"] == "4"
    conditions = {c.type: (c.status, c.reason) for c in node.status.conditions}
    assert conditions == {"Ready": ("False", "KubeletNotReady"), "MemoryPressure": ("False", "KubeletHasSufficientMemory")}
    core.patch_node_status(name, {"status": {"capacity": {"example.com/dongle": "1"},
                                             "conditions": [{"type": "Ready", "status": "True"}]}})
    assert core.read_node(name).status.capacity["example.com/dongle"] == "1"


def test_main_endpoint_keeps_status_and_status_endpoint_keeps_spec(core, lab_namespace):
    core.create_namespaced_pod(lab_namespace, stuck_pod("split"))
    core.patch_namespaced_pod("split", lab_namespace, {"metadata": {"labels": {"a": "b"}}, "status": {"phase": "Running"}})
    assert core.read_namespaced_pod("split", lab_namespace).status.phase == "Pending"
    core.patch_namespaced_pod_status("split", lab_namespace, {"spec": {"nodeName": "elsewhere"}, "status": {"phase": "Failed"}})
    pod = core.read_namespaced_pod_status("split", lab_namespace)
    assert (pod.status.phase, pod.spec.node_name, pod.metadata.labels) == ("Failed", None, {"a": "b"})


def test_patch_formats(api, core, lab_namespace):
    apps = client.AppsV1Api(api)
    template = {"metadata": {"labels": {"app": "patched"}}, "spec": {**stuck_pod("x")["spec"], "containers": [
        {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]}, {"name": "b", "image": "b:1"}]}}
    apps.create_namespaced_daemon_set(lab_namespace, {"metadata": {"name": "patched"}, "spec": {
        "selector": {"matchLabels": {"app": "patched"}}, "template": template}})
    apps.patch_namespaced_daemon_set("patched", lab_namespace, {"spec": {"template": {"spec": {"containers": [
        {"name": "a", "env": [{"name": "Y", "value": "2"}]}, {"name": "b", "$patch": "delete"}]}}}})
    daemonset = apps.read_namespaced_daemon_set("patched", lab_namespace)
    assert [(c.name, c.image, [e.name for e in c.env]) for c in daemonset.spec.template.spec.containers] == [("a", "a:1", ["X", "Y"])]
    assert daemonset.metadata.generation == 2

    core.create_namespaced_pod(lab_namespace, stuck_pod("patched"))
    json_patch = [{"op": "add", "path": "/metadata/labels/tier", "value": "gpu"},
                  {"op": "replace", "path": "/spec/containers/0/image", "value": "a:2"}]
    core.patch_namespaced_pod("patched", lab_namespace, json_patch)  # a list goes as a JSON patch
    pod = core.read_namespaced_pod("patched", lab_namespace)
    assert (pod.metadata.labels["tier"], pod.spec.containers[0].image) == ("gpu", "a:2")

    core.patch_namespaced_pod("patched", lab_namespace, {"metadata": {"labels": {"tier": None}}},
                              _content_type="application/merge-patch+json")
    assert "tier" not in core.read_namespaced_pod("patched", lab_namespace).metadata.labels

    server_side = api_error(lambda: core.patch_namespaced_pod("patched", lab_namespace, {},
                                                              _content_type="application/apply-patch+yaml"))
    assert server_side.status == 415


def test_immutable_fields_are_refused_like_the_apiserver(api, core, lab_namespace):
    core.create_namespaced_pod(lab_namespace, stuck_pod("fixed"))
    moved = api_error(lambda: core.patch_namespaced_pod("fixed", lab_namespace, {"spec": {"nodeSelector": {"a": "b"}}}))
    assert (moved.status, "pod updates may not change fields" in json.loads(moved.body)["message"]) == (422, True)
    added = [{"op": "add", "path": "/spec/tolerations/-", "value": {"key": "sku", "operator": "Exists"}}]
    assert len(core.patch_namespaced_pod("fixed", lab_namespace, added).spec.tolerations) == 3  # 2 by admission
    batch = client.BatchV1Api(api)
    batch.create_namespaced_job(lab_namespace, {"metadata": {"name": "fixed"}, "spec": {"template": {
        "spec": {**stuck_pod("x")["spec"], "restartPolicy": "Never"}}}})
    changed = api_error(lambda: batch.patch_namespaced_job("fixed", lab_namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "main", "image": "other:1"}]}}}}))
    assert json.loads(changed.body)["details"]["causes"][0]["field"] == "spec.template"


def test_replace_with_a_stale_resource_version_conflicts(core):
    namespace = core.create_namespace({"metadata": {"name": "stale"}})  # no controller touches it
    namespace.metadata.labels["v"] = "1"
    assert core.replace_namespace("stale", namespace).metadata.labels["v"] == "1"
    namespace.metadata.labels["v"] = "2"
    conflict = api_error(lambda: core.replace_namespace("stale", namespace))
    assert (conflict.status, reason(conflict)) == (409, "Conflict")


def test_delete_answers_then_the_object_is_gone(api, core, lab_namespace):
    core.create_namespaced_pod(lab_namespace, stuck_pod("doomed"))
    deleted = core.delete_namespaced_pod("doomed", lab_namespace, body=client.V1DeleteOptions(propagation_policy="Background"))
    assert deleted.metadata.name == "doomed"
    assert reason(api_error(lambda: core.read_namespaced_pod("doomed", lab_namespace))) == "NotFound"
    batch = client.BatchV1Api(api)
    batch.create_namespaced_job(lab_namespace, {"metadata": {"name": "doomed"}, "spec": {"template": {
        "spec": {**stuck_pod("x")["spec"], "restartPolicy": "Never"}}}})
    status = batch.delete_namespaced_job("doomed", lab_namespace)  # a plain dict in 37.x
    assert (status["status"], status["details"]["name"], status["details"]["kind"]) == ("Success", "doomed", "jobs")
    assert reason(api_error(lambda: core.delete_namespaced_pod("doomed", lab_namespace))) == "NotFound"


def test_namespace_deletion_marks_it_terminating_and_refuses_new_content(tmp_path):
    server = SimServer(tmp_path / "slow", time_scale=1.0).start_in_thread()  # namespaces take 10 s to go
    try:
        core = client.CoreV1Api(api_client(server, tmp_path / "config"))
        core.create_namespace({"metadata": {"name": "leaving"}})
        answer = core.delete_namespace("leaving")  # a plain dict in 37.x
        assert (answer["status"]["phase"], bool(answer["metadata"]["deletionTimestamp"])) == ("Terminating", True)
        assert core.read_namespace("leaving").status.phase == "Terminating"
        refused = api_error(lambda: core.create_namespaced_pod("leaving", stuck_pod("late")))
        assert (refused.status, reason(refused)) == (403, "Forbidden")
        assert "being terminated" in json.loads(refused.body)["message"]
    finally:
        server.stop()


# --- watch, logs, tables ----------------------------------------------------------------------------


def test_watch_sees_a_node_appear(core):
    seen = threading.Event()
    stream = watch.Watch()

    def follow() -> None:
        for event in stream.stream(core.list_node, timeout_seconds=5):
            if event["type"] == "ADDED" and event["object"].metadata.name == "aksgpunp000001":
                seen.set()
                return

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    time.sleep(0.2)
    core.create_node(windows_gpu_node("aksgpunp000001"))
    assert seen.wait(3)
    thread.join(3)
    assert not thread.is_alive()


def test_watch_from_a_resource_version_sends_only_later_changes(core, lab_namespace):
    version = core.list_namespaced_pod(lab_namespace).metadata.resource_version
    core.create_namespaced_pod(lab_namespace, stuck_pod("later"))
    core.delete_namespaced_pod("later", lab_namespace)
    events = []
    for event in watch.Watch().stream(core.list_namespaced_pod, lab_namespace, resource_version=version, timeout_seconds=2):
        events.append((event["type"], event["object"].metadata.name))
        if event["type"] == "DELETED":
            break
    assert events[0] == ("ADDED", "later") and events[-1] == ("DELETED", "later")
    assert {name for _, name in events} == {"later"}  # between them, the scheduler's MODIFIED


def test_pod_logs(sim, core, lab_namespace):
    core.create_namespaced_pod(lab_namespace, stuck_pod("talker"))
    waiting = api_error(lambda: core.read_namespaced_pod_log("talker", lab_namespace))
    assert (waiting.status, "waiting to start: ContainerCreating" in json.loads(waiting.body)["message"]) == (400, True)
    core.patch_namespaced_pod_status("talker", lab_namespace, {"status": {"phase": "Running", "containerStatuses": [
        {"name": "main", "image": "i", "imageID": "", "ready": True, "restartCount": 0, "state": {"running": {}}}]}})
    sim.world.store.append_log(lab_namespace, "talker", "one\ntwo\nthree\n")
    assert core.read_namespaced_pod_log("talker", lab_namespace) == "one\ntwo\nthree\n"
    assert core.read_namespaced_pod_log("talker", lab_namespace, container="main", tail_lines=2) == "two\nthree\n"
    wrong = api_error(lambda: core.read_namespaced_pod_log("talker", lab_namespace, container="other"))
    assert (wrong.status, reason(wrong)) == (400, "BadRequest")


def test_pod_logs_follow_until_the_pod_finishes(sim, core, lab_namespace):
    core.create_namespaced_pod(lab_namespace, stuck_pod("follower"))
    running = {"name": "main", "image": "i", "imageID": "", "ready": True, "restartCount": 0, "state": {"running": {}}}
    core.patch_namespaced_pod_status("follower", lab_namespace, {"status": {"phase": "Running", "containerStatuses": [running]}})
    sim.world.store.append_log(lab_namespace, "follower", "one\n")
    followed: list[bytes] = []
    response = core.read_namespaced_pod_log("follower", lab_namespace, follow=True, _preload_content=False)
    reader = threading.Thread(target=lambda: followed.append(response.read()), daemon=True)
    reader.start()
    time.sleep(0.2)
    sim.world.store.append_log(lab_namespace, "follower", "two\n")
    time.sleep(0.2)
    done = {**running, "ready": False, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
    core.patch_namespaced_pod_status("follower", lab_namespace, {"status": {"phase": "Succeeded", "containerStatuses": [done]}})
    reader.join(3)
    assert followed == [b"one\ntwo\n"]


def test_tables_for_kubectl(wire, gpu_node):
    table = wire("/api/v1/nodes", TABLE).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    columns = [c["name"] for c in table["columnDefinitions"]]
    assert columns[:5] == ["Name", "Status", "Roles", "Age", "Version"]
    row = next(r for r in table["rows"] if r["cells"][0] == gpu_node.metadata.name)
    assert row["cells"][1:3] == ["Ready", "agent"] and row["cells"][4] == "v1.33.2"
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["labels"]["agentpool"] == "gpunp"
    jobs = wire(f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs", TABLE).json()
    assert [c["name"] for c in jobs["columnDefinitions"]][:5] == ["Name", "Status", "Completions", "Duration", "Age"]
    assert wire("/api/v1/namespaces", TABLE).json()["rows"][0]["cells"][1] == "Active"


def test_open_watches_do_not_hold_up_server_shutdown(tmp_path):
    server = SimServer(tmp_path / "stopping", time_scale=1 / 3000).start_in_thread()
    core = client.CoreV1Api(api_client(server, tmp_path / "config"))
    ended = threading.Event()

    def follow() -> None:
        try:
            for _ in watch.Watch().stream(core.list_namespace, timeout_seconds=60):
                pass
        except Exception:  # the connection closing under the stream is how it may end
            pass
        ended.set()

    threading.Thread(target=follow, daemon=True).start()
    time.sleep(0.3)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3
    assert ended.wait(3)


def test_the_arm_planes_kubeconfig_is_the_one_this_plane_serves(sim):
    from azure.mgmt.containerservice import ContainerServiceClient

    from labkit.sim.client import credential

    aks = ContainerServiceClient(credential(sim.state_dir, sim.url), sim.config.subscription_id, base_url=sim.url,
                                 connection_verify=str(sim.state_dir / "ca.pem"))
    value = aks.managed_clusters.list_cluster_user_credentials(sim.config.resource_group, sim.config.cluster_name).kubeconfigs[0].value
    assert value.decode() == kubeconfig_yaml(sim.config, sim.url, (sim.state_dir / "ca.pem").read_bytes(), sim.world.token)


def test_the_client_gets_422_naming_the_field_of_a_broken_rule(api, lab_namespace):
    """(A wrong type never leaves the kubernetes client: its models refuse it; kubectl gets the server's 400.)"""
    ruled = api_error(lambda: client.BatchV1Api(api).create_namespaced_job(lab_namespace, {
        "metadata": {"name": "ruled"}, "spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "i", "resources": {
                "limits": {"microsoft.com/directx": "1"}, "requests": {"microsoft.com/directx": "2"}}}]}}}}))
    status = json.loads(ruled.body)
    assert (ruled.status, status["reason"]) == (422, "Invalid")
    assert [c["field"] for c in status["details"]["causes"]] == ["spec.template.spec.containers[0].resources.requests"]
    assert status["message"] == ('Job "ruled" is invalid: spec.template.spec.containers[0].resources.requests: '
                                 'Invalid value: "2": must be equal to microsoft.com/directx limit of 1')
