"""Every way `labkit run` is asked to stop leaves a summary, one line of output, and nothing billed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from labkit.sim import service
from fake_lessons import fake_lessons

ROOT = Path(__file__).resolve().parent.parent


class Run:
    """`labkit run` in the background, its output read as it comes."""

    def __init__(self, env: dict, out: Path, *args: str):
        self.out = out
        self.lines: list[str] = []
        self.process = subprocess.Popen([sys.executable, "-m", "labkit", "run", "--out", str(out), *args], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.errors: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.errors), daemon=True).start()

    @staticmethod
    def _read(stream, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    def wait_for(self, condition, what: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert self.process.poll() is None, f"the run ended before {what}: {self.lines + self.errors}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {self.lines}"
            time.sleep(0.02)

    def printed(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def end(self) -> tuple[int, dict]:
        code = self.process.wait(timeout=300)
        time.sleep(0.1)  # the readers drain the pipes
        return code, json.loads((self.out / "summary.json").read_text())


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A slower simulated clock (a pool takes seconds), so that a signal lands while the pool is being made."""
    values = {"LABKIT_STATE_DIR": str(tmp_path / "sim"), "LABKIT_SIM_TIME_SCALE": "0.01",
              "LABKIT_CONFIG_DIR": str(tmp_path / "config"), "LABKIT_PROGRESS": "off"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    yield {**os.environ, **values}
    service.stop(tmp_path / "sim")


def pool_state(name: str):
    """The state of pool ``name`` of lab ``sig`` on the test's simulator, or None."""
    from labkit import Lab, load_params
    from labkit.pools import get_pool

    pool = get_pool(Lab(load_params(lab_id="sig")), name)
    return pool.properties.provisioning_state if pool else None


def test_sigterm_during_a_pool_creation_cleans_up_and_says_so_in_one_line(env, tmp_path):
    run = Run(env, tmp_path / "out", "-p", "lab_id=sig")
    run.wait_for(lambda: run.printed("02_gpu_pool_auto_driver ...") and pool_state("gpunp") == "Creating", "lesson 02's pool")
    run.process.send_signal(signal.SIGTERM)
    code, summary = run.end()
    assert code == 130
    assert summary["status"] == "interrupted" and summary["interrupted_by"] == "SIGTERM"
    lessons = {lesson["name"]: lesson for lesson in summary["lessons"]}
    assert lessons["02_gpu_pool_auto_driver"]["error"] == "interrupted (SIGTERM)"
    assert lessons["05_cleanup"]["status"] == "passed"
    assert summary["left_after_cleanup"] == [] and pool_state("gpunp") is None
    assert run.errors == [f"interrupted by SIGTERM: nothing is left. Summary and report in {tmp_path / 'out'}"], run.errors
    assert "interrupted by SIGTERM" in (tmp_path / "out" / "report.md").read_text()


def test_a_second_interrupt_stops_the_cleanup_and_names_what_is_left_and_the_command(env, tmp_path):
    # A slower clock still: the pool's deletion (240 simulated s) outlasts the run's listing of what is left.
    env = {**env, "LABKIT_SIM_TIME_SCALE": "0.02"}
    run = Run(env, tmp_path / "out", "-p", "lab_id=sig")
    run.wait_for(lambda: run.printed("02_gpu_pool_auto_driver ...") and pool_state("gpunp") == "Creating", "lesson 02's pool")
    run.process.send_signal(signal.SIGINT)
    run.wait_for(lambda: run.printed("05_cleanup ...") and pool_state("gpunp") == "Deleting", "the cleanup deleting the pool")
    run.process.send_signal(signal.SIGINT)
    code, summary = run.end()
    assert code == 130 and summary["interrupted_by"] == "SIGINT"
    assert summary["lessons"][-1]["error"] == "interrupted (SIGINT)"
    left = summary["left_after_cleanup"]  # lesson 03's pool too, when it was created before the interrupt
    assert "pool gpunp in myResourceGroup/myAKSCluster (Deleting)" in left
    assert set(left) <= {f"pool {name} in myResourceGroup/myAKSCluster (Deleting)" for name in ("gpunp", "gpudx")}
    assert len(run.errors) == 1 and "remove it with `labkit cleanup --lab-id sig`" in run.errors[0], run.errors
    assert "Traceback" not in "\n".join(run.lines + run.errors)


#: Lessons 02 and 03 run at once; these tests interrupt them while both are in a cell.
RUNNING = ("02_gpu_pool_auto_driver", "03_gpu_pool_manual_driver")


def waiting_cell(marker: Path, *, deaf: bool = False) -> str:
    """A lesson's code that creates ``marker`` once it runs, then sleeps; a ``deaf`` one first ignores SIGINT, as a
    kernel interrupted while it receives a cell does: it swallows the KeyboardInterrupt and never replies."""
    ignore = "signal.signal(signal.SIGINT, signal.SIG_IGN); " if deaf else ""
    return f"import pathlib, signal, time; {ignore}pathlib.Path({str(marker)!r}).touch(); time.sleep({600 if deaf else 60})"


def run_lessons_and_interrupt(env: dict, tmp_path: Path, number: signal.Signals, *, deaf: tuple[str, ...] = ()) -> tuple[dict, str]:
    """``run_lab`` on fake lessons whose 02 and 03 wait in a cell (the ``deaf`` ones ignoring SIGINT), sent ``number``
    once both are in it; the summary, and what the run printed on stderr."""
    markers = {name: tmp_path / f"{name}.in-cell" for name in RUNNING}
    bodies = {name: waiting_cell(marker, deaf=name in deaf) for name, marker in markers.items()}
    lessons = fake_lessons(tmp_path / "lessons", failing="none", bodies=bodies)
    code = ("import sys; from pathlib import Path; from labkit.runner import run_lab; "
            f"run_lab({{'lab_id': 'sig'}}, out_dir=Path({str(tmp_path / 'out')!r}), notebook_dir=Path({str(lessons)!r}))")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not all(marker.exists() for marker in markers.values()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(number)
    _, errors = process.communicate(timeout=120)
    return json.loads((tmp_path / "out" / "summary.json").read_text()), errors


def test_sighup_is_handled_like_ctrl_c_and_stops_both_lessons_that_run(env, tmp_path):
    summary, _ = run_lessons_and_interrupt(env, tmp_path, signal.SIGHUP)
    assert summary["interrupted_by"] == "SIGHUP"
    assert [lesson["status"] for lesson in summary["lessons"]] == ["passed", "passed", "failed", "failed", "skipped", "passed"]
    assert {summary["lessons"][index]["error"] for index in (2, 3)} == {"interrupted (SIGHUP)"}


def test_a_lesson_whose_kernel_does_not_answer_an_interrupt_has_its_kernel_ended_and_the_cleanup_runs(env, tmp_path):
    summary, errors = run_lessons_and_interrupt(env, tmp_path, signal.SIGINT, deaf=(RUNNING[0],))
    assert [lesson["status"] for lesson in summary["lessons"]] == ["passed", "passed", "failed", "failed", "skipped", "passed"]
    assert summary["lessons"][2]["error"] == "interrupted (SIGINT): its kernel did not answer within 5 s and was ended"
    assert summary["lessons"][3]["error"] == "interrupted (SIGINT)"  # its kernel answered
    # what papermill says of the ended kernel goes to the kernels' log, not the terminal
    assert "Kernel died" not in errors and "Kernel died" in (tmp_path / "out" / "kernels.log").read_text()
