"""The real ``labkit`` command, run as a user runs it: ``python -m labkit`` in a process of its own, from the
repository, its output captured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def labkit(env: dict[str, str], *args: str, timeout: float = 900, **options) -> subprocess.CompletedProcess:
    """``labkit ARGS`` with environment ``env``; ``options`` go to :func:`subprocess.run` (``input``, say)."""
    return subprocess.run([sys.executable, "-m", "labkit", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, **options)
