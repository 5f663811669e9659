"""`labkit run`'s exit statuses: the table, its precedence, the README and --help that show it, and each status
through the real command (real lab runs in test_runner.py for 0, 1 and 2; fake lessons here for 3 and 130)."""

from __future__ import annotations

import itertools
import json
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from fake_lessons import fake_lessons, labkit_on_lessons, record
from junit_schema import case, properties, validated_suite
from labkit.cli import main
from labkit.exits import MEANINGS, RunExit, run_exit_status

ROOT = Path(__file__).resolve().parent.parent
LEFT = ["pool gpunp in myResourceGroup/myAKSCluster (Succeeded)"]


@pytest.mark.parametrize("interrupted_by, left, status", list(itertools.product([None, "SIGTERM"], [[], LEFT, None], ["passed", "failed"])))
def test_interrupted_wins_then_resources_left_then_a_failed_lesson(interrupted_by, left, status):
    summary = {"status": "interrupted" if interrupted_by else status, "interrupted_by": interrupted_by, "left_after_cleanup": left}
    expected = (RunExit.INTERRUPTED if interrupted_by else RunExit.RESOURCES_LEFT if left != []
                else RunExit.LESSON_FAILED if status == "failed" else RunExit.PASSED)
    assert run_exit_status(summary) == expected


def test_the_readme_and_help_show_every_status_with_its_meaning():
    readme = (ROOT / "README.md").read_text()
    shown = CliRunner().invoke(main, ["run", "--help"], terminal_width=200).output
    for code, meaning in MEANINGS.items():
        assert f"| {int(code)} | {meaning} |" in readme, f"README.md lacks the row of exit status {int(code)}"
        assert f"{int(code):<4} {meaning}" in shown
    assert "the first of 130, 3, 1 wins" in shown


def test_resources_left_after_a_failed_lesson_exit_3_and_the_junit_file_says_what_is_left(tmp_path, sim_env):
    lessons = fake_lessons(tmp_path / "lessons", failing="02_gpu_pool_auto_driver", bodies={"05_cleanup": record("leftovers", LEFT)})
    out, junit = tmp_path / "out", tmp_path / "reports" / "junit.xml"
    result = labkit_on_lessons(lessons, sim_env, "run", "--out", str(out), "--junit", str(junit))
    assert result.returncode == RunExit.RESOURCES_LEFT, result.stdout + result.stderr
    lab_id = json.loads((out / "summary.json").read_text())["lab_id"]
    assert result.stderr.splitlines()[-1] == f"left: {LEFT[0]}; remove it with `labkit cleanup --lab-id {lab_id}`"
    suite = validated_suite(junit)
    failure = case(suite, "02_gpu_pool_auto_driver").find("failure")
    assert (failure.get("type"), failure.get("message")) == ("RuntimeError", "boom")
    assert f"executed notebook: {out / '02_gpu_pool_auto_driver.ipynb'}" in failure.text
    left = case(suite, "nothing left after cleanup").find("failure")
    assert left.get("type") == "ResourcesLeft" and left.get("message") == f"left: {LEFT[0]}"
    assert f"Remove it with `labkit cleanup --lab-id {lab_id}`" in suite.find("system-out").text


def test_an_interrupted_run_exits_130_and_still_writes_its_junit_file(tmp_path, sim_env):
    stop_the_run = f"import os, signal, time\nos.kill(os.getppid(), signal.{signal.SIGTERM.name})\ntime.sleep(60)"
    lessons = fake_lessons(tmp_path / "lessons", failing="none",
                           bodies={"01_preview_setup": stop_the_run, "05_cleanup": record("leftovers", [])})
    out = tmp_path / "out"
    result = labkit_on_lessons(lessons, sim_env, "run", "--out", str(out), "--junit", str(out / "junit.xml"))
    assert result.returncode == RunExit.INTERRUPTED, result.stdout + result.stderr
    assert result.stderr.splitlines()[-1] == f"interrupted by SIGTERM: nothing is left. Summary and report in {out}"
    suite = validated_suite(out / "junit.xml")
    assert properties(suite)["interrupted_by"] == "SIGTERM" and properties(suite)["status"] == "interrupted"
    failure = case(suite, "01_preview_setup").find("failure")
    assert (failure.get("type"), failure.get("message")) == ("LessonFailed", "interrupted (SIGTERM)")
    assert case(suite, "02_gpu_pool_auto_driver").find("skipped").get("message") == "not run: the run was interrupted by SIGTERM"
    assert list(case(suite, "05_cleanup")) == [] and list(case(suite, "nothing left after cleanup")) == []


def test_labkit_cleanup_refuses_a_bad_parameter_with_status_2():
    result = CliRunner().invoke(main, ["cleanup", "--lab-id", "Bad Id"])
    assert result.exit_code == RunExit.PARAMETERS_REFUSED and "lab_id 'Bad Id'" in result.output


def test_labkit_cleanup_exits_3_when_a_fresh_listing_still_finds_something(lab, monkeypatch):
    from labkit import cleanup, ledger

    still_there = ["pool gpunp in myResourceGroup/myAKSCluster (Deleting)"]
    monkeypatch.setattr(ledger, "find", lambda lab, all_labs=False: still_there)
    monkeypatch.setattr(cleanup, "other_labs_pools", lambda lab: [])
    monkeypatch.setattr(cleanup, "cleanup", lambda lab, all_labs=False: None)  # a removal that did not happen
    result = CliRunner().invoke(main, ["cleanup", "--lab-id", "alpha"])
    assert result.exit_code == RunExit.RESOURCES_LEFT, result.output
    assert f"still: {still_there[0]}" in result.output
