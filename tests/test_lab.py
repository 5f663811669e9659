"""labkit's operations against the simulator, through the real Azure SDKs and kubernetes client."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from labkit import Lab, OperationError, WaitTimeout, load_params
from labkit.capacity import gpu_nodes, wait_for_gpus
from labkit.cleanup import cleanup, leftovers
from labkit.kube_objects import deploy_device_plugin, run_workload
from labkit.pools import create_gpu_pool, get_pool, pool_body
from labkit.prereqs import cluster_checks, tool_checks
from labkit.preview import feature_state, register_feature, register_provider

ROOT = Path(__file__).resolve().parent.parent


def test_lab_uses_the_running_simulator_and_hides_the_token(lab, sim):
    assert lab.backend.arm_endpoint == sim.url
    assert lab.backend.subscription_id == sim.config.subscription_id
    assert sim.world.token not in repr(lab) + repr(lab.backend.credential)


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


def test_auto_driver_pool_twice_gives_one_pool_with_gpus(lab):
    for _ in range(2):
        pool = create_gpu_pool(lab)
    assert pool.properties.provisioning_state == "Succeeded"
    assert pool.properties.tags == {"labkit": "02_gpu_pool_auto_driver"}
    rows = wait_for_gpus(lab, "gpunp")
    assert [(r.node, r.capacity, r.allocatable) for r in rows] == [("aksgpunp000000", 1, 1)]


def test_driver_type_is_sent_with_the_preview_api_version(lab):
    grid = Lab(load_params(pool_name="gpugr", manual_pool_name="gpudx", driver_type="GRID", timeout_minutes=1))
    assert "driverType" in pool_body(grid, manual=False)["properties"]["gpuProfile"]
    pool = create_gpu_pool(grid)
    assert dict(pool.properties.gpu_profile) == {"driver": "Install", "driverType": "GRID"}


def test_existing_pool_with_other_settings_is_refused(lab):
    other = Lab(load_params(vm_size="Standard_NC8as_T4_v3", timeout_minutes=1))
    with pytest.raises(OperationError, match="vmSize is 'Standard_NC4as_T4_v3', not 'Standard_NC8as_T4_v3'"):
        create_gpu_pool(other)


def test_manual_pool_gets_gpus_only_with_the_device_plugin(lab):
    create_gpu_pool(lab, manual=True)
    assert [r.allocatable for r in gpu_nodes(lab) if r.pool == "gpudx"] == [0]
    for _ in range(2):
        daemonset = deploy_device_plugin(lab)
    assert daemonset["status"]["numberReady"] == daemonset["status"]["desiredNumberScheduled"] >= 2
    assert [r.allocatable for r in wait_for_gpus(lab, "gpudx")] == [1]


def test_workload_runs_twice_and_logs_its_gpu(lab):
    node, log = run_workload(lab)
    assert node.startswith("aksgp")
    assert "NVIDIA Tesla T4" in log
    assert run_workload(lab) == (node, log)


def test_a_users_own_device_plugin_is_used_but_never_taken_over(lab):
    from labkit import manifests
    from labkit.kube_objects import PLUGIN_DAEMONSET

    theirs = Lab(load_params(plugin_namespace="theirs", timeout_minutes=1))
    theirs.k8s.create("Namespace", {"metadata": {"name": "theirs"}})
    (plugin,) = manifests.load(manifests.DEVICE_PLUGIN, namespace="theirs")
    plugin["metadata"]["labels"] = {}
    theirs.k8s.create("DaemonSet", plugin, "theirs")
    deploy_device_plugin(theirs)
    assert theirs.k8s.read("DaemonSet", PLUGIN_DAEMONSET, "theirs")["metadata"].get("labels", {}) == {}
    assert "DaemonSet theirs/" + PLUGIN_DAEMONSET not in cleanup(Lab(load_params(plugin_namespace="theirs", pool_name="nopool", manual_pool_name="nopol2")))
    assert theirs.k8s.read("DaemonSet", PLUGIN_DAEMONSET, "theirs") is not None


def test_pool_being_deleted_is_waited_out_and_created_again(lab):
    p = lab.params
    lab.aks.agent_pools.begin_delete(p.resource_group, p.cluster_name, "gpunp")
    assert get_pool(lab, "gpunp").properties.provisioning_state == "Deleting"
    pool = create_gpu_pool(lab)
    assert pool.properties.provisioning_state == "Succeeded"
    assert [r.allocatable for r in wait_for_gpus(lab, "gpunp")] == [1]


def test_a_differently_named_gpu_resource_is_a_config_error_at_once(lab):
    from labkit import LabConfigError

    other_name = Lab(load_params(gpu_resource_name="microsoft.com.directx/gpu", timeout_minutes=1))
    with pytest.raises(LabConfigError) as caught:
        wait_for_gpus(other_name, "gpunp")
    assert caught.value.params == ["gpu_resource_name"]
    assert "Set gpu_resource_name='microsoft.com/directx'" in str(caught.value)


def test_entra_id_kubeconfig_without_kubelogin_is_a_clear_error():
    from labkit.lab import _require_exec_plugins

    kubeconfig = b"users:\n- name: u\n  user:\n    exec:\n      command: kubelogin-not-installed-here\n"
    with pytest.raises(OperationError) as caught:
        _require_exec_plugins(kubeconfig)
    assert caught.value.code == "CredentialPluginMissing" and "az aks install-cli" in caught.value.hint


def test_service_error_is_one_line_with_a_hint(lab):
    unchecked = Lab(load_params(pool_name="gpuold", vm_size="Standard_NC6s_v3", local_checks=False, timeout_minutes=1))
    with pytest.raises(OperationError) as caught:
        create_gpu_pool(unchecked)
    assert caught.value.code == "BadRequest"  # AKS's answer to a size not offered (retired NCv3)
    assert str(caught.value).startswith("creating pool gpuold failed: BadRequest: The VM size of AgentPoolProfile:gpuold")
    assert "Standard_NC4as_T4_v3" in str(caught.value)
    assert get_pool(unchecked, "gpuold") is None


def test_wait_times_out_with_what_and_state(lab):
    hasty = Lab(load_params(pool_name="gpuslw", timeout_minutes=0.0005))
    with pytest.raises(WaitTimeout) as caught:
        create_gpu_pool(hasty)
    assert "pool gpuslw" in str(caught.value) and "Creating" in str(caught.value)


def test_cleanup_removes_only_what_the_lab_created_and_twice_is_fine(lab, sim):
    p = lab.params
    user_pool = {"properties": {"count": 1, "vmSize": "Standard_NC4as_T4_v3", "osType": "Windows", "mode": "User"}}
    lab.aks.agent_pools.begin_create_or_update(p.resource_group, p.cluster_name, "userpl", user_pool).result()
    lab.k8s.create("Namespace", {"metadata": {"name": "users-own"}})
    removed = cleanup(lab)
    assert {"pool gpunp", "pool gpudx", "Namespace gpu-resources"} <= set(removed)
    assert cleanup(lab) == []
    assert leftovers(lab) == []
    assert get_pool(lab, "userpl") is not None, "a pool the lab did not create"
    assert lab.k8s.read("Namespace", "users-own")["metadata"]["name"] == "users-own"
    for other in ("gpugr", "gpuslw"):  # other labs' pools (other names): theirs to clean up
        assert get_pool(lab, other) is not None
        assert cleanup(Lab(load_params(pool_name=other, timeout_minutes=1))) == [f"pool {other}"]



def test_kubernetes_error_is_one_readable_line(lab):
    from labkit.failures import reported

    with pytest.raises(OperationError) as caught:
        with reported("creating pod bad"):
            lab.k8s.create("Pod", {"metadata": {"name": "bad"}, "spec": {}}, "default")
    assert caught.value.code == "Invalid"
    assert str(caught.value).startswith("creating pod bad failed: Invalid: ")
    assert "Traceback" not in str(caught.value)
