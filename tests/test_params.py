"""The parameter rules: bad inputs stop with a message naming the parameter, the rule and a fix."""

from dataclasses import replace
from datetime import date

import pytest

from labkit import LabConfigError, load_params
from labkit.params import PARAM_NAMES, LabParams
from labkit.settings import current_lab_id

TODAY = date(2026, 11, 26)

# (parameters, the parameter the error must name, a word the fix must contain)
BAD = [
    ({"backend": "simulator"}, "backend", "sim"),
    ({"backend": "aws"}, "backend", "sim"),
    ({"backend": None}, "backend", "Set it"),
    ({"subscription_id": "not-a-guid"}, "subscription_id", "az account show"),
    ({"subscription_id": "00000000-0000-0000-0000-00000000000"}, "subscription_id", "AZURE_SUBSCRIPTION_ID"),
    ({"resource_group": "my group!"}, "resource_group", "myResourceGroup"),
    ({"resource_group": ""}, "resource_group", "myResourceGroup"),
    ({"cluster_name": "-bad"}, "cluster_name", "myAKSCluster"),
    ({"cluster_name": "a" * 64}, "cluster_name", "myAKSCluster"),
    ({"pool_name": "gpupool1"}, "pool_name", "gpunp"),
    ({"pool_name": "GPU"}, "pool_name", "Try"),
    ({"pool_name": "1gpu"}, "pool_name", "Try"),
    ({"pool_name": "gpu-np"}, "pool_name", "Try"),
    ({"pool_name": ""}, "pool_name", "gpunp"),
    ({"manual_pool_name": "manualpool"}, "manual_pool_name", "6 characters"),
    ({"manual_pool_name": "gpunp"}, "manual_pool_name", "gpudx"),
    ({"vm_size": "Standard_D4s_v5"}, "vm_size", "Standard_NC4as_T4_v3"),
    ({"vm_size": "Standard_NC6s_v3"}, "vm_size", "Standard_NC4as_T4_v3"),
    ({"vm_size": "Standard_NC24rs_v3"}, "vm_size", "Try"),
    ({"vm_size": "Standard_NV4as_v4"}, "vm_size", "Standard_NV6ads_A10_v5"),
    ({"vm_size": "Standard_NV32as_v4"}, "vm_size", "Try"),
    ({"vm_size": 4}, "vm_size", "Quote"),
    ({"node_count": -1}, "node_count", "Use 1"),
    ({"node_count": 1001}, "node_count", "Use 1"),
    ({"node_count": "two"}, "node_count", "number"),
    ({"node_count": True}, "node_count", "number"),
    ({"node_count": 1.5}, "node_count", "number"),
    ({"node_count": 0}, "node_count", "Use 1"),
    ({"node_count": "9" * 5000}, "node_count", "Use 1"),
    ({"timeout_minutes": "9" * 5000}, "timeout_minutes", "30"),
    ({"lab_id": "Team 3"}, "lab_id", "team3"),
    ({"lab_id": "ab"}, "lab_id", "team3"),
    ({"os_sku": "Ubuntu"}, "os_sku", "default"),
    ({"os_sku": "Windows2019", "kubernetes_version": "1.33"}, "os_sku", "Windows2022"),
    ({"os_sku": "Windows2022", "kubernetes_version": "1.37"}, "os_sku", "Windows2025"),
    ({"os_sku": "Windows2025", "kubernetes_version": "1.31", "enable_fips": True}, "os_sku", "Windows2022"),
    ({"os_sku": "WindowsAnnual"}, "os_sku", "Windows2022"),
    ({"kubernetes_version": "1.28"}, "kubernetes_version", "az aks upgrade"),
    ({"kubernetes_version": "1.20.7"}, "kubernetes_version", "1.29"),
    ({"kubernetes_version": "latest"}, "kubernetes_version", "None"),
    ({"gpu_driver": "auto"}, "gpu_driver", "Install"),
    ({"gpu_driver": "skip"}, "gpu_driver", "Use"),
    ({"driver_type": "OpenCL"}, "driver_type", "Use"),
    ({"driver_type": "cuda12"}, "driver_type", "CUDA"),
    ({"gpu_driver": "None", "driver_type": "GRID"}, "driver_type", "gpu_driver='Install'"),
    ({"gpu_driver": None, "driver_type": "CUDA"}, "driver_type", "leave driver_type unset"),
    ({"enable_fips": "maybe"}, "enable_fips", "True or False"),
    ({"plugin_namespace": "GPU_Resources"}, "plugin_namespace", "gpu-resources"),
    ({"plugin_namespace": "a" * 64}, "plugin_namespace", "gpu-resources"),
    ({"gpu_resource_name": "directx"}, "gpu_resource_name", "microsoft.com/directx"),
    ({"gpu_resource_name": "Microsoft.com/"}, "gpu_resource_name", "microsoft.com/directx"),
    ({"timeout_minutes": 0}, "timeout_minutes", "30"),
    ({"timeout_minutes": "soon"}, "timeout_minutes", "30"),
    ({"timeout_minutes": 100000}, "timeout_minutes", "30"),
    ({"timeout_minutes": False}, "timeout_minutes", "30"),
    ({"local_checks": "sometimes"}, "local_checks", "True or False"),
    ({"pool_nme": "gpunp"}, "pool_nme", "pool_name"),
    ({"gpu_count": 1}, "gpu_count", "node_count"),
    ({"shade": "blue"}, "shade", "Known parameters"),
]


@pytest.mark.parametrize("values, param, fix", BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_bad_value_names_parameter_value_and_fix(values, param, fix):
    with pytest.raises(LabConfigError) as caught:
        load_params(today=TODAY, **values)
    message = str(caught.value)
    assert param in caught.value.params
    assert message.startswith(param) or f"\n{param} " in message
    assert repr(values.get(param, values.get("pool_name")))[:80] in message or param == "manual_pool_name"
    assert fix in message


def test_battery_has_at_least_thirty_distinct_cases():
    assert len({repr(sorted(v.items())) for v, _, _ in BAD}) >= 30


def test_every_problem_is_reported_at_once():
    with pytest.raises(LabConfigError) as caught:
        load_params(today=TODAY, pool_name="gpupool1", vm_size="Standard_NV4as_v4", node_count=-3)
    assert set(caught.value.params) == {"pool_name", "vm_size", "node_count"}
    assert len(str(caught.value).splitlines()) == 3


def test_message_reads_like_the_issue_example():
    with pytest.raises(LabConfigError) as caught:
        load_params(today=TODAY, pool_name="gpupool1")
    assert str(caught.value) == (
        "pool_name 'gpupool1' is 8 characters; Windows pool names are at most 6 "
        "(lowercase letters and digits, starting with a letter). Try a name of up to 6 characters, such as 'gpunp'."
    )


def test_defaults_run_against_the_simulator():
    params = load_params(today=TODAY)
    assert params == replace(LabParams(), lab_id=current_lab_id())
    assert params.backend == "sim"
    assert set(PARAM_NAMES) >= {
        "backend", "subscription_id", "resource_group", "cluster_name", "pool_name", "vm_size", "node_count",
        "os_sku", "kubernetes_version", "gpu_driver", "driver_type", "plugin_namespace", "gpu_resource_name",
        "timeout_minutes",
    }


@pytest.mark.parametrize(
    "vm_size, driver_type, expected",
    [
        ("Standard_NC4as_T4_v3", None, "CUDA"),
        ("Standard_NC24ads_A100_v4", None, "CUDA"),
        ("Standard_ND96asr_v4", None, "CUDA"),
        ("Standard_NV36ads_A10_v5", None, "GRID"),
        ("Standard_NV6ads_A10_v5", None, "GRID"),
        ("Standard_NC4as_T4_v3", "GRID", "GRID"),
        ("Standard_NV36ads_A10_v5", "CUDA", "CUDA"),
    ],
)
def test_driver_type_defaults_and_overrides(vm_size, driver_type, expected):
    assert load_params(today=TODAY, vm_size=vm_size, driver_type=driver_type).driver_type_for_pool() == expected


def test_skipped_driver_has_no_driver_type():
    params = load_params(today=TODAY, gpu_driver="None")
    assert params.gpu_driver == "None" and params.driver_type_for_pool() is None


@pytest.mark.parametrize(
    "values, field, expected",
    [
        ({"node_count": "3"}, "node_count", 3),
        ({"node_count": 1000}, "node_count", 1000),
        ({"timeout_minutes": "2.5"}, "timeout_minutes", 2.5),
        ({"gpu_driver": "none"}, "gpu_driver", "None"),
        ({"gpu_driver": None}, "gpu_driver", "None"),
        ({"gpu_driver": "INSTALL"}, "gpu_driver", "Install"),
        ({"driver_type": "grid"}, "driver_type", "GRID"),
        ({"driver_type": "None"}, "driver_type", None),
        ({"driver_type": ""}, "driver_type", None),
        ({"vm_size": "standard_nc8as_t4_v3"}, "vm_size", "Standard_NC8as_T4_v3"),
        ({"os_sku": "windows2022"}, "os_sku", "Windows2022"),
        ({"os_sku": "Windows2025", "kubernetes_version": "1.33", "enable_fips": "true"}, "os_sku", "Windows2025"),
        ({"kubernetes_version": "1.29.0"}, "kubernetes_version", "1.29.0"),
        ({"subscription_id": "None"}, "subscription_id", None),
        ({"os_sku": "default"}, "os_sku", None),
        ({"plugin_namespace": None}, "plugin_namespace", None),
        ({"lab_id": "team3"}, "lab_id", "team3"),
        ({"backend": "Azure"}, "backend", "azure"),
        ({"local_checks": "false", "vm_size": "Standard_NV4as_v4"}, "vm_size", "Standard_NV4as_v4"),
    ],
)
def test_command_line_and_papermill_values_are_accepted(values, field, expected):
    assert getattr(load_params(today=TODAY, **values), field) == expected


def test_windows2025_without_fips_only_warns():
    with pytest.warns(UserWarning, match="os_sku 'Windows2025'.*enable_fips=True"):
        assert load_params(today=TODAY, os_sku="Windows2025").os_sku == "Windows2025"


def test_windows2022_is_allowed_on_versions_the_doc_uses():
    for version in ("1.29.0", "1.31", "1.33", "1.35"):
        load_params(today=TODAY, kubernetes_version=version, os_sku="Windows2022")


def test_version_rules_wait_for_the_cluster_version():
    params = load_params(today=TODAY, os_sku="Windows2019")
    params.check_pools((1, 32), today=TODAY)
    with pytest.raises(LabConfigError, match="os_sku 'Windows2019' is not available on Kubernetes 1.33"):
        params.check_pools((1, 33), today=TODAY)
    with pytest.raises(LabConfigError, match="Kubernetes 1.28"):
        load_params(today=TODAY).check_pools((1, 28), today=TODAY)


@pytest.mark.parametrize("version", ["1.99", "1.34", "2.0", "1.29"])
def test_a_pool_version_the_control_plane_cannot_run_stops_before_anything_is_created(version):
    with pytest.raises(LabConfigError) as caught:
        load_params(today=TODAY, kubernetes_version=version).check_pools((1, 33), today=TODAY)
    assert str(caught.value).startswith(f"kubernetes_version '{version}' is ") and "control plane (1.33)" in str(caught.value)


def test_local_checks_off_leaves_judgement_to_the_service():
    params = load_params(today=TODAY, local_checks=False, vm_size="Standard_NC6s_v3")
    params.check_pools((1, 33), today=TODAY)
    assert params.vm_size == "Standard_NC6s_v3"


@pytest.mark.parametrize("content, why", [
    (b"pool_name: [gpu1\n", "is not valid YAML (expected ',' or ']'"),
    (b"- gpu1\n", "holds a list, not NAME: VALUE lines"),
    (b"42\n", "holds a number, not NAME: VALUE lines"),
    (b"pool_name: \xff\xfe\n", "is not UTF-8 text"),
    (b"pool_name: !!python/object/apply:os.system [id]\n", "uses a YAML tag"),
    (b"node_count: !!int 2\n", "uses a YAML tag"),
    (b"pool_name: gpu1\npool_name: gpu2\n", "names pool_name more than once"),
    (b"node_count: " + b"9" * 5000 + b"\n", "holds a number too long to read"),
    (b"--- {}\n--- {}\n", "is not valid YAML"),
])
def test_a_bad_params_file_is_one_line(tmp_path, content, why):
    from labkit.params import read_params_file

    path = tmp_path / "params.yaml"
    path.write_bytes(content)
    with pytest.raises(LabConfigError) as caught:
        read_params_file(path)
    message = str(caught.value)
    assert message.startswith(f"--params-file '{path}' {why}") and "\n" not in message


def test_a_params_file_gives_its_values_and_unknown_names_are_named(tmp_path):
    from labkit.params import read_params_file

    path = tmp_path / "params.yaml"
    path.write_text("pool_name: gpu1\nnode_count: 2\npool_nme: x\n")
    values = read_params_file(path)
    assert values == {"pool_name": "gpu1", "node_count": 2, "pool_nme": "x"}
    with pytest.raises(LabConfigError, match="pool_nme 'x' is not a lesson parameter.*Did you mean 'pool_name'"):
        load_params(**values)
