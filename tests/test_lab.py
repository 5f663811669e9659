"""labkit's operations against the simulator, through the real Azure SDKs and kubernetes client."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from labkit import Lab, OperationError, WaitTimeout, load_params
from labkit.capacity import gpu_nodes, wait_for_gpus
from labkit.cleanup import cleanup, leftovers, other_labs_pools
from labkit.kube_objects import deploy_device_plugin, ensure_namespace, run_workload
from labkit.pools import create_gpu_pool, get_pool, pool_body
from labkit.sim.entra.directory import read_secret
from labkit.prereqs import cluster_checks, tool_checks
from labkit.preview import feature_state, register_feature, register_provider, wait_for_provider

ROOT = Path(__file__).resolve().parent.parent


def lab_of(lab_id: str, **values) -> Lab:
    return Lab(load_params(**{"lab_id": lab_id, "timeout_minutes": 1, **values}))


def test_lab_uses_the_running_simulator_and_hides_the_token(lab, sim):
    assert lab.backend.arm_endpoint == sim.url
    assert lab.backend.subscription_id == sim.config.subscription_id
    shown = repr(lab) + repr(lab.backend.credential)
    assert sim.world.token not in shown and read_secret(sim.state_dir) not in shown


def test_kubeconfig_is_private_and_outside_the_repository(lab):
    path = lab.kubeconfig_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ROOT not in path.resolve().parents
    assert [n["metadata"]["name"] for n in lab.k8s.list("Node")]


def test_prerequisites_pass_on_the_simulated_cluster(lab):
    assert all(check.ok is not False for check in tool_checks() + cluster_checks(lab))


def test_pool_before_feature_registration_is_a_readable_error(lab):
    assert feature_state(lab) == "NotRegistered"
    with pytest.raises(OperationError) as caught:
        create_gpu_pool(lab)
    assert caught.value.code == "PreviewFeatureNotRegistered"
    assert "01_preview_setup" in str(caught.value)
    assert len(str(caught.value).splitlines()) == 2


def test_preview_registration_twice(lab):
    for _ in range(2):
        assert register_feature(lab) == "Registered"
        assert register_provider(lab) == "Registered"


def test_a_registration_another_lab_started_is_waited_for_not_failed_on(lab, monkeypatch):
    from labkit import preview

    lab.resources.providers.register("Microsoft.ContainerService")  # another attendee re-registers
    assert wait_for_provider(lab) == "Registered"
    seen = iter([("Registering", 0.0), ("Registering", 0.0), ("Registered", 0.0)])  # a slower re-registration
    monkeypatch.setattr(preview, "_provider", lambda _: next(seen))
    registered = []
    monkeypatch.setattr(lab.resources.providers, "register", lambda *args, **kwargs: registered.append(args))
    assert preview.register_provider(lab) == "Registered"  # waited for, and not registered a second time
    assert registered == []


def test_auto_driver_pool_twice_gives_one_pool_tagged_with_the_lab(lab):
    for _ in range(2):
        pool = create_gpu_pool(lab)
    assert pool.properties.provisioning_state == "Succeeded"
    assert pool.properties.tags == {"labkit": "02_gpu_pool_auto_driver", "labkit-lab": "alpha"}
    rows = wait_for_gpus(lab, "gpunp")
    assert [(r.node, r.capacity, r.allocatable) for r in rows] == [("aksgpunp000000", 1, 1)]


def test_driver_type_is_sent_with_the_preview_api_version(lab):
    grid = lab_of("alpha", pool_name="gpugr", driver_type="GRID")
    assert "driverType" in pool_body(grid, manual=False)["properties"]["gpuProfile"]
    pool = create_gpu_pool(grid)
    assert dict(pool.properties.gpu_profile) == {"driver": "Install", "driverType": "GRID"}


def test_existing_pool_with_other_settings_is_refused(lab):
    with pytest.raises(OperationError, match="vmSize is 'Standard_NC4as_T4_v3', not 'Standard_NC8as_T4_v3'"):
        create_gpu_pool(lab_of("alpha", vm_size="Standard_NC8as_T4_v3"))


def test_another_labs_pool_of_that_name_is_never_used(lab):
    with pytest.raises(OperationError) as caught:
        create_gpu_pool(lab_of("bravo"))
    assert caught.value.code == "PoolOfAnotherLab"
    assert "pool gpunp exists and belongs to lab alpha" in str(caught.value)
    assert "set pool_name to a name no one uses, e.g. 'gpuavo'" in str(caught.value)


def test_a_pool_made_by_hand_is_never_used_either(lab):
    p = lab.params
    by_hand = {"properties": {"count": 1, "vmSize": "Standard_NC4as_T4_v3", "osType": "Windows", "mode": "User"}}
    lab.aks.agent_pools.begin_create_or_update(p.resource_group, p.cluster_name, "byhand", by_hand).result()
    with pytest.raises(OperationError, match="belongs to someone else"):
        create_gpu_pool(lab_of("alpha", manual_pool_name="byhand"), manual=True)


def test_manual_pool_gets_gpus_only_with_the_device_plugin_which_runs_on_that_pool_only(lab):
    create_gpu_pool(lab, manual=True)
    assert [r.allocatable for r in gpu_nodes(lab, ["gpudx"])] == [0]
    for _ in range(2):
        daemonset = deploy_device_plugin(lab)
    assert daemonset["metadata"]["namespace"] == "gpu-resources"
    assert daemonset["status"]["numberReady"] == daemonset["status"]["desiredNumberScheduled"] == 1
    pods = lab.k8s.list("Pod", "gpu-resources", label_selector="labkit.io/lab=alpha,name=nvidia-device-plugin-ds")
    assert [pod["spec"]["nodeName"] for pod in pods] == ["aksgpudx000000"]
    assert [r.allocatable for r in wait_for_gpus(lab, "gpudx")] == [1]


def test_workload_runs_twice_on_the_labs_driver_skipped_pool_and_logs_its_gpu(lab):
    node, log = run_workload(lab)
    assert node == "aksgpudx000000"
    assert "NVIDIA Tesla T4" in log
    assert run_workload(lab) == (node, log)


def test_a_second_lab_gets_its_own_namespace_and_never_another_labs(lab):
    bravo = lab_of("bravo", pool_name="gpub", manual_pool_name="gpubm")
    assert ensure_namespace(bravo) == "gpu-resources-bravo"
    assert ensure_namespace(bravo) == "gpu-resources-bravo"
    with pytest.raises(OperationError, match="namespace gpu-resources belongs to lab alpha"):
        ensure_namespace(lab_of("bravo", plugin_namespace="gpu-resources"))


def test_a_users_own_namespace_and_device_plugin_are_used_but_never_taken_over(lab):
    from labkit import manifests
    from labkit.kube_objects import PLUGIN_DAEMONSET

    theirs = lab_of("alpha", plugin_namespace="theirs")
    theirs.k8s.create("Namespace", {"metadata": {"name": "theirs"}})
    (plugin,) = manifests.load(manifests.DEVICE_PLUGIN, namespace="theirs")
    plugin["metadata"]["labels"] = {}
    theirs.k8s.create("DaemonSet", plugin, "theirs")
    deploy_device_plugin(theirs)
    assert theirs.k8s.read("DaemonSet", PLUGIN_DAEMONSET, "theirs")["metadata"].get("labels", {}) == {}


def test_pool_being_deleted_is_waited_out_and_created_again(lab):
    p = lab.params
    lab.aks.agent_pools.begin_delete(p.resource_group, p.cluster_name, "gpunp")
    assert get_pool(lab, "gpunp").properties.provisioning_state == "Deleting"
    pool = create_gpu_pool(lab)
    assert pool.properties.provisioning_state == "Succeeded"
    assert [r.allocatable for r in wait_for_gpus(lab, "gpunp")] == [1]


def test_a_differently_named_gpu_resource_is_a_config_error_at_once(lab):
    from labkit import LabConfigError

    with pytest.raises(LabConfigError) as caught:
        wait_for_gpus(lab_of("alpha", gpu_resource_name="microsoft.com.directx/gpu"), "gpunp")
    assert caught.value.params == ["gpu_resource_name"]
    assert "Set gpu_resource_name='microsoft.com/directx'" in str(caught.value)


def test_entra_id_kubeconfig_without_kubelogin_is_a_clear_error():
    from labkit.lab import _require_exec_plugins

    kubeconfig = b"users:\n- name: u\n  user:\n    exec:\n      command: kubelogin-not-installed-here\n"
    with pytest.raises(OperationError) as caught:
        _require_exec_plugins(kubeconfig)
    assert caught.value.code == "CredentialPluginMissing" and "az aks install-cli" in caught.value.hint


def test_service_error_is_one_line_with_a_hint(lab):
    unchecked = lab_of("alpha", pool_name="gpuold", vm_size="Standard_NC6s_v3", local_checks=False)
    with pytest.raises(OperationError) as caught:
        create_gpu_pool(unchecked)
    assert caught.value.code == "BadRequest"  # AKS's answer to a size not offered (retired NCv3)
    assert str(caught.value).startswith("creating pool gpuold failed: BadRequest: The VM size of AgentPoolProfile:gpuold")
    assert "Standard_NC4as_T4_v3" in str(caught.value)
    assert get_pool(unchecked, "gpuold") is None


def test_wait_times_out_with_what_and_state(lab):
    with pytest.raises(WaitTimeout) as caught:
        create_gpu_pool(lab_of("alpha", pool_name="gpuslw", timeout_minutes=0.0005))
    assert "pool gpuslw" in str(caught.value) and "still InProgress" in str(caught.value)  # the operation's status


def test_cleanup_finds_the_labs_pools_by_tag_whatever_the_parameters_name(lab):
    renamed = lab_of("alpha", pool_name="gpu1")  # lesson 02 run once with another name
    create_gpu_pool(renamed)
    assert "pool gpu1 in myResourceGroup/myAKSCluster (Succeeded)" in leftovers(lab)


def test_cleanup_removes_the_lab_whole_and_nothing_else_and_twice_is_fine(lab):
    bravo = lab_of("bravo", pool_name="gpub", manual_pool_name="gpubm")
    create_gpu_pool(bravo)
    assert [item.name for item in other_labs_pools(lab)] == ["gpub"]
    removed = {item.label for item in cleanup(lab)}
    assert {"pool gpunp in myResourceGroup/myAKSCluster", "pool gpu1 in myResourceGroup/myAKSCluster",
            "pool gpugr in myResourceGroup/myAKSCluster", "Namespace gpu-resources"} <= removed
    assert cleanup(lab) == []
    assert leftovers(lab) == []
    assert get_pool(lab, "byhand") is not None, "a pool no lab created"
    assert lab.k8s.read("Namespace", "theirs") is not None, "a namespace the user made"
    assert lab.k8s.read("DaemonSet", "nvidia-device-plugin-daemonset", "theirs") is not None, "the user's own plugin"
    assert get_pool(lab, "gpub") is not None and lab.k8s.read("Namespace", "gpu-resources-bravo") is not None
    assert {item.label for item in cleanup(bravo)} == {"pool gpub in myResourceGroup/myAKSCluster", "Namespace gpu-resources-bravo"}


def test_kubernetes_error_is_one_readable_line(lab):
    from labkit.failures import reported

    with pytest.raises(OperationError) as caught:
        with reported("creating pod bad"):
            lab.k8s.create("Pod", {"metadata": {"name": "bad"}, "spec": {}}, "default")
    assert caught.value.code == "Invalid"
    assert str(caught.value).startswith("creating pod bad failed: Invalid: ")
    assert "Traceback" not in str(caught.value)
