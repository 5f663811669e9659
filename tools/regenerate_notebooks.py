"""Re-execute the lessons in order on a fresh simulator and save their outputs in notebooks/ (`make notebooks`).

The committed outputs are what a reader sees and what nbval compares (with tests/nbval_sanitize.cfg).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labkit.kernels import LessonKernel  # noqa: E402
from labkit.runner import LESSONS  # noqa: E402
from labkit.sim import service  # noqa: E402

#: The lab id the committed outputs show.
DOCUMENT_LAB_ID = "demo"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="labkit-notebooks-") as state_dir:
        # A fixed lab id and fresh settings, so the saved outputs are what nbval reproduces (tests/test_notebooks.py).
        os.environ.update(LABKIT_STATE_DIR=state_dir, LABKIT_PROGRESS="off", LABKIT_LAB_ID=DOCUMENT_LAB_ID,
                          LABKIT_CONFIG_DIR=str(Path(state_dir) / "config"))
        try:
            for lesson in LESSONS:
                path = ROOT / "notebooks" / f"{lesson}.ipynb"
                notebook = nbformat.read(path, as_version=4)
                NotebookClient(notebook, kernel_name="python3", timeout=600, kernel_manager_class=LessonKernel, resources={"metadata": {"path": str(path.parent)}}).execute()
                for cell in notebook.cells:
                    cell.metadata.pop("execution", None)
                nbformat.write(notebook, path)
                print(f"{lesson}: executed and saved")
        finally:
            service.stop(Path(state_dir))


if __name__ == "__main__":
    main()
