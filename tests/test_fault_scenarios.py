"""Failures to practise: each scenario against the lesson it hits, through the lesson's own labkit calls.

What each must show: the kit retries what Azure's SDK retries (azure-core's RetryPolicy at its defaults
retries 429 after Retry-After, and 500/503), stops on anything else with one line and what to do, and
the cleanup lesson still leaves nothing behind. The tests run in this order on one simulator.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from labkit import Lab, OperationError, WaitTimeout, load_params
from labkit.cleanup import cleanup, leftovers
from labkit.cli import main
from labkit.pools import create_gpu_pool
from labkit.preview import FEATURE, NAMESPACE, register_feature, register_provider
from labkit.sim import service

ROOT = Path(__file__).resolve().parent.parent


def stops_with_one_line(call, code: str) -> OperationError:
    with pytest.raises(OperationError) as caught:
        call()
    lines = str(caught.value).splitlines()
    assert caught.value.code == code and len(lines) == 2 and lines[1].startswith("  What to do: "), lines
    return caught.value


def test_a_registration_stuck_past_the_timeout_says_what_it_waited_for(lab, fault):
    fault("feature-stuck")
    with pytest.raises(WaitTimeout) as caught:
        register_feature(Lab(load_params(timeout_minutes=0.005)))  # 0.3 s: three times what registering takes here
    assert "feature WindowsGPUPreview" in str(caught.value) and "still Registering" in str(caught.value)


@pytest.mark.parametrize("kind, options, status", [
    ("throttle", {"times": 1, "retry_after": 1}, 429),
    ("server-error", {"status": 503, "times": 1}, 503),
    ("server-error", {"status": 500, "times": 1}, 500),
])
def test_throttling_and_transient_errors_are_retried_by_the_sdk(lab, fault, kind, options, status):
    fault(kind, **options)
    statuses = []
    lab.features.features.get(NAMESPACE, FEATURE, raw_response_hook=lambda r: statuses.append(r.http_response.status_code))
    assert statuses == [status, 200]
    fault(kind, **options)
    assert register_feature(lab) == "Registered" and register_provider(lab) == "Registered"


def test_a_family_without_quota_stops_lesson_02_before_anything_is_created(sim, lab, fault):
    fault("quota")
    sent = sim.world.arm_requests.copy()
    error = stops_with_one_line(lambda: create_gpu_pool(lab), "InsufficientVCPUQuota")
    assert "4 vCPUs of standardNCASv3_T4Family in eastus are needed for pool gpunp, and 0 of its 0 are free" in error.message
    assert "New quota request" in error.hint and "per-vm-quota-requests" in error.hint
    assert (error.room.needed, error.room.free, error.room.limit) == (4, 0, 0)
    writes = [key for key in sim.world.arm_requests - sent if key[0] in ("PUT", "POST", "DELETE")]
    assert writes == [], "a request that creates or changes something was sent"
    assert cleanup(lab) == [] and leftovers(lab) == []


def test_with_local_checks_off_aks_itself_refuses_the_quota(lab, fault):
    fault("quota")
    judged_by_aks = Lab(load_params(lab_id="alpha", local_checks=False, timeout_minutes=1))
    error = stops_with_one_line(lambda: create_gpu_pool(judged_by_aks), "ErrCode_InsufficientVCPUQuota")
    assert "requested 4, remaining 0 for family standardNCASv3_T4Family" in error.message


def test_a_pool_that_ends_failed_says_why_and_cleanup_removes_it(lab, fault):
    fault("pool-failure", pool="gpunp")
    error = stops_with_one_line(lambda: create_gpu_pool(lab), "OutboundConnFailVMExtensionError")
    assert "05_cleanup" in error.hint
    assert create_gpu_pool(lab, manual=True).properties.provisioning_state == "Succeeded"  # another pool is fine
    assert sorted(item.name for item in cleanup(lab)) == ["gpudx", "gpunp"] and leftovers(lab) == []


def test_forbidden_credentials_stop_with_the_rights_needed(lab, fault):
    fault("credentials-forbidden")
    error = stops_with_one_line(lambda: Lab(load_params()).kubeconfig_path, "AuthorizationFailed")
    assert "Contributor" in error.hint


def test_the_lesson_notebook_stops_with_one_line_under_a_fault(tmp_path):
    """Lesson 02 as a learner runs it, with the GPU family's quota at 0 (the commonest first failure)."""
    import papermill

    state = tmp_path / "state"
    env = {"LABKIT_STATE_DIR": str(state), "LABKIT_PROGRESS": "off", "LABKIT_SIM_TIME_SCALE": "0.0005"}
    try:
        added = CliRunner().invoke(main, ["sim", "fault", "add", "quota", "--state-dir", str(state)])
        assert added.exit_code == 0 and "quota (family=standardNCASv3_T4Family, limit=0)" in added.output
        service.start(state)
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            register_feature(Lab(load_params()))
            with pytest.raises(papermill.PapermillExecutionError) as caught:
                papermill.execute_notebook(str(ROOT / "notebooks" / "02_gpu_pool_auto_driver.ipynb"),
                                           str(tmp_path / "02.ipynb"), cwd=str(ROOT / "notebooks"),
                                           progress_bar=False, kernel_name="python3")
    finally:
        service.stop(state)
    assert caught.value.ename == "PreflightError" and "InsufficientVCPUQuota: 4 vCPUs of standardNCASv3_T4Family in " \
        "eastus are needed for pool gpunp, and 0 of its 0 are free (0 in use)" in caught.value.evalue
    assert len(caught.value.traceback) == 1, "a labkit error shows as one line, not a traceback"
