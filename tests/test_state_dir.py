"""Where the simulator keeps its secrets: an absolute folder outside the repository, whose mode labkit leaves alone
unless labkit made it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.files import private_dir
from labkit.sim import service

ROOT = Path(__file__).resolve().parent.parent


def test_a_relative_state_dir_is_refused_in_one_line(monkeypatch):
    monkeypatch.setenv("LABKIT_STATE_DIR", "sim-state")
    with pytest.raises(service.SimServiceError, match="LABKIT_STATE_DIR 'sim-state' is a relative path"):
        service.default_state_dir()


@pytest.mark.parametrize("inside", ["notebooks/.state", ".", "labkit/sim"])
def test_a_state_dir_inside_the_repository_is_refused(monkeypatch, inside):
    monkeypatch.setenv("LABKIT_STATE_DIR", str(ROOT / inside))
    with pytest.raises(service.SimServiceError, match="inside the labkit repository"):
        service.default_state_dir()
    with pytest.raises(service.SimServiceError, match="inside the labkit repository"):
        service.status(ROOT / inside)


def test_a_lesson_with_a_relative_state_dir_stops_before_writing_anything():
    env = {**os.environ, "LABKIT_STATE_DIR": "relative-state"}
    code = "import labkit; labkit.Lab(labkit.load_params())"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "notebooks", env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "is a relative path" in result.stderr
    assert not (ROOT / "notebooks" / "relative-state").exists()


def test_an_existing_shared_folder_keeps_its_mode_and_a_new_one_is_private(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    private_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    made = private_dir(tmp_path / "new" / "state")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
