"""nbval on the committed lessons: run in order on a fresh simulator, outputs compared after sanitizing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from labkit.sim import service

ROOT = Path(__file__).resolve().parent.parent


def test_committed_notebooks_reproduce_their_outputs(tmp_path):
    env = {**os.environ, "LABKIT_STATE_DIR": str(tmp_path), "LABKIT_PROGRESS": "off", "LABKIT_SIM_TIME_SCALE": "0.0005"}
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
