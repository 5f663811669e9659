"""The catalog's facts, and the pool rules read from them."""

from datetime import date

import pytest

from labkit import catalog
from labkit.rules import RULES, PoolSpec, effective_driver_type, pool_advice, pool_problems

TODAY = date(2026, 11, 26)
REQUIRED_FAMILIES = {
    "NCasT4_v3", "NCv3", "NVadsA10_v5", "NCads_A10_v4", "NC_A100_v4", "NDasrA100_v4", "NDm_A100_v4",
    "ND_H100_v5", "NVv4",
}


def codes(cluster_version=(1, 33), **spec):
    return [p.code for p in pool_problems(PoolSpec(**spec), cluster_version=cluster_version, today=TODAY)]


def test_required_families_are_covered_with_a_source():
    families = {size.family.name for size in catalog.GPU_SIZES.values()}
    assert REQUIRED_FAMILIES <= families
    assert all(size.family.source for size in catalog.GPU_SIZES.values())


def test_size_figures_match_the_published_pages():
    t4 = catalog.gpu_size("Standard_NC64as_T4_v3")
    assert (t4.vcpus, t4.memory_gib, t4.gpus, t4.directx_devices) == (64, 440, 4, 4)
    partial = catalog.gpu_size("Standard_NV6ads_A10_v5")
    assert (partial.gpus, partial.directx_devices, partial.default_driver_type) == (catalog.Fraction(1, 6), 1, "GRID")
    assert catalog.gpu_size("Standard_ND96isr_H100_v5").gpus == 8


def test_driver_defaults_follow_the_family_letter():
    for size in catalog.GPU_SIZES.values():
        expected = None if size.family.vendor == "AMD" else ("GRID" if size.name.startswith("Standard_NV") else "CUDA")
        assert size.default_driver_type == expected, size.name


def test_retirement_is_judged_on_the_date():
    ncv3 = catalog.gpu_size("Standard_NC6s_v3")
    assert not ncv3.retired(date(2025, 9, 29))
    assert ncv3.retired(date(2025, 9, 30))
    assert ncv3.family.replacement in catalog.GPU_SIZES


def test_default_os_sku_by_version():
    assert catalog.default_os_sku((1, 29)) == "Windows2022"
    assert catalog.default_os_sku((1, 35)) == "Windows2022"
    assert catalog.default_os_sku((1, 36)) == "Windows2025"


@pytest.mark.parametrize("text, expected", [("1.31", (1, 31)), ("1.31.2", (1, 31)), ("v1.29.0", (1, 29)), ("1", None), ("x", None)])
def test_parse_version(text, expected):
    assert catalog.parse_version(text) == expected


def test_each_rule_is_broken_on_its_own():
    found = {
        "name": codes(name="Gpu", vm_size="Standard_NC4as_T4_v3"),
        "long": codes(name="gpupool1", vm_size="Standard_NC4as_T4_v3"),
        "system": codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", mode="System"),
        "amd": codes(name="gpunp", vm_size="Standard_NV8as_v4"),
        "retired": codes(name="gpunp", vm_size="Standard_NC12s_v3"),
        "unknown": codes(name="gpunp", vm_size="Standard_D2s_v3"),
        "old": codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", orchestrator_version="1.28", cluster_version=(1, 29)),
        "skew": codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", orchestrator_version="1.34"),
        "sku-version": codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", os_sku="Windows2019"),
        "sku-linux": codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", os_type="Linux", os_sku="Windows2022"),
        "type-linux": codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", os_type="Linux", driver_type="CUDA"),
        "type-none": codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", gpu_driver="None", driver_type="CUDA"),
        "mig": codes(name="gpunp", vm_size="Standard_ND96asr_v4", gpu_instance_profile="MIG1g"),
        "count": codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", count=1001),
    }
    assert all(len(c) == 1 for c in found.values()), found


def test_rules_aks_enforces_name_their_source():
    service = {name: rule for name, rule in RULES.items() if rule.enforced_by_service}
    assert {"name", "windows_name", "count", "os_sku_version"} <= set(service)
    assert all("github.com" in r.service_source or "learn.microsoft.com" in r.service_source or "spec" in r.service_source
               for r in service.values())
    assert not any(r.enforced_by_service for r in RULES.values() if r.warning)


@pytest.mark.parametrize("spec", [
    dict(name="wnp2", vm_size="Standard_D4s_v3", os_sku="Windows2022"),  # AgentPoolsCreate_WindowsOSSKU.json
    dict(name="gpunp", vm_size="Standard_NC4as_T4_v3", gpu_driver="None", driver_type="CUDA"),
    dict(name="gpunp", vm_size="Standard_NC4as_T4_v3", os_sku="Windows2025"),
])
def test_the_service_accepts_what_only_labkit_advises_against(spec):
    assert pool_problems(PoolSpec(**spec), cluster_version=(1, 33), today=TODAY, service_only=True) == []


def test_windows2025_without_fips_is_advice_not_an_error():
    spec = PoolSpec(name="gpunp", vm_size="Standard_NC4as_T4_v3", os_sku="Windows2025")
    assert pool_problems(spec, cluster_version=(1, 33), today=TODAY) == []
    assert [p.code for p in pool_advice(spec, cluster_version=(1, 33), today=TODAY)] == ["OSSKURequiresFIPS"]


def test_valid_pools_from_the_doc_pass():
    assert codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", orchestrator_version="1.30.0") == []
    assert codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", os_sku="Windows2022", gpu_driver="None") == []
    assert codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", driver_type="GRID") == []
    assert codes(name="nodepool1", vm_size="Standard_D2s_v3", os_type="Linux", mode="System") == []


@pytest.mark.parametrize("version, allowed", [("1.33", True), ("1.30.4", True), ("1.29", False), ("1.34", False), ("1.99", False), ("2.0", False)])
def test_a_pool_version_stays_within_three_minors_below_its_control_plane(version, allowed):
    found = codes(name="gpunp", vm_size="Standard_NC4as_T4_v3", orchestrator_version=version)
    assert (found == []) is allowed and (allowed or found == ["NodePoolMcVersionIncompatible"])


def test_effective_driver_type():
    assert effective_driver_type(PoolSpec(name="a", vm_size="Standard_NC4as_T4_v3")) == "CUDA"
    assert effective_driver_type(PoolSpec(name="a", vm_size="Standard_NV36ads_A10_v5")) == "GRID"
    assert effective_driver_type(PoolSpec(name="a", vm_size="Standard_NC4as_T4_v3", driver_type="GRID")) == "GRID"
    assert effective_driver_type(PoolSpec(name="a", vm_size="Standard_NC4as_T4_v3", gpu_driver="None")) is None
