"""Shared fixtures: a simulator per test module, each with its own state directory, always stopped."""

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


@pytest.fixture(scope="session")
def until():
    """``until(condition, seconds=10, what=...)``: poll until truthy and return that value; fail after ``seconds``."""
    return _poll
