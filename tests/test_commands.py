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
    for flag in ("--os-type Windows", "--os-sku Windows2022", "--kubernetes-version 1.31", "--driver-type GRID", "--tags labkit=02_gpu_pool_auto_driver"):
        assert flag in auto
    manual = command("create_manual_pool", load_params())
    assert "--gpu-driver none" in manual and "--driver-type" not in manual and "--name gpudx" in manual


def test_default_manifests_are_applied_from_their_files():
    assert "kubectl apply -f manifests/k8s-directx-device-plugin.yaml" in command("deploy_plugin", load_params())


def test_other_values_render_the_manifest_first_and_it_matches():
    params = load_params(plugin_namespace="gpu-lab", gpu_resource_name="microsoft.com.directx/gpu")
    text = command("run_workload", params)
    rendered = ("labkit manifest windows-gpu-workload.yaml --namespace gpu-lab "
                "--gpu-resource-name microsoft.com.directx/gpu --windows-image-tag ltsc2022 | kubectl apply -f -")
    assert rendered in text and "-n gpu-lab" in text
    args = rendered.split(" | ")[0].split()[1:]
    output = CliRunner().invoke(main, args).output
    assert output == manifests.dump(manifests.load("windows-gpu-workload.yaml", namespace="gpu-lab", gpu_resource_name="microsoft.com.directx/gpu"))


def test_cleanup_names_this_labs_pools_and_namespace():
    text = command("cleanup", load_params(pool_name="gpua", manual_pool_name="gpub", plugin_namespace="gpu-lab"))
    assert "--name gpua" in text and "--name gpub" in text and "daemonset nvidia-device-plugin-daemonset -n gpu-lab" in text
