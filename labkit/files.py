"""Private files: kubeconfigs, tokens and keys are created 0600 and never world-readable in between.

Several processes may share a directory (parallel ``labkit sim start``), so files appear whole:
readers never see one half-written, and of two processes creating the same file, one wins.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def write_private(path: Path, data: bytes) -> None:
    """Write (or replace) a file only its owner can read, in one step for its readers."""
    temporary = _temporary_copy(path, data)
    os.replace(temporary, path)


def create_private(path: Path, data: bytes) -> bytes:
    """Create a file only its owner can read, unless it exists; returns what the file holds.

    Of several processes creating the same file at once, the first one's data stays, and every
    one of them gets that data back.
    """
    temporary = _temporary_copy(path, data)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    return path.read_bytes()


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created 0600), across threads and processes alike."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def private_dir(path: Path) -> Path:
    """Create (if needed) a directory only its owner can enter.

    A directory that already exists keeps its mode: it may be shared (``/tmp`` is 1777), and its
    owner chose it. The secrets labkit puts in it are 0600 files either way.
    """
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return path
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return private_dir(path)
    os.chmod(path, 0o700)  # mkdir's mode is masked by the umask
    return path


def _temporary_copy(path: Path, data: bytes) -> str:
    """A new 0600 file holding ``data`` next to ``path``, so that it can be renamed or linked there."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary
