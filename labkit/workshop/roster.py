"""A planned class on disk: the workshop folder that ``labkit workshop plan`` writes and the other commands read.

::

    <folder>/workshop.yaml            the plan: each attendee's name, lab id and settings file; the quota checked
    <folder>/settings/<lab id>.yaml   one attendee's settings: a params file (``labkit settings load FILE``)
    <folder>/runs/                    ``labkit workshop run``: each attempt's run folder and its console log
    <folder>/config/                  the labkit configuration those runs save settings in
    <folder>/report.json, report.html the last ``labkit workshop run``

An attendee's settings file is the one truth about their lab: edit it there (another cluster, say) and every
workshop command follows.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Optional

import yaml

from labkit.errors import LabConfigError, Problem
from labkit.files import write_private
from labkit.params import LabParams, load_params, read_params_file
from labkit.settings import LAB_ID_RE

WORKSHOP_FILE = "workshop.yaml"
SETTINGS_DIR = "settings"
RUNS_DIR = "runs"
CONFIG_DIR = "config"
LOCK_FILE = ".run.lock"

_RULE = "a workshop folder is what `labkit workshop plan` writes"


@dataclass(frozen=True)
class Seat:
    """One planned attendee: their name, their lab id, and the settings file of their lab."""

    name: str
    lab_id: str
    settings_file: Path


@dataclass(frozen=True)
class Workshop:
    """The planned class in ``folder``."""

    folder: Path
    seats: tuple[Seat, ...]
    quota: tuple[str, ...] = ()

    def values(self, seat: Seat) -> dict[str, Any]:
        """The attendee's lesson parameters, as their settings file holds them (with the lab id the plan gave)."""
        values = read_params_file(seat.settings_file)
        if values.get("lab_id") != seat.lab_id:
            raise LabConfigError([Problem(
                f"lab_id in {seat.settings_file}", values.get("lab_id"), f"is not {seat.lab_id}, {seat.name}'s in {WORKSHOP_FILE}",
                "an attendee's lab id is fixed by the plan (their resources carry it)", f"Set lab_id: {seat.lab_id} again.")])
        return values

    def params(self, seat: Seat, *, pool_rules: bool = True) -> LabParams:
        """The attendee's validated parameters; a broken settings file says which it is."""
        try:
            return load_params(pool_rules=pool_rules, **self.values(seat))
        except LabConfigError as error:
            raise LabConfigError([Problem(f"{p.param} in {seat.settings_file}", p.value, p.why, p.rule, p.fix)
                                  for p in error.problems]) from None


def write(folder: Path, planned: list[tuple[str, dict[str, Any]]], *, source: Path, quota: list[str]) -> Workshop:
    """Write the workshop file and one settings file per attendee into ``folder`` (new or empty).

    Args:
        planned: each attendee's name and validated parameter values (``lab_id`` among them).
        source: the attendee list the plan was made from, named in the workshop file.
        quota: what the quota check said, line by line.
    """
    refuse_used(folder)
    (folder / SETTINGS_DIR).mkdir(parents=True)
    seats = []
    for name, values in planned:
        seat = Seat(name, values["lab_id"], folder / SETTINGS_DIR / f"{values['lab_id']}.yaml")
        header = (f"# labkit: the settings of {name}'s lab {seat.lab_id}, planned for a workshop.\n"
                  f"# Load them once with `labkit settings load {seat.settings_file.name}` (every lesson then reads them),\n"
                  f"# or run the whole lab with `labkit run --params-file {seat.settings_file.name}`.\n")
        write_private(seat.settings_file, (header + yaml.safe_dump(values, sort_keys=False)).encode())
        seats.append(seat)
    plan = {"attendees": [{"name": s.name, "lab_id": s.lab_id, "settings": f"{SETTINGS_DIR}/{s.settings_file.name}"}
                          for s in seats], "quota": quota}
    header = (f"# labkit workshop plan, made on {date.today()} from {source.name}: every attendee, their lab id and\n"
              f"# settings file. Change an attendee's lab in their settings file.\n")
    write_private(folder / WORKSHOP_FILE, (header + yaml.safe_dump(plan, sort_keys=False, allow_unicode=True, width=1000)).encode())
    return Workshop(folder, tuple(seats), tuple(quota))


def load(folder: Path) -> Workshop:
    """The workshop planned in ``folder``.

    Raises:
        LabConfigError: in one line, when the folder holds no plan or a broken one.
    """
    folder = folder.absolute()
    path = folder / WORKSHOP_FILE
    try:
        plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _bad(folder, f"holds no {WORKSHOP_FILE}", "Plan the class first: labkit workshop plan ATTENDEES "
                   f"--workshop {folder}, or name the folder it was planned in with --workshop.") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise _bad(path, f"cannot be read ({' '.join(str(error).split())})", "Plan the class again into a new folder.") from None
    entries = plan.get("attendees") if isinstance(plan, dict) else None
    if not isinstance(entries, list) or not entries:
        raise _bad(path, "lists no attendees", "Plan the class again into a new folder.")
    seats = tuple(_seat(folder, path, entry) for entry in entries)
    repeated = sorted({s.lab_id for s in seats if sum(t.lab_id == s.lab_id for t in seats) > 1})
    if repeated:
        raise _bad(path, f"gives lab id {repeated[0]} twice", "Each attendee needs a lab of their own: plan the class again.")
    quota = plan.get("quota") or []
    return Workshop(folder, seats, tuple(str(line) for line in quota) if isinstance(quota, list) else ())


def _seat(folder: Path, path: Path, entry: Any) -> Seat:
    fix = "Restore it from the plan, or plan the class again into a new folder."
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise _bad(path, f"has an attendee entry without a name: {entry!r}", fix)
    lab_id, settings = entry.get("lab_id"), entry.get("settings")
    if not isinstance(lab_id, str) or not LAB_ID_RE.match(lab_id):
        raise _bad(path, f"gives {entry['name']} the lab id {lab_id!r}, which is not one", fix)
    inside = _inside(folder, settings)
    if inside is None:
        raise _bad(path, f"gives {entry['name']} the settings file {settings!r}, not a file of {folder}'s {SETTINGS_DIR}/", fix)
    return Seat(entry["name"], lab_id, inside)


def _inside(folder: Path, relative: Any) -> Optional[Path]:
    """``folder/relative`` if that names a file within ``folder/settings``; else None."""
    if not isinstance(relative, str):
        return None
    path = (folder / relative).resolve()
    return path if path.parent == (folder / SETTINGS_DIR).resolve() else None


@contextmanager
def running(folder: Path) -> Iterator[int]:
    """Hold the workshop's run lock: one ``labkit workshop run`` (or cleanup) at a time; yields the lock's descriptor.

    Processes given the descriptor (``pass_fds``) hold the lock with it, so that it outlasts a run that was killed
    while its attendees' labs still clean up.
    """
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise _bad(folder, "is in use by another labkit workshop run (or its attendees' labs, still cleaning up)",
                   "Wait for it to end, or stop it with Ctrl-C (every attendee's lab then cleans up).") from None
    try:
        yield fd
    finally:
        os.close(fd)


def refuse_used(folder: Path) -> None:
    """Raise LabConfigError unless ``folder`` is new or empty: a plan never writes over another, or its results."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise _bad(folder, "exists and is not an empty folder",
                   "Plan into a new folder (--workshop DIR); labkit never writes over a plan, or a class's results.")


def _bad(path: Path, why: str, fix: str) -> LabConfigError:
    return LabConfigError([Problem("--workshop", str(path), why, _RULE, fix)])
