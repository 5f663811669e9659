"""What ``labkit workshop run`` shows while it runs: a live table on a terminal, plain lines anywhere else.

The table has a row per attendee (name, lab id, lesson, status, elapsed) and is drawn again in place; a class
taller than the terminal shows its running attendees and a count of the others. Plain lines (a CI log, a file)
say when an attendee starts a lesson and how they end, one line each.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from typing import Optional, TextIO

#: Seconds between two drawings of the live table.
_REDRAW_SECONDS = 0.5


@dataclass
class Line:
    """One attendee as the table shows them."""

    name: str
    lab_id: str
    lesson: str = ""
    status: str = "waiting"
    started: Optional[float] = None
    seconds: Optional[float] = None

    def elapsed(self, now: float) -> str:
        seconds = self.seconds if self.seconds is not None else (now - self.started if self.started else None)
        return "" if seconds is None else clock(seconds)


def clock(seconds: float) -> str:
    """Minutes and seconds, e.g. ``2:05``."""
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


class Progress:
    """Shows the class on ``stream``: drawn in place when ``live``, else as a line per event."""

    def __init__(self, stream: TextIO, *, live: bool):
        self.stream, self.live = stream, live
        self._drawn = 0
        self._last = 0.0
        self._began = time.monotonic()

    def event(self, line: Line, what: str) -> None:
        """Something happened to one attendee: a line of its own, unless the table shows it."""
        if not self.live:
            self._write(f"[{clock(time.monotonic() - self._began)}] {line.name} ({line.lab_id}): {what}\n")

    def say(self, text: str) -> None:
        """A message of the run's own (an interrupt, say), above the table."""
        self._clear()
        self._write(text + "\n")

    def draw(self, lines: list[Line], *, force: bool = False) -> None:
        """Draw the table again (at most every half second unless ``force``); nothing when not live."""
        now = time.monotonic()
        if not self.live or (not force and now - self._last < _REDRAW_SECONDS):
            return
        self._last = now
        text = table(lines, now, height=shutil.get_terminal_size().lines - 1)
        self._clear()
        self._write(text)
        self._drawn = text.count("\n")

    def _clear(self) -> None:
        if self.live and self._drawn:
            self._write(f"\x1b[{self._drawn}F\x1b[J")  # up to the table's first line, and clear from there
            self._drawn = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except OSError:  # the terminal is gone (SIGHUP): the run goes on, and its report says the rest
            pass


def table(lines: list[Line], now: float, *, height: int) -> str:
    """The table as text: every attendee, or when they do not fit ``height``, the running ones and counts."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.status] = counts.get(line.status, 0) + 1
    shown = lines if len(lines) + 2 <= height else [line for line in lines if line.status == "running"][:max(height - 2, 0)]
    name = max([len(line.name) for line in shown] + [8])
    rows = [f"{'attendee':{name}}  {'lab id':16}  {'lesson':26}  {'status':11}  elapsed"]
    rows += [f"{line.name:{name}}  {line.lab_id:16}  {line.lesson:26}  {line.status:11}  {line.elapsed(now)}" for line in shown]
    rows.append(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return "\n".join(rows) + "\n"
