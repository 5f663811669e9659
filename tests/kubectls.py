"""The two kubectl generations the tests run: a recent one on PATH and Debian's 1.20 that tools/get-kubectl.sh unpacks.

Missing ones are skipped on a workstation and fail in CI (``CI`` set).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from required_tools import missing

KUBECTL_1_20 = Path(__file__).resolve().parents[1] / ".tools/kubectl-1.20/usr/bin/kubectl"


def recent_kubectl() -> str | None:
    """``kubectl`` on PATH when it is 1.29 or newer."""
    found = shutil.which("kubectl")
    if not found:
        return None
    shown = subprocess.run([found, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=60)
    try:
        minor = json.loads(shown.stdout)["clientVersion"]["minor"]
    except (ValueError, KeyError):
        return None
    return found if int("".join(c for c in minor if c.isdigit()) or 0) >= 29 else None


def kubectl_or_skip(path: str | None, what: str) -> str:
    if path and os.access(path, os.X_OK):
        return path
    missing(f"{what} is missing")
