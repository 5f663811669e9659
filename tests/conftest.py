"""Shared fixtures: a simulator per test module, each with its own state directory, always stopped; a Lab on it."""

from __future__ import annotations

import time

import pytest

from labkit.sim.server import SimServer

#: Tests run the simulated clock fast: five Azure minutes pass in 0.1 s.
FAST = 1 / 3000


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """A running simulator in a thread of the test process, stopped when the module's tests end."""
    server = SimServer(tmp_path_factory.mktemp("sim-state"), time_scale=FAST).start_in_thread()
    yield server
    server.stop()


def _poll(condition, *, seconds: float = 10.0, what: str = "the condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture(scope="module")
def lab(sim, monkeypatch_module):
    """labkit's Lab on the module's simulator, as a lesson makes it (one-minute waits, no progress bars)."""
    from labkit import Lab, load_params

    monkeypatch_module.setenv("LABKIT_STATE_DIR", str(sim.state_dir))
    monkeypatch_module.setenv("LABKIT_PROGRESS", "off")
    return Lab(load_params(timeout_minutes=1))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="session")
def until():
    """``until(condition, seconds=10, what=...)``: poll until truthy and return that value; fail after ``seconds``."""
    return _poll
