"""JSON patch, merge patch and strategic merge patch, as kubectl and the kubernetes client send them."""

from __future__ import annotations

import pytest

from labkit.sim.apierrors import ApiError
from labkit.sim.patch import json_patch, merge_patch, strategic_merge

POD = {
    "metadata": {"labels": {"app": "web"}, "finalizers": ["a"]},
    "spec": {
        "containers": [
            {"name": "main", "image": "app:1", "env": [{"name": "A", "value": "1"}],
             "ports": [{"containerPort": 80, "protocol": "TCP"}]},
            {"name": "sidecar", "image": "side:1"},
        ],
        "tolerations": [{"key": "sku", "operator": "Equal", "value": "gpu"}],
        "volumes": [{"name": "data", "hostPath": {"path": "/data", "type": ""}}],
    },
    "status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}]},
}


def test_strategic_merge_merges_keyed_lists_and_replaces_others():
    patched = strategic_merge(POD, {"spec": {
        "containers": [{"name": "main", "image": "app:2", "env": [{"name": "B", "value": "2"}]}],
        "tolerations": [{"key": "os", "operator": "Exists"}]}})
    main = patched["spec"]["containers"][0]
    assert (main["image"], [e["name"] for e in main["env"]], main["ports"]) == ("app:2", ["A", "B"], POD["spec"]["containers"][0]["ports"])
    assert [c["name"] for c in patched["spec"]["containers"]] == ["main", "sidecar"]
    assert patched["spec"]["tolerations"] == [{"key": "os", "operator": "Exists"}]
    assert POD["spec"]["containers"][0]["image"] == "app:1"  # the target is left alone


def test_strategic_merge_conditions_by_type_and_finalizers_as_a_set():
    patched = strategic_merge(POD, {"metadata": {"finalizers": ["b", "a"]},
                                    "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    assert patched["status"]["conditions"] == [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}]
    assert patched["metadata"]["finalizers"] == ["a", "b"]


def test_strategic_merge_directives():
    patched = strategic_merge(POD, {
        "metadata": {"labels": {"app": None}, "$deleteFromPrimitiveList/finalizers": ["a"]},
        "spec": {
            "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "main"}],
            "containers": [{"name": "sidecar", "image": "side:2"}],
            "volumes": [{"name": "data", "emptyDir": {}, "$retainKeys": ["name", "emptyDir"]}],
        },
        "status": {"conditions": [{"type": "PodScheduled", "$patch": "delete"}]},
    })
    assert patched["metadata"] == {"labels": {}, "finalizers": []}
    assert [(c["name"], c["image"]) for c in patched["spec"]["containers"]] == [("sidecar", "side:2"), ("main", "app:1")]
    assert patched["spec"]["volumes"] == [{"name": "data", "emptyDir": {}}]
    assert patched["status"]["conditions"] == [{"type": "Ready", "status": "False"}]
    replaced = strategic_merge(POD, {"spec": {"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}})
    assert replaced["spec"]["containers"] == [{"name": "only", "image": "x"}]


def test_merge_patch_replaces_lists_and_deletes_nulls():
    patched = merge_patch(POD, {"metadata": {"labels": {"app": None, "tier": "gpu"}},
                                "spec": {"containers": [{"name": "only"}]}})
    assert patched["metadata"]["labels"] == {"tier": "gpu"}
    assert patched["spec"]["containers"] == [{"name": "only"}]


def test_json_patch_operations():
    patched = json_patch(POD, [
        {"op": "test", "path": "/spec/containers/0/name", "value": "main"},
        {"op": "replace", "path": "/spec/containers/0/image", "value": "app:3"},
        {"op": "add", "path": "/metadata/labels/kubernetes.io~1os", "value": "windows"},
        {"op": "add", "path": "/spec/containers/-", "value": {"name": "third"}},
        {"op": "remove", "path": "/spec/containers/1"},
        {"op": "copy", "from": "/metadata/labels/app", "path": "/metadata/labels/copy"},
        {"op": "move", "from": "/metadata/labels/copy", "path": "/metadata/labels/moved"},
    ])
    assert [c["name"] for c in patched["spec"]["containers"]] == ["main", "third"]
    assert patched["spec"]["containers"][0]["image"] == "app:3"
    assert patched["metadata"]["labels"] == {"app": "web", "kubernetes.io/os": "windows", "moved": "web"}


@pytest.mark.parametrize("operations, code", [
    ([{"op": "test", "path": "/metadata/labels/app", "value": "db"}], 422),
    ([{"op": "remove", "path": "/spec/nothing"}], 422),
    ([{"op": "jump", "path": "/spec"}], 400),
    ({"op": "add"}, 400),
])
def test_json_patch_failures(operations, code):
    with pytest.raises(ApiError) as info:
        json_patch(POD, operations)
    assert info.value.status["code"] == code
