"""The preflight before a pool is created: the region offers the size, and the family's and the region's vCPU quotas
have room; a pool of the lab that exists uses no new quota; a quota that cannot be read is left to AKS."""

from __future__ import annotations

import pytest

from labkit import OperationError, quota
from labkit.cleanup import cleanup
from labkit.errors import PreflightError
from labkit.pools import create_gpu_pool, get_pool
from labkit.preview import register_feature
from labkit.prereqs import room_checks, room_for_the_lab


@pytest.fixture(scope="module", autouse=True)
def registered(lab):
    register_feature(lab)


@pytest.fixture(autouse=True)
def clean(lab):
    yield
    cleanup(lab)


def test_a_size_the_region_does_not_offer_stops_before_anything_is_created(lab):
    found = quota.preflight(lab, region=lab.region, vm_size="Standard_NC6s_v3", nodes=1, what="pool gpuold")
    with pytest.raises(PreflightError) as caught:
        found.require()
    assert caught.value.code == "SizeNotOffered"
    assert "Standard_NC6s_v3 is not offered to this subscription in eastus (NotAvailableForSubscription)" in caught.value.message
    assert "az vm list-skus --location eastus" in caught.value.hint


def test_the_regions_quota_counts_too(lab, fault):
    fault("quota", family="cores")
    with pytest.raises(PreflightError) as caught:
        create_gpu_pool(lab)
    assert caught.value.code == "InsufficientRegionalVCPUQuota" and "Total Regional vCPUs in eastus" in caught.value.message
    assert "regional-quota-requests" in caught.value.hint and get_pool(lab, "gpunp") is None


def test_a_pool_of_the_lab_that_exists_uses_no_new_quota(lab, fault):
    create_gpu_pool(lab)
    fault("quota", limit=4)  # what gpunp uses: none left
    assert create_gpu_pool(lab).name == "gpunp"  # it exists: nothing to check or create
    room = room_for_the_lab(lab)  # lesson 00 counts only the pool still to create
    assert room.what == "the lab's new pool gpudx" and [(r.needed, r.free) for r in room.rooms][0] == (4, 0)
    assert [check.ok for check in room_checks(room)] == [True, False, True]
    with pytest.raises(PreflightError) as caught:
        room.require()
    assert "4 vCPUs of standardNCASv3_T4Family in eastus are needed for the lab's new pool gpudx, and 0 of its 4 " \
           "are free (4 in use)" in caught.value.message
    assert "Ask for a limit of at least 8" in caught.value.hint


def test_a_quota_that_cannot_be_read_is_left_to_aks(lab, monkeypatch, capsys):
    def forbidden(*args, **kwargs):
        raise OperationError("reading the vCPU quota of eastus", "AuthorizationFailed", "no rights at subscription scope")

    monkeypatch.setattr(quota, "preflight", forbidden)
    assert create_gpu_pool(lab).properties.provisioning_state == "Succeeded"
    assert "quota and sizes not checked (AuthorizationFailed: no rights at subscription scope); AKS judges the request" \
        in capsys.readouterr().out
