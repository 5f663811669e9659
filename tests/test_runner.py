"""`labkit run`: the whole lab through papermill on the simulator, a failing run, and no secret in any output."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fake_lessons import fake_lessons
from junit_schema import case, properties, validated_suite
from labkit.exits import RunExit
from labkit_command import labkit as run_labkit
from labkit.runner import LESSONS
from labkit.sim import service

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory):
    """A simulator state directory for this module; the simulator the lessons start is stopped at the end."""
    directory = tmp_path_factory.mktemp("run-sim")
    yield directory
    service.stop(directory)


def labkit(state_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The labkit command, with the module's simulator and labkit settings of its own."""
    env = {**os.environ, "LABKIT_STATE_DIR": str(state_dir), "LABKIT_SIM_TIME_SCALE": "0.0005",
           "LABKIT_CONFIG_DIR": str(state_dir / "config")}
    return run_labkit(env, *args)


def labkit_run(state_dir: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return labkit(state_dir, "run", "--out", str(out), *args)


@pytest.fixture(scope="module")
def good_run(state_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "good"
    return labkit_run(state_dir, out, "--junit", str(out / "junit.xml")), out


@pytest.fixture(scope="module")
def failed_run(state_dir, good_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "failed"
    return labkit_run(state_dir, out, "-p", "lab_id=failing", "-p", "vm_size=Standard_NC6s_v3", "-p", "local_checks=False",
                      "-p", "pool_name=gpuold", "--junit", str(out / "junit.xml")), out


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def test_whole_lab_passes_and_leaves_nothing(good_run, state_dir):
    result, out = good_run
    assert result.returncode == RunExit.PASSED, result.stdout + result.stderr
    data = summary(out)
    assert data["status"] == "passed" and data["interrupted_by"] is None
    assert data["lab_id"] == (state_dir / "config" / "config.yaml").read_text().split("lab_id: ")[1].strip()
    assert [(lesson["name"], lesson["status"]) for lesson in data["lessons"]] == [(name, "passed") for name in LESSONS]
    assert all(lesson["duration_seconds"] > 0 for lesson in data["lessons"])
    assert {row["pool"] for row in data["gpu_capacity"] if row["allocatable"] >= 1} == {"gpunp", "gpudx"}
    assert data["left_after_cleanup"] == []
    assert all((out / f"{name}.ipynb").exists() for name in LESSONS)
    assert "# labkit run: PASSED" in (out / "report.md").read_text() and f"Lab `{data['lab_id']}`" in (out / "report.md").read_text()
    assert "[6/6] 05_cleanup: passed" in result.stdout


def test_lessons_02_and_03_ran_at_once_each_in_its_own_kernel(good_run):
    import nbformat

    _, out = good_run
    executed = {name: nbformat.read(out / f"{name}.ipynb", as_version=4) for name in LESSONS}
    times = {name: notebook.metadata.papermill for name, notebook in executed.items()}
    assert times["03_gpu_pool_manual_driver"]["start_time"] < times["02_gpu_pool_auto_driver"]["end_time"]
    assert times["02_gpu_pool_auto_driver"]["start_time"] < times["03_gpu_pool_manual_driver"]["end_time"]
    for name, notebook in executed.items():  # kernels started ahead ran nothing a lesson counts
        counts = [cell.execution_count for cell in notebook.cells if cell.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1)), name


def test_the_summary_and_report_count_the_gpu_vm_minutes_and_the_azure_time(good_run):
    _, out = good_run
    usage = summary(out)["azure_usage"]
    assert sorted(pool["pool"] for pool in usage["pools"]) == ["gpudx", "gpunp"]
    assert not any(pool["still_exists"] for pool in usage["pools"])
    assert usage["gpu_vm_minutes"] == round(sum(pool["vm_minutes"] for pool in usage["pools"]), 1) > 0
    assert usage["gpu_cost_usd"] > 0 and all(minutes > 0 for minutes in usage["critical_path"].values())
    text = (out / "report.md").read_text()
    assert f"- GPU VM-minutes: {usage['gpu_vm_minutes']:.1f}, about ${usage['gpu_cost_usd']:.2f}" in text
    assert f"against a critical path of {usage['critical_path_minutes']:.1f} min" in text


def test_failing_lesson_exits_non_zero_keeps_notebooks_and_still_cleans_up(failed_run):
    result, out = failed_run
    assert result.returncode == RunExit.LESSON_FAILED, result.stdout + result.stderr
    statuses = {lesson["name"]: lesson for lesson in summary(out)["lessons"]}
    assert statuses["02_gpu_pool_auto_driver"]["status"] == "failed"
    assert "BadRequest: The VM size of AgentPoolProfile:gpuold is not allowed" in statuses["02_gpu_pool_auto_driver"]["error"]
    # 03 ran beside 02 (it needs only 01), with the same retired size; 04 needs both and never started.
    assert "BadRequest: The VM size of AgentPoolProfile:gpudx" in statuses["03_gpu_pool_manual_driver"]["error"]
    assert statuses["04_verify_gpu_capacity"]["status"] == "skipped"
    assert statuses["05_cleanup"]["status"] == "passed"
    assert summary(out)["left_after_cleanup"] == []
    assert (out / "02_gpu_pool_auto_driver.ipynb").exists()
    assert "is not allowed in your subscription" in (out / "report.md").read_text()


def test_the_junit_file_of_a_passing_run_has_the_junit_shape_a_case_per_lesson_and_the_lab(good_run):
    _, out = good_run
    suite = validated_suite(out / "junit.xml")
    assert suite.get("name") == "labkit" and (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "0")
    data = summary(out)
    assert properties(suite) == {"lab_id": data["lab_id"], "backend": "sim", "status": "passed"}
    lessons = [c for c in suite.iter("testcase") if c.get("classname") == "labkit.lessons"]
    assert [(c.get("name"), float(c.get("time"))) for c in lessons] == [(o["name"], o["duration_seconds"]) for o in data["lessons"]]
    assert float(suite.get("time")) == data["duration_seconds"] and suite.get("timestamp") == data["started_at"]
    assert list(case(suite, "nothing left after cleanup")) == [] and suite.find("system-out").text == "Nothing left after the run."


def test_the_junit_file_of_a_failing_run_names_the_error_and_the_executed_notebook(failed_run):
    _, out = failed_run
    suite = validated_suite(out / "junit.xml")
    assert (suite.get("failures"), suite.get("skipped")) == ("2", "1") and properties(suite)["status"] == "failed"
    failure = case(suite, "02_gpu_pool_auto_driver").find("failure")
    error = {o["name"]: o["error"] for o in summary(out)["lessons"]}["02_gpu_pool_auto_driver"]
    assert error == f"{failure.get('type')}: {failure.get('message')}" and failure.get("type") == "OperationError"
    assert "BadRequest: The VM size of AgentPoolProfile:gpuold is not allowed" in failure.get("message")
    assert f"executed notebook: {out / '02_gpu_pool_auto_driver.ipynb'}" in failure.text
    assert case(suite, "04_verify_gpu_capacity").find("skipped").get("message") == "not run: an earlier lesson failed"
    assert list(case(suite, "05_cleanup")) == [] and list(case(suite, "nothing left after cleanup")) == []


def test_bad_parameter_stops_before_any_lesson(state_dir, tmp_path):
    result = labkit_run(state_dir, tmp_path / "bad", "-p", "lab_id=fresh", "-p", "pool_name=gpupool1")
    assert result.returncode == RunExit.PARAMETERS_REFUSED
    assert "pool_name 'gpupool1' is 8 characters" in result.stderr
    assert not (tmp_path / "bad").exists()


def test_no_secret_in_any_output(state_dir, good_run, failed_run):
    token = (state_dir / "token").read_text().strip()
    kubeconfig_lines = [line.strip() for line in service.write_kubeconfig(state_dir).read_text().splitlines() if len(line.strip()) > 40]
    forbidden = [token, "PRIVATE KEY", "certificate-authority-data", "client-key-data", *kubeconfig_lines]
    files = [p for _, out in (good_run, failed_run) for p in out.rglob("*") if p.is_file()] + [state_dir / "sim.log"]
    assert len(files) > 12
    texts = {str(path): path.read_text(errors="replace") for path in files}
    texts.update({f"labkit run output {i}": run.stdout + run.stderr for i, (run, _) in enumerate((good_run, failed_run))})
    for name, text in texts.items():
        leaked = [secret[:12] for secret in forbidden if secret in text]
        assert not leaked, f"{name} contains {leaked}"


@pytest.fixture
def quiet_sim(tmp_path, monkeypatch, config_dir):
    """A state dir of the test's own for the simulator a run reaches (it connects while the first kernel starts, and
    lists what a run left when its fake cleanup did not run); stopped after the test."""
    monkeypatch.setenv("LABKIT_STATE_DIR", str(tmp_path / "sim"))
    monkeypatch.setenv("LABKIT_SIM_TIME_SCALE", "0.0005")
    yield
    service.stop(tmp_path / "sim")


@pytest.mark.parametrize("keep, cleanup_status", [(False, "passed"), (True, "skipped")])
def test_keep_skips_the_cleanup_after_a_failure(tmp_path, keep, cleanup_status, quiet_sim):
    from labkit.runner import run_lab

    lessons = fake_lessons(tmp_path / "lessons", failing="02_gpu_pool_auto_driver")
    summary = run_lab({}, out_dir=tmp_path / "out", keep=keep, notebook_dir=lessons, say=lambda _: None)
    statuses = [lesson["status"] for lesson in summary["lessons"]]
    # 03 needs only 01, so it ran beside 02 and ends as it would have alone; 04 needs 02, and never starts.
    assert statuses == ["passed", "passed", "failed", "passed", "skipped", cleanup_status]
    assert summary["status"] == "failed"
    assert "RuntimeError: boom" in summary["lessons"][2]["error"]
    if keep:  # the run lists what it kept (nothing, with fake lessons)
        assert summary["left_after_cleanup"] == []


def test_a_dead_kernel_is_a_failure_and_cleanup_still_runs(tmp_path, quiet_sim):
    from labkit.runner import run_lab

    lessons = fake_lessons(tmp_path / "lessons", failing="none")
    crash = (lessons / "03_gpu_pool_manual_driver.ipynb").read_text().replace("1 + 1", "import os; os._exit(1)")
    (lessons / "03_gpu_pool_manual_driver.ipynb").write_text(crash)
    summary = run_lab({}, out_dir=tmp_path / "out", notebook_dir=lessons, say=lambda _: None)
    assert [lesson["status"] for lesson in summary["lessons"]][3:] == ["failed", "skipped", "passed"]
    assert "DeadKernelError" in summary["lessons"][3]["error"]
    assert (tmp_path / "out" / "summary.json").exists()


def test_an_interrupt_still_cleans_up_writes_the_summary_and_stops(tmp_path, monkeypatch, quiet_sim):
    from labkit import runner
    from labkit.interrupts import Interrupted

    lessons = fake_lessons(tmp_path / "lessons", failing="none")
    real_run_lesson = runner._run_lesson

    def interrupt_lesson_01(lesson, *args):
        if lesson == "01_preview_setup":
            raise Interrupted("SIGTERM")
        return real_run_lesson(lesson, *args)

    monkeypatch.setattr(runner, "_run_lesson", interrupt_lesson_01)
    with pytest.raises(Interrupted) as caught:
        runner.run_lab({}, out_dir=tmp_path / "out", notebook_dir=lessons, say=lambda _: None)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary == caught.value.summary
    assert [lesson["status"] for lesson in summary["lessons"]] == ["passed", "failed", "skipped", "skipped", "skipped", "passed"]
    assert summary["lessons"][1]["error"] == "interrupted (SIGTERM)"


def test_latest_is_only_ever_our_own_symlink(tmp_path):
    from labkit.runner import point_latest

    (tmp_path / "latest").write_text("a file of the user's")
    point_latest(tmp_path / "run-1")
    assert (tmp_path / "latest").read_text() == "a file of the user's"
    (tmp_path / "latest").unlink()
    for run in ("run-1", "run-2"):
        point_latest(tmp_path / run)
    assert (tmp_path / "latest").resolve().name == "run-2"


def test_report_keeps_an_error_inside_its_table_cell():
    from labkit.report import report

    error = "creating pool failed: X: a | b\n  What to do: retry"
    summary = {"status": "failed", "lab_id": "team3", "backend": "sim", "duration_seconds": 1.0, "gpu_capacity": None,
               "left_after_cleanup": [], "cleanup_command": "labkit cleanup --lab-id team3",
               "lessons": [{"name": "02", "status": "failed", "duration_seconds": 1.0, "error": error}]}
    row = next(line for line in report(summary).splitlines() if line.startswith("| 02 "))
    assert row == "| 02 | failed | 1.0 | creating pool failed: X: a \\| b What to do: retry |"


def test_an_out_folder_holding_anything_is_refused_and_left_as_it_is(state_dir, tmp_path):
    out = tmp_path / "mine"
    (out / "results").mkdir(parents=True)
    (out / "results" / "notes.txt").write_text("a user's file")
    result = labkit_run(state_dir, out)
    assert result.returncode == RunExit.PARAMETERS_REFUSED
    assert result.stderr.strip().splitlines()[-1].startswith(f"Error: --out '{out}' exists and is not an empty folder;")
    assert (out / "results" / "notes.txt").read_text() == "a user's file"
    assert sorted(p.name for p in out.rglob("*")) == ["notes.txt", "results"]


@pytest.mark.parametrize("out", ["", "  "])
def test_an_empty_out_is_refused(state_dir, tmp_path, out):
    result = labkit(state_dir, "run", "--out", out)
    assert result.returncode == RunExit.PARAMETERS_REFUSED and "Error: --out" in result.stderr and "is empty" in result.stderr
    assert not (ROOT / "results").exists() and not (ROOT / "summary.json").exists()


@pytest.mark.parametrize("content, why", [(b"- 1\n", "holds a list"), (b"a: [\n", "is not valid YAML"), (b"\xff", "is not UTF-8")])
def test_a_bad_params_file_stops_before_anything_is_created(state_dir, tmp_path, content, why):
    params = tmp_path / "params.yaml"
    params.write_bytes(content)
    result = labkit_run(state_dir, tmp_path / "out", "--params-file", str(params))
    assert result.returncode == RunExit.PARAMETERS_REFUSED and why in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_runs_started_at_once_get_folders_of_their_own(tmp_path):
    from labkit.runner import new_out_dir

    folders = [new_out_dir("team3", tmp_path) for _ in range(5)]
    assert len(set(folders)) == 5 and all(folder.is_dir() and folder.name.startswith(folders[0].name) for folder in folders)


def test_a_listing_of_leftovers_that_fails_says_why_in_one_line(monkeypatch):
    from labkit.params import load_params
    from labkit.runner import _list_leftovers

    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "11111111-2222-3333-4444-555555555555")
    said: list[str] = []
    params = load_params(lab_id="gone", backend="azure", cloud="https://127.0.0.1:9")
    assert _list_leftovers(params, said.append) is None
    assert said == ["could not list what is left (cloud 'https://127.0.0.1:9' did not describe itself at "
                    "/metadata/endpoints (it cannot be reached); a custom cloud is named by its ARM endpoint, which says "
                    "where to sign in (as `az cloud register` reads it). Check the address, or use one of AzureCloud, "
                    "AzureChinaCloud, AzureUSGovernment.); run `labkit cleanup --lab-id gone`"]
