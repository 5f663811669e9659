"""labkit prepare: a lab brought to the state a lesson starts from, for a learner who fell behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labkit.errors import LabConfigError
from labkit.prepare import lesson_named, lessons_before

ROOT = Path(__file__).resolve().parent.parent


def test_lessons_are_named_by_number_name_or_file():
    assert {lesson_named(text) for text in ("04", "4", "04_verify_gpu_capacity", "notebooks/04_verify_gpu_capacity.ipynb")} == {
        "04_verify_gpu_capacity"}
    assert lessons_before("05_cleanup")[-1] == "04_verify_gpu_capacity" and lessons_before("00_prerequisites") == []
    with pytest.raises(LabConfigError, match=r"^LESSON '7' is not a lesson; the lessons are 00_prerequisites, "):
        lesson_named("7")


def test_prepare_04_on_a_fresh_lab_then_lesson_04_passes_on_it(tmp_path, sim_env):
    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", *command], cwd=tmp_path, env=sim_env, capture_output=True, text=True,
                              timeout=600)

    try:
        prepared = run("labkit", "prepare", "04", "-p", "lab_id=late")
        assert prepared.returncode == 0, prepared.stdout + prepared.stderr
        said = prepared.stdout.splitlines()
        assert said[0] == ("preparing lab late for 04_verify_gpu_capacity: running 00_prerequisites, 01_preview_setup, "
                           "02_gpu_pool_auto_driver, 03_gpu_pool_manual_driver unattended")
        assert said[-2].startswith("ready for 04_verify_gpu_capacity: ran 00_prerequisites passed, 01_preview_setup passed, "
                                   "02_gpu_pool_auto_driver passed, 03_gpu_pool_manual_driver passed; your lab holds pool gpudx")
        (kept,) = (tmp_path / "runs").iterdir()
        assert kept.name.endswith("-late-prepare-04")
        assert sorted(p.name for p in kept.glob("*.ipynb")) == ["00_prerequisites.ipynb", "01_preview_setup.ipynb",
                                                                 "02_gpu_pool_auto_driver.ipynb", "03_gpu_pool_manual_driver.ipynb"]
        lesson = run("papermill", str(ROOT / "notebooks" / "04_verify_gpu_capacity.ipynb"), str(tmp_path / "04.ipynb"),
                     "--cwd", str(ROOT / "notebooks"), "--kernel", "python3")
        assert lesson.returncode == 0, lesson.stderr[-2000:]
        assert "GPUs are schedulable. Next: 05_cleanup.ipynb" in (tmp_path / "04.ipynb").read_text()
        again = run("labkit", "prepare", "00")
        assert again.stdout == "00_prerequisites starts from a fresh lab: nothing to prepare\n"
    finally:
        removed = run("labkit", "cleanup", "--lab-id", "late")
    assert "nothing left." in removed.stdout, removed.stdout + removed.stderr
