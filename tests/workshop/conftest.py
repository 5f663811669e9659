"""A workshop's tests: the module's simulator as every Lab's backend, and attendee lists written on the fly."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def on_sim(sim, monkeypatch_module):
    """Every Lab the test makes (the plan's, the run's quota check, status) talks to the module's simulator."""
    monkeypatch_module.setenv("LABKIT_STATE_DIR", str(sim.state_dir))
    monkeypatch_module.setenv("LABKIT_PROGRESS", "off")
    return sim


def attendee_list(directory: Path, *names: str, name: str = "class.csv") -> Path:
    path = directory / name
    path.write_text("name\n" + "".join(f"{n}\n" for n in names), encoding="utf-8")
    return path
