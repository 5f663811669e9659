"""The committed lessons: nbval runs them in order on a fresh simulator; each also runs on its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.sim import service

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from regenerate_notebooks import DOCUMENT_LAB_ID  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_committed_notebooks_reproduce_their_outputs(tmp_path):
    env = {**os.environ, "LABKIT_STATE_DIR": str(tmp_path), "LABKIT_PROGRESS": "off", "LABKIT_SIM_TIME_SCALE": "0.0005",
           "LABKIT_LAB_ID": DOCUMENT_LAB_ID, "LABKIT_CONFIG_DIR": str(tmp_path / "config")}
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--nbval", "notebooks", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
             "-p", "no:cacheprovider", "-q"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
        )
    finally:
        service.stop(tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    assert " passed" in result.stdout.splitlines()[-1]


def test_each_lesson_alone_passes_or_names_the_lesson_to_run_first(tmp_path, monkeypatch, config_dir):
    import papermill

    monkeypatch.setenv("LABKIT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("LABKIT_PROGRESS", "off")
    monkeypatch.setenv("LABKIT_SIM_TIME_SCALE", "0.0005")
    needs = {  # on a fresh simulator, in this order: the lessons that need an earlier one first
        "02_gpu_pool_auto_driver": "run 01_preview_setup.ipynb first",
        "03_gpu_pool_manual_driver": "run 01_preview_setup.ipynb first",
        "04_verify_gpu_capacity": "run 02_gpu_pool_auto_driver.ipynb or 03_gpu_pool_manual_driver.ipynb first",
        "05_cleanup": None,
        "00_prerequisites": None,
        "01_preview_setup": None,
    }
    try:
        for lesson, message in needs.items():
            run = lambda: papermill.execute_notebook(  # noqa: E731
                str(ROOT / "notebooks" / f"{lesson}.ipynb"), str(tmp_path / f"{lesson}.ipynb"),
                cwd=str(ROOT / "notebooks"), progress_bar=False, kernel_name="python3",
            )
            if message is None:
                run()
                continue
            with pytest.raises(papermill.PapermillExecutionError) as caught:
                run()
            assert caught.value.ename == "MissingPrerequisite" and message in caught.value.evalue, lesson
            assert len(caught.value.traceback) == 1, "a labkit error shows as one line, not a traceback"
    finally:
        service.stop(tmp_path / "state")
