"""``labkit sim start|stop|status|kubeconfig``: the simulator as a background service.

The service detaches fully (new session, stdio to ``sim.log`` in the state directory) so that it
never holds a terminal or a CI pipe open. Its state directory is ``$LABKIT_STATE_DIR`` or
``~/.cache/labkit/sim``; ``$LABKIT_SIM_TIME_SCALE`` sets the clock of a new server (real seconds per
Azure second, default 1/600).
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
    server = _server_info(state_dir)
    config = _saved_config(state_dir)
    return {
        "running": server is not None,
        "pid": server["pid"] if server else None,
        "arm_endpoint": server["url"] if server else None,
        "kubernetes_endpoint": server["url"] if server else None,
        "ca_file": str(state_dir / "ca.pem"),
        "token_file": str(state_dir / "token"),
        "authority": server["url"] if server else None,
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
    """
    state_dir = private_dir(_resolved(state_dir))
    with exclusive_lock(state_dir / "start.lock"):
        if _server_info(state_dir) is None:
            _spawn(state_dir, time_scale, timeout)
    return status(state_dir)


def stop(state_dir: Optional[Path] = None, *, timeout: float = 10.0) -> bool:
    """Stop the simulator; True if one was running. Its state stays for the next start."""
    state_dir = _resolved(state_dir)
    if not state_dir.is_dir():
        return False
    with exclusive_lock(state_dir / "start.lock"):
        info = _server_info(state_dir)
        if info is None:
            return False
        _terminate(info["pid"], timeout)
        remove_server_file(state_dir, info["pid"])
    return True


def remove_server_file(state_dir: Path, pid: int) -> None:
    """Remove ``server.json`` if it names ``pid``; a file another server wrote stays."""
    path = state_dir / "server.json"
    try:
        named = json.loads(path.read_text()).get("pid")
    except (OSError, ValueError):
        return
    if named == pid:
        path.unlink(missing_ok=True)


def write_kubeconfig(state_dir: Optional[Path] = None) -> Path:
    """Write (0600) and return a kubeconfig for the running simulator, for kubectl."""
    state_dir = _resolved(state_dir)
    info = _server_info(state_dir)
    if info is None:
        raise SimServiceError("the simulator is not running: start it with `labkit sim start`")
    text = kubeconfig_yaml(SimConfig(**_saved_config(state_dir)), info["url"], (state_dir / "ca.pem").read_bytes(), read_token(state_dir))
    path = state_dir / "kubeconfig"
    write_private(path, text.encode())
    return path


def _spawn(state_dir: Path, time_scale: Optional[float], timeout: float) -> None:
    """Run a detached server and wait until it serves; then save its port and a kubeconfig."""
    with open(state_dir / "sim.log", "ab") as log:
        process = subprocess.Popen(
            _server_command(state_dir, time_scale), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, close_fds=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = _server_info(state_dir)
        if info and info["pid"] == process.pid:
            (state_dir / "port").write_text(str(info["port"]))
            write_kubeconfig(state_dir)
            return
        if process.poll() is not None:
            break
        time.sleep(0.02)
    if process.poll() is None:
        process.terminate()
    raise SimServiceError(f"the simulator did not start; see {state_dir / 'sim.log'}")


def _server_command(state_dir: Path, time_scale: Optional[float]) -> list[str]:
    command = [sys.executable, "-m", "labkit.sim.server", "--state-dir", str(state_dir)]
    port_file = state_dir / "port"
    if port_file.exists() and _port_free(int(port_file.read_text())):
        command += ["--port", port_file.read_text().strip()]
    time_scale = time_scale or os.environ.get("LABKIT_SIM_TIME_SCALE")
    if time_scale:
        command += ["--time-scale", str(time_scale)]
    return command


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM, then SIGKILL if ``pid`` still lives after ``timeout`` seconds."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.02)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def _server_info(state_dir: Path) -> Optional[dict[str, Any]]:
    try:
        info = json.loads((state_dir / "server.json").read_text())
    except (OSError, ValueError):
        return None
    pid = info.get("pid", -1)
    # pid plus start time: a stale server.json whose pid was reused must never name another process.
    return info if _alive(pid) and info.get("process_start") == process_start(pid) else None


def process_start(pid: int) -> Optional[str]:
    """When the process started (clock ticks since boot, from /proc); None where there is no /proc."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return not _exited(pid)


def _exited(pid: int) -> bool:
    """Whether ``pid`` is a zombie: it has exited, but nobody has reaped it yet.

    A server started by ``labkit sim start`` outlives that command, so its parent becomes the
    machine's init, which in containers may reap late or never; signal 0 still reaches a zombie.
    """
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited != 0
    except ChildProcessError:
        pass
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):  # no /proc (macOS): only our own children can be told apart
        return False
