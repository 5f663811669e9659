"""Your working copies of the lessons: made from the committed ones when missing, never overwritten without asking.

The committed lessons (:mod:`labkit.shipped`) are documents that tests and ``labkit run`` rely on; you run and edit
copies of them, with the manifests beside them (``manifests/``). A copy is yours from the moment it is made. When a
lesson itself changes later (a ``git pull``, a new labkit), its copy is

- replaced if you never changed it (nothing of yours is lost),
- kept otherwise, unless you agree to replace it; your version then stays beside it as ``<name>.mine-<time>.<ext>``.

``.labkit-lessons.json`` in the folder records which version of each file each copy was made from.

Example:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "my-lessons"
    >>> [o.action for o in make_copies(folder)][:2], [o.action for o in make_copies(folder)][:2]
    (['created', 'created'], ['unchanged', 'unchanged'])
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from labkit.shipped import LESSONS_DIR, MANIFEST_DIR

#: Where ``make jupyter`` and ``labkit jupyter`` keep your copies (relative to where they run; ignored by git).
DEFAULT_DIR = Path("my-lessons")

#: The file in the folder that records the version of each lesson its copy was made from.
RECORD = ".labkit-lessons.json"


@dataclass(frozen=True)
class Outcome:
    """What happened to one file: created, unchanged, updated (it was untouched), kept (yours) or replaced."""

    name: str
    action: str
    backup: Optional[Path] = None

    def __str__(self) -> str:
        if self.action == "kept":
            return f"{self.name}: kept your copy (the lesson has changed since; run `labkit lessons` in a terminal to replace it)"
        if self.action == "replaced":
            return f"{self.name}: replaced; your version is kept as {self.backup.name}"
        return f"{self.name}: {self.action}"


def shipped_files() -> dict[str, Path]:
    """The files a working copy holds, by their name in it: the lessons, and the manifests under ``manifests/``."""
    files = {path.name: path for path in sorted(LESSONS_DIR.glob("*.ipynb"))}
    files.update({f"manifests/{path.name}": path for path in sorted(MANIFEST_DIR.glob("*.yaml"))})
    return files


def make_copies(folder: Path, *, replace: Callable[[str], bool] = lambda name: False) -> list[Outcome]:
    """Bring the copies in ``folder`` up to date without losing anything of yours; one outcome per file.

    Args:
        folder: your lessons' folder, made if missing.
        replace: asked with a file's name when the lesson changed and your copy did too; True replaces your copy
            (yours is kept beside it), False keeps it. The default keeps it.
    """
    (folder / "manifests").mkdir(parents=True, exist_ok=True)
    record_path = folder / RECORD
    record = _read_record(record_path)
    outcomes = []
    for name, source in shipped_files().items():
        lesson = _digest(source.read_bytes())
        outcome = _bring(name, folder / name, source, lesson, record.get(name), replace)
        if outcome.action != "kept":  # a kept copy is still from the older lesson: ask again next time
            record[name] = lesson
        outcomes.append(outcome)
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return outcomes


def _bring(name: str, copy: Path, source: Path, lesson: str, copied_from: Optional[str],
           replace: Callable[[str], bool]) -> Outcome:
    """Bring one copy up to date; ``lesson`` is the digest of the shipped file, ``copied_from`` the one recorded."""
    if not copy.exists():
        shutil.copyfile(source, copy)
        return Outcome(name, "created")
    yours = _digest(copy.read_bytes())
    if lesson in (yours, copied_from):  # the same, or the lesson is as it was when copied: the differences are yours
        return Outcome(name, "unchanged")
    if yours == copied_from:  # you never changed the copy: nothing of yours to lose
        shutil.copyfile(source, copy)
        return Outcome(name, "updated")
    if not replace(name):
        return Outcome(name, "kept")
    backup = copy.with_name(f"{copy.stem}.mine-{datetime.now():%Y%m%d-%H%M%S}{copy.suffix}")
    copy.rename(backup)
    shutil.copyfile(source, copy)
    return Outcome(name, "replaced", backup)


def _read_record(path: Path) -> dict[str, str]:
    """The record of what each copy was made from; an unreadable one counts as none (changed copies are then asked)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
