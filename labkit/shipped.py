"""Where the committed lessons and manifests are: ``notebooks/`` and ``manifests/`` in a checkout, and inside the
package (``labkit/lessons``, built from those same files, see pyproject.toml) after a pip install.

The lessons, nbval and ``labkit run`` use these committed documents; learners work on copies
(:mod:`labkit.copies`).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_WHEEL_LESSONS = _PACKAGE / "lessons"

#: The six lessons, as committed.
LESSONS_DIR = _WHEEL_LESSONS if _WHEEL_LESSONS.is_dir() else _PACKAGE.parent / "notebooks"

#: The YAML the lab applies.
MANIFEST_DIR = _WHEEL_LESSONS / "manifests" if _WHEEL_LESSONS.is_dir() else _PACKAGE.parent / "manifests"
