"""One server per state directory, guaranteed by the state directory itself.

A server holds an exclusive ``flock(2)`` on ``<state dir>/server.lock`` for as long as it runs, and writes in
that file how to reach it. The kernel drops the lock when the process ends, however it ends (a crash, a
SIGKILL, an exit its parent never reaps), so the lock never goes stale and no file can make a dead server look
alive or a live one look gone. A second server on the same state refuses to start; ``labkit sim status`` and
``stop`` ask the lock who holds it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any, Optional

LOCK_NAME = "server.lock"
#: How the holder's details are written: one write of a fixed size, so a reader never sees half of them.
_RECORD_BYTES = 1024
#: How long a starting server waits for the lock, so that a look by ``status`` at that moment is no obstacle.
_ACQUIRE_PATIENCE = 1.0


class StateInUse(Exception):
    """Another server holds the state directory; the message says which and what to do."""


class ServerLock:
    """The lock a server holds on its state directory for its lifetime."""

    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.path = state_dir / LOCK_NAME
        self._fd: Optional[int] = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`StateInUse` naming the server that has it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + _ACQUIRE_PATIENCE
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StateInUse(_in_use_message(self.state_dir, holder(self.state_dir))) from None
                time.sleep(0.02)
        os.pwrite(fd, _record({}), 0)
        self._fd = fd

    def publish(self, info: dict[str, Any]) -> None:
        """Write how to reach this server (pid, port, url) into the lock file."""
        if self._fd is not None:
            os.pwrite(self._fd, _record(info), 0)

    def release(self) -> None:
        if self._fd is not None:
            os.pwrite(self._fd, _record({}), 0)
            os.close(self._fd)
            self._fd = None


def holder(state_dir: Path) -> Optional[dict[str, Any]]:
    """What the server holding ``state_dir``'s lock wrote about itself, or None when no server holds it.

    A holder that has not written its details yet (it is starting) is ``{"pid": ...}`` as the kernel knows it.
    """
    path = Path(state_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _details(fd) or _kernel_holder(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _record(info: dict[str, Any]) -> bytes:
    data = json.dumps(info).encode()
    return data.ljust(_RECORD_BYTES) if len(data) < _RECORD_BYTES else data


def _details(fd: int) -> Optional[dict[str, Any]]:
    try:
        info = json.loads(os.pread(fd, 4 * _RECORD_BYTES, 0).decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("pid"), int) else None


def _kernel_holder(path: Path) -> dict[str, Any]:
    """The pid holding ``path``'s flock, from /proc/locks (where there is one), for a lock file someone spoiled."""
    inode = path.stat().st_ino
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return {"pid": None}
    for line in lines:
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(inode):
            return {"pid": int(fields[4])}
    return {"pid": None}


def _in_use_message(state_dir: Path, info: Optional[dict[str, Any]]) -> str:
    who = f"pid {info.get('pid')}" if info and info.get("pid") else "another process"
    where = f" at {info['url']}" if info and info.get("url") else ""
    return (f"another simulator ({who}{where}) already serves the state in {state_dir}; "
            "stop it with `labkit sim stop`, or give this one its own LABKIT_STATE_DIR")
