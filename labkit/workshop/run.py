"""``labkit workshop run``: every attendee's lab through ``labkit run``, a few at a time, and a report.

Each attendee's lab runs as its own ``labkit run --params-file <their settings file>`` process, as the attendee
would run it, so each one cleans up after itself whatever happens to the others. Its executed notebooks go to
``runs/<lab id>-<attempt>/`` in the workshop folder, its console to ``runs/<lab id>-<attempt>.log``, and the
settings it saves to the folder's own labkit configuration. At most ``parallel`` run at once; on the simulator
they share one simulator, each in its own lab. The same code smoke-tests a class on Azure.

- **Before anything starts**, every settings file is validated and the quota of ``parallel`` labs at once is
  checked: a class that does not fit stops in one line, saying how to make it fit.
- **Resuming**: attendees who passed in an earlier run are not run again; those who failed are with
  ``retry_failed``; the others (interrupted, never reached) are.
- **Interrupts**: Ctrl-C, SIGTERM and SIGHUP start no new attendee and are passed on to every running lab, which
  stops its lesson and cleans up, as ``labkit run`` does; a second interrupt stops their cleanups too. The report
  (``report.json``, ``report.html``) is written after every attendee and at the end, in every case.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Optional

from labkit.errors import LabConfigError, Problem
from labkit.exits import RunExit
from labkit.interrupts import SIGNALS, Interrupted
from labkit.params import LabParams
from labkit.settings import CONFIG_DIR_ENV, LAB_ID_ENV
from labkit.workshop import report, roster
from labkit.workshop.progress import Line, Progress
from labkit.workshop.quota import class_checks
from labkit.workshop.roster import Seat, Workshop

#: How often the run looks at its attendees' labs, in seconds.
_POLL_SECONDS = 0.2

#: The line ``labkit run`` prints when it starts a lesson, e.g. ``[3/6] 02_gpu_pool_auto_driver ...``.
_LESSON_STARTS = re.compile(r"^\[\d+/\d+\] (\S+) \.\.\.$")

Command = Callable[[Path, Path], list[str]]


def labkit_run(settings_file: Path, out_dir: Path) -> list[str]:
    """The command an attendee's lab runs as: ``labkit run`` with their settings file."""
    return [sys.executable, "-m", "labkit", "run", "--params-file", str(settings_file), "--out", str(out_dir)]


@dataclass
class _Attempt:
    """One attendee's lab, running."""

    seat: Seat
    params: LabParams
    line: Line
    out_dir: Path
    log: Path
    process: subprocess.Popen
    read: int = 0
    partial: bytes = b""
    last_words: str = ""


def run_workshop(workshop: Workshop, *, parallel: int, progress: Progress, retry_failed: bool = False,
                 command: Command = labkit_run) -> dict[str, Any]:
    """Run the labs of every attendee due (see the module), ``parallel`` at a time; returns the report.

    Raises:
        LabConfigError: before anything runs, for a broken settings file or too little quota.
        Interrupted: after an interrupt, once every running lab has ended and the report is written.
    """
    rows = {seat.lab_id: {**report.previous_rows(workshop.folder).get(seat.lab_id, report.new_row(seat)), "name": seat.name}
            for seat in workshop.seats}
    due = [seat for seat in workshop.seats if _due(rows[seat.lab_id], retry_failed)]
    params = {seat.lab_id: workshop.params(seat) for seat in due}
    if not due:
        _say_nothing_due(rows, progress)
    _require_quota(list(params.values()), parallel, progress)
    lines = {seat.lab_id: Line(seat.name, seat.lab_id, status="waiting" if seat in due else rows[seat.lab_id]["status"],
                               seconds=None if seat in due else rows[seat.lab_id]["duration_seconds"]) for seat in workshop.seats}
    started = time.monotonic()

    def write_report(interrupted_by: Optional[str]) -> dict[str, Any]:
        return report.write(workshop, list(rows.values()), interrupted_by=interrupted_by, seconds=time.monotonic() - started)

    (workshop.folder / roster.RUNS_DIR).mkdir(exist_ok=True)
    with roster.running(workshop.folder) as lock, _Signals(progress) as signals:
        queue = deque(due)
        while queue or signals.running:
            while queue and len(signals.running) < parallel and not signals.first:
                seat = queue.popleft()
                signals.start(_start(workshop, seat, params[seat.lab_id], lines[seat.lab_id], rows[seat.lab_id], lock, command))
                progress.event(lines[seat.lab_id], "started")
            for attempt in _ended(signals.running, progress):
                rows[attempt.seat.lab_id] = _finish(attempt, rows[attempt.seat.lab_id], progress)
                write_report(signals.first)
            if signals.first:
                queue.clear()
            progress.draw(list(lines.values()))
            time.sleep(_POLL_SECONDS)
    progress.draw(list(lines.values()), force=True)
    summary = write_report(signals.first)
    if signals.first:
        raise Interrupted(signals.first, summary)
    return summary


def _say_nothing_due(rows: dict[str, dict[str, Any]], progress: Progress) -> None:
    failed = sum(row["status"] == "failed" for row in rows.values())
    progress.say("nothing to run: every attendee's lab ran before, and "
                 + (f"{failed} failed (--retry-failed runs those again)" if failed else "passed"))


def _ended(running: list[_Attempt], progress: Progress) -> list[_Attempt]:
    """Follow every running lab; those that ended leave ``running`` and are returned."""
    ended = []
    for attempt in list(running):
        _follow(attempt, progress)
        if attempt.process.poll() is not None:
            running.remove(attempt)
            ended.append(attempt)
    return ended


def _due(row: dict[str, Any], retry_failed: bool) -> bool:
    return row["status"] not in ("passed", "failed") or (row["status"] == "failed" and retry_failed)


def _require_quota(labs: list[LabParams], parallel: int, progress: Progress) -> None:
    """Stop, before anything starts, when ``parallel`` labs at once need more vCPUs than are free."""
    checks, notes = class_checks(labs, at_once=parallel)
    for note in notes:
        progress.say(note)
    for check in checks:
        if check.short:
            per_lab = check.needed // check.labs
            fits = check.free // per_lab
            fix = f"Run --parallel {fits}, or raise the quota." if fits else "Raise the quota first."
            raise LabConfigError([Problem("--parallel", parallel, f"runs {check.labs} labs at once: {check}",
                                          "every lab's pools need their vCPUs free when they are created", fix)])


def _start(workshop: Workshop, seat: Seat, params: LabParams, line: Line, row: dict[str, Any], lock: int,
           command: Command) -> _Attempt:
    runs = workshop.folder / roster.RUNS_DIR
    number = row["attempts"] + 1
    while (runs / f"{seat.lab_id}-{number}").exists():  # an attempt a killed run did not record
        number += 1
    out_dir, log = runs / f"{seat.lab_id}-{number}", runs / f"{seat.lab_id}-{number}.log"
    env = {**os.environ, LAB_ID_ENV: seat.lab_id, CONFIG_DIR_ENV: str(workshop.folder / roster.CONFIG_DIR)}
    with open(log, "wb") as output:
        process = subprocess.Popen(command(seat.settings_file, out_dir), cwd=workshop.folder, env=env, stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True, pass_fds=(lock,))
    line.status, line.lesson, line.started, line.seconds = "running", "", time.monotonic(), None
    return _Attempt(seat, params, line, out_dir, log, process)


def _follow(attempt: _Attempt, progress: Progress) -> None:
    """Read what the lab printed since the last look: the lesson it is in, and its last words."""
    with open(attempt.log, "rb") as log:
        log.seek(attempt.read)
        data = log.read()
    attempt.read += len(data)
    *complete, attempt.partial = (attempt.partial + data).split(b"\n")
    for raw in complete:
        text = raw.decode("utf-8", "replace").strip()
        lesson = _LESSON_STARTS.match(text)
        if lesson:
            attempt.line.lesson = lesson.group(1)
            progress.event(attempt.line, lesson.group(1))
        if text:
            attempt.last_words = text


def _finish(attempt: _Attempt, row: dict[str, Any], progress: Progress) -> dict[str, Any]:
    _follow(attempt, progress)
    line = attempt.line
    row = report.finished_row(row, attempt.out_dir, last_words=attempt.last_words, seconds=time.monotonic() - line.started,
                              refused=attempt.process.returncode == RunExit.PARAMETERS_REFUSED)
    line.status, line.lesson, line.seconds = row["status"], row["lesson"] or "", row["duration_seconds"]
    progress.event(line, describe(row))
    return row


def describe(row: dict[str, Any]) -> str:
    """How an attendee's lab ended, in one line."""
    if row["status"] == "passed":
        what = f"passed in {row['duration_seconds']:.0f}s, {len(row['gpus'])} GPU nodes found"
    else:
        where = f" at {row['lesson']}" if row["lesson"] else ""
        what = f"{row['status']}{where}: {(row['error'] or '').splitlines()[0] if row['error'] else 'see its log'}"
    left = row["left"]
    return what + ("; what is left is unknown" if left is None else f"; left: {', '.join(left)}" if left else "; nothing left")


class _Signals:
    """Interrupts during a workshop run: no new lab starts, and each running lab is passed the signal."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.first: Optional[str] = None
        self.running: list[_Attempt] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "_Signals":
        if threading.current_thread() is threading.main_thread():
            self._previous = {number: signal.signal(number, self._handle) for number in SIGNALS}
        return self

    def __exit__(self, *exc: Any) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def start(self, attempt: _Attempt) -> None:
        self.running.append(attempt)
        if self.first:  # an interrupt came while it started
            attempt.process.send_signal(signal.Signals[self.first])

    def _handle(self, number: int, frame: Optional[FrameType]) -> None:
        name = signal.Signals(number).name
        again = self.first is not None
        self.first = self.first or name
        for attempt in self.running:
            if attempt.process.poll() is None:
                attempt.process.send_signal(number)
        if again:
            self.progress.say(f"{name}: passed on; the running labs stop their cleanup and list what is left")
        else:
            self.progress.say(f"{name}: no new lab starts; the {len(self.running)} running stop their lesson and clean up "
                              f"({name} again stops their cleanup too)")
