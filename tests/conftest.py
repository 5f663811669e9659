"""Shared fixtures: a simulator per test module, each with its own state directory, always stopped; a Lab on it;
labkit settings of the test session's own (never the user's ~/.config/labkit)."""

from __future__ import annotations

import logging
import os
import tempfile
import time

import pytest

from labkit.sim.server import SimServer

#: Tests run the simulated clock fast: five Azure minutes pass in 0.1 s.
FAST = 1 / 3000


def pytest_configure(config):
    """Every test, and every kernel and command a test starts, keeps labkit settings in a folder of the session's.

    Set here rather than in a fixture so that module-scoped fixtures see it too. Tests that save settings
    (lesson 00, ``labkit run``) use :func:`config_dir` for a folder of their own.
    """
    os.environ["LABKIT_CONFIG_DIR"] = tempfile.mkdtemp(prefix="labkit-test-config-")
    os.environ.pop("LABKIT_LAB_ID", None)


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    """A labkit configuration folder of this test's own (your lab id, the labs' settings)."""
    directory = tmp_path / "labkit-config"
    monkeypatch.setenv("LABKIT_CONFIG_DIR", str(directory))
    return directory


@pytest.fixture
def sim_env(tmp_path):
    """The environment of the labkit commands a test starts: one simulator of the test's own on the fast clock
    (``labkit run``'s, 0.0005), labkit settings of its own, no progress bars; the simulator is stopped at the end."""
    from labkit.sim import service

    yield {**os.environ, "LABKIT_STATE_DIR": str(tmp_path / "sim"), "LABKIT_SIM_TIME_SCALE": "0.0005",
           "LABKIT_CONFIG_DIR": str(tmp_path / "config"), "LABKIT_PROGRESS": "off"}
    service.stop(tmp_path / "sim")


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
    """labkit's Lab of lab ``alpha`` on the module's simulator, as a lesson makes it (one-minute waits, no progress bars)."""
    from labkit import Lab, load_params

    monkeypatch_module.setenv("LABKIT_STATE_DIR", str(sim.state_dir))
    monkeypatch_module.setenv("LABKIT_PROGRESS", "off")
    return Lab(load_params(lab_id="alpha", timeout_minutes=1))


@pytest.fixture
def fault(sim):
    """``fault(kind, **options)`` switches a failure scenario on in the module's simulator for one test; all are off
    again after it."""
    from labkit.sim import faults

    yield lambda kind, **options: faults.add(sim.state_dir, kind, **options)
    faults.clear(sim.state_dir)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="session")
def arm_token():
    """``arm_token(server)``: an ARM access token from ``server``'s Entra stand-in, through azure-identity, for calls
    on the wire."""
    from labkit.sim.client import credential

    return lambda server: credential(server.state_dir, server.url).get_token("https://management.azure.com/.default").token


@pytest.fixture(scope="session")
def until():
    """``until(condition, seconds=10, what=...)``: poll until truthy and return that value; fail after ``seconds``."""
    return _poll


class _Complaints(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


#: Where a simulator in this process complains: its own loggers, and the server stack under it.
_SIMULATOR_LOGGERS = ("labkit.sim", "aiohttp", "asyncio")


@pytest.fixture(autouse=True)
def no_simulator_complaints():
    """Fail any test during which a simulator in this process logged a warning or an error: a traceback or a
    500 (the controllers' per-step guard and the planes' last-resort handlers), or asyncio's warning about
    writes to a connection the client closed. No client input and no stored object may ever cause one.
    """
    complaints = _Complaints()
    loggers = [logging.getLogger(name) for name in _SIMULATOR_LOGGERS]
    for logger in loggers:
        logger.addHandler(complaints)
    yield
    for logger in loggers:
        logger.removeHandler(complaints)
    if complaints.records:
        pytest.fail("the simulator complained:\n" + "\n".join(
            complaints.format(r) + ("\n" + logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
            for r in complaints.records))
