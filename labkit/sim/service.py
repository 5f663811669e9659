"""``labkit sim start|stop|status|kubeconfig|reset``: the simulator as a background service.

The service detaches fully (new session, stdio to ``sim.log`` in the state directory) so that it
never holds a terminal or a CI pipe open. Its state directory is ``$LABKIT_STATE_DIR`` or
``~/.cache/labkit/sim``; ``$LABKIT_SIM_TIME_SCALE`` sets the clock of a new server (real seconds per
Azure second, default 1/600). Whether a server runs, and how to reach it, is what holds the state
directory's lock says (:mod:`labkit.sim.state_lock`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

from labkit.errors import LabError
from labkit.files import exclusive_lock, private_dir, write_private
from labkit.sim import state_lock
from labkit.sim.entra.directory import SECRET_FILE as CLIENT_SECRET_FILE
from labkit.sim.world import SimConfig, kubeconfig_yaml, read_token


class SimServiceError(LabError):
    """The simulator could not be started or stopped; the message says where its log is."""


#: The checkout labkit runs from, when it runs from one (a wheel install has none).
_CHECKOUT = Path(__file__).resolve().parents[2]


def default_state_dir() -> Path:
    """``$LABKIT_STATE_DIR`` (absolute, outside the repository), else ``~/.cache/labkit/sim``."""
    env = os.environ.get("LABKIT_STATE_DIR")
    if env:
        path = Path(env).expanduser()
        if not path.is_absolute():
            # Lesson kernels run in notebooks/, the command wherever it was typed: a relative path means two places.
            raise SimServiceError(f"LABKIT_STATE_DIR {env!r} is a relative path, which means another folder in every "
                                  "working directory; set an absolute one, e.g. $HOME/.cache/labkit/sim")
        return checked_state_dir(path)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "labkit" / "sim"


def _resolved(state_dir: Optional[Path]) -> Path:
    return checked_state_dir(Path(state_dir)) if state_dir else default_state_dir()


def checked_state_dir(path: Path) -> Path:
    """``path``, absolute, unless it lies inside labkit's repository, where its token and CA key would be committed."""
    path = path.absolute()
    inside_checkout = (_CHECKOUT / "pyproject.toml").exists() and (path == _CHECKOUT or _CHECKOUT in path.parents)
    if inside_checkout:
        raise SimServiceError(f"the simulator's state dir {path} is inside the labkit repository; its token and CA key "
                              "must not be: choose a folder outside it, e.g. $HOME/.cache/labkit/sim")
    return path


def status(state_dir: Optional[Path] = None) -> dict[str, Any]:
    """What a client needs to reach the simulator, and whether it is running.

    Example:
        >>> info = status()                   # doctest: +SKIP
        >>> info["running"], info["arm_endpoint"]  # doctest: +SKIP
        (True, 'https://127.0.0.1:40123')
    """
    state_dir = _resolved(state_dir)
    server = state_lock.holder(state_dir)
    config = _saved_config(state_dir)
    return {
        "running": server is not None,
        "pid": server["pid"] if server else None,
        "arm_endpoint": server.get("url") if server else None,
        "kubernetes_endpoint": server.get("url") if server else None,
        "ca_file": str(state_dir / "ca.pem"),
        "token_file": str(state_dir / "token"),
        "authority": server.get("url") if server else None,
        "tenant_id": config.get("tenant_id"),
        "client_secret_file": str(state_dir / CLIENT_SECRET_FILE),
        "subscription_id": config.get("subscription_id"),
        "resource_group": config.get("resource_group"),
        "cluster_name": config.get("cluster_name"),
        "kubeconfig": str(state_dir / "kubeconfig"),
        "time_scale": config.get("time_scale"),
        "state_dir": str(state_dir),
        "log_file": str(state_dir / "sim.log"),
    }


def start(state_dir: Optional[Path] = None, *, time_scale: Optional[float] = None, timeout: float = 20.0) -> dict[str, Any]:
    """Start the simulator in the background unless it already runs; returns its status.

    Starts at once, from threads or processes, take turns: the first spawns the server and the
    others find it running.

    Raises:
        SimServiceError: the server did not start; the message is the one line it logged (such as a
            state that cannot be read, and how to start clean).
    """
    state_dir = private_dir(_resolved(state_dir))
    with exclusive_lock(state_dir / "start.lock"):
        if state_lock.holder(state_dir) is None:
            _spawn(state_dir, time_scale, timeout)
    return status(state_dir)


def stop(state_dir: Optional[Path] = None, *, timeout: float = 10.0) -> bool:
    """Stop the simulator; True if one was running. Its state stays for the next start."""
    state_dir = _resolved(state_dir)
    if not state_dir.is_dir():
        return False
    with exclusive_lock(state_dir / "start.lock"):
        info = state_lock.holder(state_dir)
        if info is None:
            return False
        if not info.get("pid"):
            raise SimServiceError(f"a process holds {state_dir / state_lock.LOCK_NAME} but cannot be named; "
                                  "stop it by hand (fuser -k on that file)")
        _terminate(state_dir, info["pid"], timeout)
    return True


def reset(state_dir: Optional[Path] = None) -> Path:
    """Stop the simulator, move its state (database, settings, faults) into ``state-<time>.bak/``, start clean.

    Certificates and token stay, so kubeconfigs and clients keep working. Returns the backup's path.
    """
    state_dir = private_dir(_resolved(state_dir))
    stop(state_dir)
    backup = private_dir(state_dir / time.strftime("state-%Y%m%d-%H%M%S.bak"))
    for name in _STATE_FILES:
        if (state_dir / name).exists():
            (state_dir / name).rename(backup / name)
    start(state_dir)
    return backup


#: What a world consists of; ``reset`` moves these aside.
_STATE_FILES = ("state.db", "state.db-wal", "state.db-shm", "config.json", "faults.json")


def write_kubeconfig(state_dir: Optional[Path] = None) -> Path:
    """Write (0600) and return a kubeconfig for the running simulator, for kubectl."""
    state_dir = _resolved(state_dir)
    info = state_lock.holder(state_dir)
    if info is None or not info.get("url"):
        raise SimServiceError("the simulator is not running: start it with `labkit sim start`")
    text = kubeconfig_yaml(SimConfig(**_saved_config(state_dir)), info["url"], (state_dir / "ca.pem").read_bytes(), read_token(state_dir))
    path = state_dir / "kubeconfig"
    write_private(path, text.encode())
    return path


def _spawn(state_dir: Path, time_scale: Optional[float], timeout: float) -> None:
    """Run a detached server and wait until it serves; then save its port and a kubeconfig."""
    log_file = state_dir / "sim.log"
    with open(log_file, "ab") as log:
        logged_before = log.tell()
        process = subprocess.Popen(
            _server_command(state_dir, time_scale), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, close_fds=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = state_lock.holder(state_dir)
        if info and info.get("pid") == process.pid and info.get("url"):
            (state_dir / "port").write_text(str(info["port"]))
            write_kubeconfig(state_dir)
            return
        if process.poll() is not None:
            break
        time.sleep(0.02)
    if process.poll() is None:
        process.terminate()
    raise SimServiceError(_why_not_started(log_file, logged_before))


def _why_not_started(log_file: Path, offset: int) -> str:
    """The server's own one-line reason when it gave one (``... ERROR labkit.sim: <reason>``), else where to look."""
    with open(log_file, "rb") as log:
        log.seek(offset)
        lines = log.read().decode(errors="replace").splitlines()
    reason = next((line.split(" labkit.sim: ", 1)[1] for line in reversed(lines) if " ERROR labkit.sim: " in line), "")
    return reason or f"the simulator did not start; see {log_file}"


def _server_command(state_dir: Path, time_scale: Optional[float]) -> list[str]:
    command = [sys.executable, "-m", "labkit.sim.server", "--state-dir", str(state_dir)]
    port_file = state_dir / "port"
    if port_file.exists() and _port_free(int(port_file.read_text())):
        command += ["--port", port_file.read_text().strip()]
    time_scale = time_scale or os.environ.get("LABKIT_SIM_TIME_SCALE")
    if time_scale:
        command += ["--time-scale", str(time_scale)]
    return command


def _terminate(state_dir: Path, pid: int, timeout: float) -> None:
    """SIGTERM, then SIGKILL if the server still holds the state after ``timeout`` seconds; return once it has
    let go of the state and its process has ended."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if state_lock.holder(state_dir) is None and not _running(pid):
                return
            time.sleep(0.02)


def _running(pid: int) -> bool:
    """Whether ``pid`` runs: it exists and is not a zombie (an exited process nobody has reaped yet)."""
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (ProcessLookupError, PermissionError):
        return False
    except (OSError, IndexError):  # no /proc (macOS): only the signal says
        return True


def _port_free(port: int) -> bool:
    """Whether the simulator can have its previous port back (another program may have taken it)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no obstacle
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _saved_config(state_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((state_dir / "config.json").read_text())
    except (OSError, ValueError):
        return {}
