"""No client input makes the simulator answer 5xx, log a complaint, or store an object kube-apiserver would refuse.

Every route of both planes gets the same hostile bodies: non-objects, wrong types, bad names, deep nesting,
bodies over the size limits, undecodable bytes, huge numbers, YAML and protobuf oddities, hostile patches
and queries. The autouse ``no_simulator_complaints`` fixture fails the test on any warning or traceback.
"""

from __future__ import annotations

import json
import os

import pytest
import requests

from labkit.sim import bodies, resources, schema, validation

DEEP = b"[" * 200_000 + b"]" * 200_000
DEEP_OBJECT = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
#: Aliases that expand to 9.5 million values ("billion laughs").
YAML_BOMB = (b"a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                         b"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                         b"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                         b"h: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n")

#: Bodies every route of both planes gets, with every method, as (content type, bytes).
EVERY_ROUTE_BODIES = [
    ("application/json", b"{}"),
    ("application/json", b"[]"),
    ("application/json", DEEP),
    ("application/json", b'{"metadata": {"name": "\xff\xfe"}, "spec": {"nodeSelector": "notadict", "containers": "x"}}'),
    ("application/json", b'{"metadata": {"name": "Bad_Name!"}, "properties": {"count": 1e400, "vmSize": 10}}'),
]

#: Every other hostile body, for one route of each handler (each resource's collection, object, status).
HOSTILE_BODIES = [
    ("application/json", b'"a string"'),
    ("application/json", b"12"),
    ("application/json", b"null"),
    ("application/json", b"true"),
    ("application/json", b"{"),
    ("application/json", b'{"metadata": "x"}'),
    ("application/json", b'{"metadata": {"name": 5, "labels": {"a": 1}}}'),
    ("application/json", b'{"metadata": {"name": "Bad_Name!", "annotations": []}}'),
    ("application/json", b'{"metadata": {"name": "' + b"a" * 300 + b'"}}'),
    ("application/json", b'{"metadata": {"name": "../../etc"}}'),
    ("application/json", b'{"metadata": {"name": "\xff\xfe\xfd"}}'),
    ("application/json", b'{"metadata": {"name": "nan"}, "spec": {"replicas": NaN, "x": Infinity}}'),
    ("application/json", b'{"metadata": {"name": "huge"}, "spec": {"backoffLimit": 1e400, "completions": 1' + b"0" * 5000 + b"}}"),
    ("application/json", b'{"metadata": {"name": "big"}, "spec": {"parallelism": 99999999999999999999, "ttlSecondsAfterFinished": -5}}'),
    ("application/json", b'{"metadata": {"name": "ns"}, "spec": {"nodeSelector": "notadict", "containers": "x"}}'),
    ("application/json", json.dumps({"metadata": {"name": "typed"}, "spec": {
        "selector": "x", "template": {"spec": {"nodeSelector": "notadict", "containers": [{"name": 1}],
                                               "tolerations": [{"operator": "Sometimes", "effect": 3}]}},
        "updateStrategy": {"type": []}, "taints": "x", "unschedulable": "yes"},
        "status": {"capacity": {"cpu": "lots"}, "conditions": [{"type": 1}], "phase": {}},
        "involvedObject": "x", "data": {"a": [1]}, "revision": "one"}).encode()),
    ("application/json", json.dumps({"metadata": {"name": "affine"}, "spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "i", "resources": {"limits": {"example.com/x": "0.5"}, "requests": {"example.com/x": "2"}}}],
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "spec.x", "operator": "Near"}]}]}}}}}}}).encode()),
    ("application/json", b'{"metadata": {"name": "a", "annotations": {"k": "' + b"v" * 300_000 + b'"}}}'),
    ("application/json", DEEP_OBJECT),
    ("application/yaml", b"metadata: {name: when, creationTimestamp: 2020-01-01}\nspec: !!binary aGVsbG8=\n"),
    ("application/yaml", b"metadata:\n  name: keys\n  labels: {1: 2, null: true}\n"),
    ("application/yaml", b"- [" * 3000),
    ("application/yaml", b"\x00\x01: ["),
    ("application/vnd.kubernetes.protobuf", b"k8s\x00" + os.urandom(64)),
    ("application/vnd.kubernetes.protobuf", b"k8s\x00\n\xff\xff\xff\xff\x0f"),
    ("application/vnd.kubernetes.protobuf", b"not protobuf at all"),
    ("application/json-patch+json", b'[{"op": "add", "path": "/spec/x/y/z", "value": 1}, {"op": "explode"}]'),
    ("application/json-patch+json", b'[{"op": "replace", "path": "/metadata", "value": "x"}]'),
    ("application/json-patch+json", b'[{"op": "move", "from": "/nothing", "path": "/x"}, 5]'),
    ("application/merge-patch+json", b'{"spec": "x", "metadata": {"labels": {"a": {"b": 1}}}}'),
    ("application/strategic-merge-patch+json", b'{"$patch": "delete", "spec": {"containers": [{"$patch": "replace"}, 1]}}'),
    ("application/strategic-merge-patch+json", b'{"metadata": {"$deleteFromPrimitiveList/finalizers": "x", "$setElementOrder/x": 3}}'),
    ("text/plain", b"\xff" * 100),
]

QUERIES = [
    "", "?watch=true&timeoutSeconds=0", "?watch=1&timeoutSeconds=99999999999999999999&resourceVersion=abc",
    "?labelSelector=a%20in%20(b&fieldSelector=!!!", "?labelSelector=" + "a," * 2000, "?fieldSelector=spec.nodeName%3D%3D%3Dx",
    "?tailLines=-1&limitBytes=-5&container=%00", "?dryRun=All&propagationPolicy=Sideways", "?api-version=%ff%fe",
    "?resourceVersion=1&watch=true&timeoutSeconds=0&allowWatchBookmarks=maybe",
]


def arm_paths(sim) -> list[str]:
    sub, rg, cluster = sim.config.subscription_id, sim.config.resource_group, sim.config.cluster_name
    root = f"/subscriptions/{sub}"
    cluster_path = f"{root}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{cluster}"
    features = f"{root}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features"
    location = f"{root}/providers/Microsoft.ContainerService/locations/{sim.config.location}"
    return [
        f"{root}/resourceGroups/{rg}", f"{root}/providers/Microsoft.ContainerService",
        f"{root}/providers/Microsoft.ContainerService/register", features, f"{features}/WindowsGPUPreview",
        f"{features}/WindowsGPUPreview/register", f"{root}/providers/Microsoft.ContainerService/managedClusters",
        f"{root}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters", cluster_path,
        f"{cluster_path}/listClusterUserCredential", f"{cluster_path}/listClusterAdminCredential",
        f"{cluster_path}/agentPools", f"{cluster_path}/agentPools/gpunp", f"{cluster_path}/agentPools/Bad_Pool!",
        f"{location}/operations/nope", f"{location}/operationresults/nope", f"{location}/kubernetesVersions",
        f"{root}/providers/Microsoft.Compute/skus", f"{root}/providers/Microsoft.Compute/locations/{sim.config.location}/usages",
        "/subscriptions/%ff%fe/resourceGroups/x", "/providers/Microsoft.Nothing",
    ]


def kube_paths() -> list[str]:
    paths = ["/version", "/openapi/v2", "/openapi/v3/apis/apps/v1", "/api", "/api/v1", "/apis", "/apis/apps",
             "/apis/apps/v1", "/apis/nope/v9", "/api/v1/nopes", "/api/v1/namespaces/%ff%fe/pods/%00"]
    for resource in resources.RESOURCES:
        prefix = f"/api/{resource.version}" if not resource.group else f"/apis/{resource.group}/{resource.version}"
        base = f"{prefix}/namespaces/default/{resource.name}" if resource.namespaced else f"{prefix}/{resource.name}"
        paths += [base, f"{base}/Bad_Name!"]
        paths += [f"{base}/hostile/{sub}" for sub in resource.subresources]
    return paths


@pytest.fixture(scope="module")
def wire(sim, arm_token):
    """``wire(method, path, body, content_type)``: plain https with each plane's token (ARM's from the Entra
    stand-in, the Kubernetes plane's from its kubeconfig), so that every request reaches its handler."""
    from labkit.sim.auth import is_arm

    session = requests.Session()
    tokens = {True: arm_token(sim), False: sim.world.token}
    ca = str(sim.state_dir / "ca.pem")

    def call(method: str, path: str, body: bytes = b"", content_type: str = "application/json", stream=None):
        data = stream if stream is not None else body
        headers = {"Content-Type": content_type, "Authorization": f"Bearer {tokens[is_arm(path)]}"}
        return session.request(method, sim.url + path, data=data, headers=headers, verify=ca, timeout=60)

    return call


def throw(wire, routes, hostile_bodies) -> dict[int, list]:
    """Send every body to every route; the answers by status."""
    answers: dict[int, list] = {}
    for method, path in routes:
        for content_type, body in hostile_bodies:
            status = wire(method, path, body, content_type).status_code
            answers.setdefault(status, []).append((method, path, content_type, body[:60]))
    return answers


def test_every_route_of_both_planes_answers_hostile_bodies_without_a_server_error(sim, wire):
    paths = [p + "?api-version=2026-08-01" for p in arm_paths(sim)] + kube_paths()
    answers = throw(wire, [(m, p) for p in paths for m in ("POST", "PUT", "PATCH", "DELETE")], EVERY_ROUTE_BODIES)
    assert not [s for s in answers if s >= 500], {s: answers[s][:5] for s in answers if s >= 500}


def test_each_handler_answers_every_hostile_body_without_a_server_error(sim, wire):
    routes = [("PUT", arm_paths(sim)[12] + "?api-version=2026-08-01"), ("POST", arm_paths(sim)[2] + "?api-version=2026-08-01")]
    for resource in resources.RESOURCES:
        prefix = f"/api/{resource.version}" if not resource.group else f"/apis/{resource.group}/{resource.version}"
        base = f"{prefix}/namespaces/default/{resource.name}" if resource.namespaced else f"{prefix}/{resource.name}"
        routes += [("POST", base), ("PUT", f"{base}/hostile"), ("PATCH", f"{base}/kube-system")]
        routes += [(method, f"{base}/default/status") for method in ("PUT", "PATCH") if "status" in resource.subresources]
    routes.append(("DELETE", "/api/v1/namespaces/default/pods/hostile"))  # DeleteOptions are read alike everywhere
    answers = throw(wire, routes, HOSTILE_BODIES)
    assert not [s for s in answers if s >= 500], {s: answers[s][:5] for s in answers if s >= 500}


def test_no_hostile_query_gets_a_server_error(sim, wire):
    answers = throw(wire, [("GET", path + query) for path in arm_paths(sim)[:6] + kube_paths() for query in QUERIES],
                    [("application/json", b"")])
    assert not [s for s in answers if s >= 500], {s: answers[s][:5] for s in answers if s >= 500}


@pytest.mark.parametrize("size_mb", [10, 20])
def test_bodies_over_the_limits_answer_413_on_both_planes(sim, wire, size_mb):
    body = b'{"metadata": {"name": "big", "annotations": {"a": "' + b"x" * (size_mb * 2 ** 20) + b'"}}}'
    kube = wire("POST", "/api/v1/namespaces", body)
    assert (kube.status_code, kube.json()["reason"], kube.json()["message"]) == (
        413, "RequestEntityTooLarge", f"Request entity too large: limit is {bodies.KUBE_MAX_BODY_BYTES}")
    arm = wire("PUT", arm_paths(sim)[11] + "?api-version=2026-08-01", body)
    assert (arm.status_code, arm.json()["error"]["code"]) == (413, "RequestContentTooLarge")
    chunked = wire("POST", "/api/v1/namespaces", stream=(body[i:i + 2 ** 20] for i in range(0, len(body), 2 ** 20)))
    assert chunked.status_code == 413  # no Content-Length: counted as it arrives


def test_a_yaml_bomb_is_refused(wire):
    answer = wire("POST", "/api/v1/namespaces", YAML_BOMB, "application/yaml")
    assert (answer.status_code, answer.json()["reason"]) == (400, "BadRequest")
    assert "more than 1000000 values" in answer.json()["message"]


def test_an_object_over_etcds_limit_is_refused(wire):
    big = json.dumps({"metadata": {"name": "big", "labels": {}},
                      "data": {"blob": "x" * (2 * 2 ** 20)}}).encode()  # 2 MiB: under the body limit, over etcd's
    answer = wire("POST", "/apis/apps/v1/namespaces/default/controllerrevisions", big)
    assert (answer.status_code, answer.json()["reason"]) == (413, "RequestEntityTooLarge")


def test_wrong_types_are_refused_as_kube_apiserver_words_it(wire):
    body = {"metadata": {"name": "typed"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
        "metadata": {"labels": {"a": "b"}}, "spec": {"nodeSelector": "notadict", "containers": [{"name": "c", "image": "i"}]}}}}
    answer = wire("POST", "/apis/apps/v1/namespaces/default/daemonsets", json.dumps(body).encode())
    assert (answer.status_code, answer.json()["reason"], answer.json()["message"]) == (
        400, "BadRequest", 'DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal string '
                           "into Go struct field PodSpec.spec.template.spec.nodeSelector of type map[string]string")


def test_values_that_break_the_rules_are_refused_naming_the_field(wire):
    body = {"metadata": {"name": "ruled"}, "spec": {"ttlSecondsAfterFinished": -1, "template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}],
        "tolerations": [{"key": "k", "operator": "Sometimes"}]}}}}
    answer = wire("POST", "/apis/batch/v1/namespaces/default/jobs", json.dumps(body).encode()).json()
    assert (answer["code"], answer["reason"]) == (422, "Invalid")
    assert [c["field"] for c in answer["details"]["causes"]] == ["spec.template.spec.tolerations[0].operator",
                                                                 "spec.ttlSecondsAfterFinished"]


def test_nothing_stored_is_what_kube_apiserver_would_refuse(sim, wire):
    """After everything above: every stored object decodes as its type and passes validation."""
    for resource in resources.RESOURCES:
        for obj in sim.world.store.list(resource.kind):
            schema.decode(resource.kind, resource.version, obj)
            validation.validate(resource, obj)
            assert len(json.dumps(obj)) < bodies.MAX_STORED_OBJECT_BYTES
