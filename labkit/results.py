"""Results a lesson hands to ``labkit run`` (GPU capacity found, what cleanup left), as small JSON files.

``labkit run`` sets ``LABKIT_RESULTS_DIR`` for the kernels it starts; elsewhere :func:`record` does nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

ENV = "LABKIT_RESULTS_DIR"


def record(name: str, value: Any) -> None:
    """Save a JSON-serialisable result under ``name`` for the run's summary."""
    directory = os.environ.get(ENV)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / f"{name}.json").write_text(json.dumps(value, indent=2, default=str))


def read(directory: Path, name: str) -> Optional[Any]:
    path = directory / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None
