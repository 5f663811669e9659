"""Shared fixtures: a simulator per test module, each with its own state directory, always stopped."""

from __future__ import annotations

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
