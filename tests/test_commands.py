"""The az and kubectl commands shown beside each step follow the lesson's parameters."""

from click.testing import CliRunner

from labkit import load_params, manifests
from labkit.cli import main
from labkit.commands import STEPS, command


def test_every_step_renders_with_the_defaults():
    params = load_params()
    assert all(command(step, params) for step in STEPS)


def test_pool_commands_carry_the_doc_flags_and_the_lab_tag():
    auto = command("create_pool", load_params(driver_type="GRID", os_sku="Windows2022", kubernetes_version="1.31"))
    for flag in ("--os-type Windows", "--os-sku Windows2022", "--kubernetes-version 1.31", "--driver-type GRID",
                 "--tags labkit=02_gpu_pool_auto_driver labkit-lab="):
        assert flag in auto
    manual = command("create_manual_pool", load_params())
    assert "--gpu-driver none" in manual and "--driver-type" not in manual and "--name gpudx" in manual


def test_manifests_are_rendered_with_the_labs_values_and_match_labkit_manifest():
    params = load_params(lab_id="team3", gpu_resource_name="microsoft.com.directx/gpu")
    text = command("run_workload", params, namespace="gpu-lab", workload_pool="gpudx")
    rendered = ("labkit manifest windows-gpu-workload.yaml --namespace gpu-lab --lab-id team3 --pool gpudx "
                "--gpu-resource-name microsoft.com.directx/gpu | kubectl apply -f -")
    assert rendered in text and "-n gpu-lab" in text
    args = rendered.split(" | ")[0].split()[1:]
    output = CliRunner().invoke(main, args).output
    assert output == manifests.dump(manifests.load("windows-gpu-workload.yaml", namespace="gpu-lab", lab_id="team3",
                                                   node_pool="gpudx", gpu_resource_name="microsoft.com.directx/gpu"))


def test_the_plugin_goes_to_the_driver_skipped_pool_in_the_labs_namespace():
    text = command("deploy_plugin", load_params(lab_id="team3", manual_pool_name="gpum"))
    assert "--namespace gpu-resources --lab-id team3 --pool gpum" in text
    assert "labkit manifest namespace.yaml --namespace gpu-resources --lab-id team3 |" in text


def test_cleanup_is_one_command_by_the_lab_id():
    assert command("cleanup", load_params(lab_id="team3")) == "labkit cleanup --lab-id team3"


def test_removal_by_hand_names_each_item_where_it_is():
    from labkit.commands import removal
    from labkit.ledger import Item

    items = [Item("pool", "gpu1", "team3", "rg/aks"), Item("Pod", "p-abcde", "team3", "gpu-resources"),
             Item("DaemonSet", "nvidia-device-plugin-daemonset", "team3", "gpu-resources"), Item("Namespace", "gpu-resources", "team3")]
    assert removal(items).splitlines() == [
        "az aks nodepool delete --resource-group rg --cluster-name aks --name gpu1 --no-wait",
        "kubectl delete daemonset nvidia-device-plugin-daemonset -n gpu-resources",
        "kubectl delete namespace gpu-resources",
    ]
