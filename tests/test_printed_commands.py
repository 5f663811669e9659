"""Every command the lessons print (labkit.commands.STEPS) runs, typed as printed, and does what the lesson says.

The real `az` (signed in to the simulator by ``labkit sim az-login``) and kubectl run each step's command lines
through bash, pipes included, rendered from several parameter sets; the result is checked through the SDKs.
kubectl lines run with both kubectl versions CI has: the defaults with both, the other sets alternating.

`az` is the optional ``azcli`` tool (``tools/get-azcli.sh`` installs it in ``.tools/azcli``; ``$LABKIT_AZ`` or
``az`` on PATH also do). Missing tools are skipped on a workstation and fail in CI (``CI`` set).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

import pytest
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.resource.features import FeatureClient
from azure.mgmt.resource.resources import ResourceManagementClient

from kubectls import KUBECTL_1_20, kubectl_or_skip, recent_kubectl
from labkit import load_params
from labkit.commands import NEEDS_AKS_PREVIEW, STEPS, command
from labkit.params import LabParams
from labkit.sim.access_log import STEP_PRODUCT
from labkit.sim.client import credential
from labkit.sim.entra.directory import read_secret
from required_tools import missing

REPO = Path(__file__).resolve().parents[1]
#: Why the steps that need the aks-preview extension are not run.
NO_AKS_PREVIEW = ("aks-preview installs from Microsoft's extension index, which no offline test can reach; "
                  "core az refuses --driver-type")

#: The parameter sets each step is rendered from: defaults, GRID, Windows2025, driver skipped.
PARAMETER_SETS = {
    "defaults": {},
    "grid": {"vm_size": "Standard_NV36ads_A10_v5", "driver_type": "GRID"},
    "windows2025": {"os_sku": "Windows2025"},
    "driver-skipped": {"gpu_driver": "None"},
}
#: Which kubectl each set's kubectl lines run with: every version runs every line.
KUBECTLS = {"defaults": ("recent", "1.20"), "grid": ("1.20",), "windows2025": ("recent",), "driver-skipped": ("1.20",)}


def az_or_skip() -> str:
    found = os.environ.get("LABKIT_AZ") or shutil.which(str(REPO / ".tools/azcli/bin/az")) or shutil.which("az")
    if found:
        return found
    missing("the az CLI is missing (tools/get-azcli.sh installs it in .tools/azcli)")


class Terminal:
    """A bash in which `az` is signed in to the simulator as ``labkit sim az-login`` printed, kubectl on PATH."""

    def __init__(self, env: dict[str, str], kubectl_dirs: dict[str, Path]):
        self.env, self.kubectl_dirs = env, kubectl_dirs

    def run(self, lines: str, *, kubectl: str = "recent", step: str = "") -> str:
        """Run ``lines`` as printed (``set -eo pipefail``); fail the test with their stderr if one fails."""
        env = {**self.env, "PATH": f"{self.kubectl_dirs[kubectl]}:{self.env['PATH']}",
               "AZURE_HTTP_USER_AGENT": f"{STEP_PRODUCT}{step}"}
        done = subprocess.run(["bash", "-c", "set -eo pipefail\n" + lines], env=env, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"{lines}\nfailed ({done.returncode}):\n{done.stderr}"
        return done.stdout


@pytest.fixture(scope="module")
def signed_in(sim, tmp_path_factory) -> dict[str, str]:
    """``labkit sim az-login``'s export lines, as a terminal evaluates them."""
    az = az_or_skip()
    done = subprocess.run([sys.executable, "-m", "labkit", "sim", "az-login", "--state-dir", str(sim.state_dir),
                           "--az", az], capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines())
    assert set(exports) == {"AZURE_CONFIG_DIR", "REQUESTS_CA_BUNDLE", "KUBECONFIG"}
    for secret in (read_secret(sim.state_dir), sim.world.token):
        assert secret not in done.stdout + done.stderr
    return exports


@pytest.fixture(scope="module")
def terminal(sim, signed_in, tmp_path_factory) -> Terminal:
    home = tmp_path_factory.mktemp("home")
    kubectl_dirs = {}
    for version, binary in (("recent", recent_kubectl()), ("1.20", str(KUBECTL_1_20))):
        folder = tmp_path_factory.mktemp(f"kubectl-{version}")
        if binary and os.access(binary, os.X_OK):
            (folder / "kubectl").symlink_to(binary)
        kubectl_dirs[version] = folder
    path = os.pathsep.join([str(Path(az_or_skip()).parent), str(Path(sys.executable).parent), os.environ["PATH"]])
    env = {**os.environ, **signed_in, "HOME": str(home), "PATH": path, "LABKIT_STATE_DIR": str(sim.state_dir),
           "LABKIT_PROGRESS": "off"}
    return Terminal(env, kubectl_dirs)


@pytest.fixture(scope="module")
def azure(sim):
    """The SDK clients the checks read the result with."""
    options = {"base_url": sim.url, "connection_verify": str(sim.state_dir / "ca.pem")}
    sdk_credential = credential(sim.state_dir, sim.url)
    sub = sim.config.subscription_id
    return {"aks": ContainerServiceClient(sdk_credential, sub, **options),
            "features": FeatureClient(sdk_credential, sub, **options),
            "resources": ResourceManagementClient(sdk_credential, sub, **options)}


def params_of(name: str, index: int) -> LabParams:
    """A set's parameters, with a lab, pools and namespace of its own so that the sets run side by side."""
    # labkit's own advice on Windows2025 (a warning, not a rule: no source says AKS refuses it without FIPS)
    advised = pytest.warns(UserWarning, match="FIPS") if PARAMETER_SETS[name].get("os_sku") == "Windows2025" else nullcontext()
    with advised:
        return load_params(lab_id=f"cli{index}", pool_name=f"gpua{index}", manual_pool_name=f"gpum{index}",
                           plugin_namespace=f"gpu-cli{index}", timeout_minutes=2, **PARAMETER_SETS[name])


def test_every_printed_step_is_run_here():
    assert set(STEPS) == {*SUBSCRIPTION_STEPS, "show_quota", *POOL_STEPS, *KUBECTL_STEPS, "cleanup"}


def test_az_login_signs_in_to_the_simulator_only(sim, signed_in, terminal):
    shown = terminal.run("az account show --query '[id, tenantId, environmentName, user.type]' -o tsv").split()
    assert shown == [sim.config.subscription_id, sim.config.tenant_id, "LabkitSimulator", "servicePrincipal"]
    assert Path(signed_in["AZURE_CONFIG_DIR"]) == sim.state_dir / "az"
    assert oct((sim.state_dir / "az").stat().st_mode & 0o777) == "0o700"


# --- the subscription's steps (lessons 00 and 01): the same lines for every parameter set ----------------------


@pytest.fixture(scope="module")
def registered(sim, terminal, azure, until) -> dict[str, str]:
    """The subscription's steps run as printed, in the lessons' order; the preview feature is then registered."""
    params = load_params(lab_id="cli0")
    printed = {step: command(step, params) for step in SUBSCRIPTION_STEPS}
    terminal.run(printed["get_credentials"], step="get_credentials")
    shown = {"show_cluster": terminal.run(printed["show_cluster"], step="show_cluster").strip(),
             "register_feature": terminal.run(printed["register_feature"], step="register_feature").splitlines()[-1]}
    until(lambda: azure["features"].features.get("Microsoft.ContainerService", "WindowsGPUPreview")
          .properties.state == "Registered", what="the feature registered by `az feature register`")
    terminal.run(printed["register_provider"], step="register_provider")
    until(lambda: azure["resources"].providers.get("Microsoft.ContainerService").registration_state == "Registered",
          what="the provider registered by `az provider register`")
    return shown


def test_subscription_steps(sim, registered, terminal):
    assert "aks-nodepool1" in terminal.run("kubectl get nodes -o name")  # get-credentials wrote KUBECONFIG's file
    home = Path(terminal.env["HOME"])
    assert not (home / ".azure").exists() and not (home / ".kube" / "config").exists()  # the user's own: untouched
    assert registered["show_cluster"] == sim.config.kubernetes_version
    assert registered["register_feature"] in ("Registering", "Registered")  # `az feature show`, right after
    assert command("preview_extension", load_params()).startswith("# only for --driver-type")  # said where printed


SUBSCRIPTION_STEPS = ("get_credentials", "show_cluster", "preview_extension", "register_feature", "register_provider")


def test_quota_step_shows_the_familys_vcpus_and_the_size_in_the_region(sim, terminal):
    shown = terminal.run(command("show_quota", load_params(lab_id="cli0"), region=sim.config.location), step="show_quota")
    assert "standardNCASv3_T4Family" in shown and "Standard_NC4as_T4_v3" in shown, shown


def test_preview_extension_is_skipped_because_it_installs_online():
    pytest.skip(f"az extension add --name aks-preview: {NO_AKS_PREVIEW}")


# --- each parameter set: the pools, the plugin, the capacity, the workload, cleanup ----------------------------


POOL_STEPS = ("create_pool", "create_manual_pool")
KUBECTL_STEPS = ("deploy_plugin", "show_capacity", "run_workload")


@pytest.mark.parametrize("name", list(PARAMETER_SETS))
def test_a_parameter_set_from_pools_to_cleanup(name, sim, registered, terminal, azure):
    params = params_of(name, list(PARAMETER_SETS).index(name) + 1)
    names = sim.config.resource_group, sim.config.cluster_name

    for step, manual in (("create_pool", False), ("create_manual_pool", True)):
        printed = command(step, params)
        spec = params.pool_spec(manual=manual)
        if spec.driver_type:
            assert printed.startswith(NEEDS_AKS_PREVIEW)  # the lesson says so where it prints the command
            continue  # see test_driver_type_needs_aks_preview
        terminal.run(printed, step=step)
        pool = azure["aks"].agent_pools.get(*names, spec.name)
        assert (pool.properties.provisioning_state, pool.properties.os_type, pool.properties.vm_size,
                pool.properties.count) == ("Succeeded", "Windows", spec.vm_size, spec.count)
        assert pool.properties.os_sku == (spec.os_sku or "Windows2022")
        assert pool.properties.gpu_profile.driver == spec.gpu_driver
        assert pool.properties.tags == {"labkit": "03_gpu_pool_manual_driver" if manual else "02_gpu_pool_auto_driver",
                                        "labkit-lab": params.lab_id}

    for kubectl in KUBECTLS[name]:
        kubectl_or_skip(str(terminal.kubectl_dirs[kubectl] / "kubectl"), f"kubectl {kubectl}")
        run_kubectl_steps(terminal, params, kubectl)

    terminal.run(command("cleanup", params), step="cleanup")
    left = [p.name for p in azure["aks"].agent_pools.list(*names) if (p.properties.tags or {}).get("labkit-lab") == params.lab_id]
    assert left == []
    assert params.plugin_namespace not in terminal.run("kubectl get namespaces -o name")


def run_kubectl_steps(terminal: Terminal, params: LabParams, kubectl: str) -> None:
    """deploy_plugin, show_capacity and run_workload as printed, with one kubectl (the defaults' second run, with the
    other kubectl, applies what is already there: it must pass as well)."""
    namespace = params.plugin_namespace
    terminal.run(command("deploy_plugin", params), kubectl=kubectl, step="deploy_plugin")
    pods = terminal.run(f"kubectl get pods -n {namespace} -l name=nvidia-device-plugin-ds "
                        "-o jsonpath='{.items[*].spec.nodeName}'", kubectl=kubectl).split()
    assert pods == [f"aks{params.manual_pool_name}000000"]  # the plugin on the driver-skipped pool's node only

    shown = terminal.run(command("show_capacity", params), kubectl=kubectl, step="show_capacity")
    assert f"aks{params.manual_pool_name}000000" in shown and params.gpu_resource_name in shown

    log = terminal.run(command("run_workload", params), kubectl=kubectl, step="run_workload")
    assert log.strip(), "the sample Job printed nothing"
    job = terminal.run(f"kubectl get job windows-gpu-workload -n {namespace} -o jsonpath='{{.status.succeeded}}'",
                       kubectl=kubectl)
    assert job == "1"


def test_driver_type_needs_aks_preview():
    printed = command("create_pool", params_of("grid", 2))
    assert printed.splitlines()[0] == NEEDS_AKS_PREVIEW and "--driver-type GRID" in printed
    pytest.skip(f"az aks nodepool add --driver-type: {NO_AKS_PREVIEW}")


def test_az_login_without_az_says_how_to_get_it(sim, tmp_path):
    done = subprocess.run([sys.executable, "-m", "labkit", "sim", "az-login", "--state-dir", str(sim.state_dir),
                           "--az", str(tmp_path / "no-az")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "the az CLI was not found" in done.stderr and done.stdout == ""
