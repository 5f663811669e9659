"""Results a lesson hands to ``labkit run`` (GPU capacity found, what cleanup left, Azure's steps), as small JSON files.

``labkit run`` sets ``LABKIT_RESULTS_DIR`` for the kernels it starts; elsewhere :func:`record` and :func:`append` do
nothing. Lessons that run at once append to the same file: each entry is one line, written with one ``write``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

ENV = "LABKIT_RESULTS_DIR"


def enabled() -> bool:
    """Whether a run collects results (the lesson runs under ``labkit run``)."""
    return bool(os.environ.get(ENV))


def record(name: str, value: Any) -> None:
    """Save a JSON-serialisable result under ``name`` for the run's summary."""
    directory = os.environ.get(ENV)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / f"{name}.json").write_text(json.dumps(value, indent=2, default=str))


def append(name: str, entry: dict[str, Any]) -> None:
    """Add one entry to the list of results ``name`` (a JSON line), for the run's summary."""
    directory = os.environ.get(ENV)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        with open(Path(directory) / f"{name}.jsonl", "a", encoding="utf-8") as lines:
            lines.write(json.dumps(entry, default=str) + "\n")


def read(directory: Path, name: str) -> Optional[Any]:
    path = directory / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def read_entries(directory: Path, name: str) -> list[dict[str, Any]]:
    """The entries :func:`append` added to ``name``, oldest first (none when the lessons added none)."""
    path = directory / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
