"""Trivial stand-ins for the six lessons, and the real ``labkit`` command run on them: fast runs whose lessons pass,
fail, record results or stop the run as a test needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Optional

import nbformat

from labkit.runner import LESSONS

ROOT = Path(__file__).resolve().parent.parent

#: ``python -c`` this, then the lessons' folder, then labkit's arguments: the real ``labkit`` command, whose ``run``
#: takes its lessons from that folder.
_LABKIT_ON_LESSONS = (
    "import functools, sys; from pathlib import Path; from labkit import runner; "
    "runner.run_lab = functools.partial(runner.run_lab, notebook_dir=Path(sys.argv[1])); "
    "from labkit.cli import main; main(sys.argv[2:], prog_name='labkit')"
)


def fake_lessons(directory: Path, failing: str, bodies: Optional[dict[str, str]] = None) -> Path:
    """The six lessons as one-cell notebooks: ``failing`` raises ``RuntimeError: boom``, ``bodies`` gives some lessons
    code of their own, the others compute ``1 + 1``."""
    directory.mkdir()
    for name in LESSONS:
        notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        body = "raise RuntimeError('boom')" if name == failing else (bodies or {}).get(name, "1 + 1")
        notebook.cells = [nbformat.v4.new_code_cell('backend = "sim"', metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell(body)]
        nbformat.write(notebook, directory / f"{name}.ipynb")
    return directory


def labkit_on_lessons(lessons: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    """The ``labkit`` command (``labkit run`` on ``lessons``) in a process of its own, with ``env``."""
    return subprocess.run([sys.executable, "-c", _LABKIT_ON_LESSONS, str(lessons), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def record(name: str, value: object) -> str:
    """A lesson's code that records ``value`` as the run's result ``name`` (what lesson 05 does with ``leftovers``)."""
    return f"from labkit.results import record\nrecord({name!r}, {value!r})"
