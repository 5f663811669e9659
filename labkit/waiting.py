"""Waits with progress and a timeout: every asynchronous step of the lab goes through :func:`wait_for`.

While a wait runs, it shows where it stands (``pool gpunp: Creating [00:04]``): as a widget when a person runs the
notebook (:func:`labkit.notebook.shows_widgets`), else as text on stderr (``labkit run``, papermill), or not at all
with ``LABKIT_PROGRESS=off`` (nbval and the committed notebooks). Every wait ends with one line on stdout, such as
``pool gpunp: Succeeded (4.2s)``; a widget is replaced by that line, so a saved notebook shows text where the bar
was, not a widget that is gone once the kernel is.

Example:
    >>> states = iter([(False, "Creating"), (True, "Succeeded")])
    >>> wait_for(lambda: next(states), what="pool gpunp", timeout_minutes=1, poll_seconds=0)  # doctest: +ELLIPSIS
    pool gpunp: Succeeded (...s)
    'Succeeded'
"""

from __future__ import annotations

import os
import time
from typing import Callable

from labkit.errors import WaitTimeout
from labkit.notebook import PROGRESS_ENV, replace_with_text, shows_widgets

#: ``check()`` returns (done, state): whether the wait is over, and a short word for where it stands.
Check = Callable[[], tuple[bool, str]]


def wait_for(check: Check, *, what: str, timeout_minutes: float, poll_seconds: float) -> str:
    """Poll ``check`` until it reports done; return the final state.

    Raises:
        WaitTimeout: after ``timeout_minutes``, naming what was awaited and its last state.
    """
    started = time.monotonic()
    deadline = started + timeout_minutes * 60
    progress = _progress(what, timeout_minutes)
    done, state = False, None
    try:
        while True:
            done, state = check()
            progress.show(state, time.monotonic() - started)
            if done:
                return state
            if time.monotonic() >= deadline:
                raise WaitTimeout(what, state, timeout_minutes)
            time.sleep(poll_seconds)
    finally:
        took = f"({time.monotonic() - started:.1f}s)"
        progress.end(f"{what}: {state} {took}" if done else f"{what}: stopped while {state or 'starting'} {took}")


class _Lines:
    """No progress while waiting (``LABKIT_PROGRESS=off``); the final line only."""

    def show(self, state: str, elapsed: float) -> None:
        pass

    def end(self, line: str) -> None:
        print(line)


class _Text(_Lines):
    """A line on stderr that tqdm rewrites in place, cleared at the end."""

    def __init__(self, what: str):
        from tqdm import tqdm

        self._what = what
        self._bar = tqdm(desc=what, bar_format="{desc} [{elapsed}]", leave=False)

    def show(self, state: str, elapsed: float) -> None:
        label = f"{self._what}: {state}"
        self._bar.set_description_str(label, refresh=label != self._bar.desc)  # a new state at once, the time when due
        self._bar.update(1)

    def end(self, line: str) -> None:
        self._bar.close()
        super().end(line)


class _Widget:
    """What is awaited, a bar of the time used out of the wait's limit, and the state; replaced by the final line."""

    def __init__(self, what: str, timeout_minutes: float):
        import ipywidgets as widgets
        from IPython.display import display

        self._bar = widgets.FloatProgress(min=0, max=timeout_minutes * 60, bar_style="info",
                                          tooltip=f"time used of the {timeout_minutes:g}-minute limit")
        self._state = widgets.Label()
        self._box = widgets.HBox([widgets.Label(what), self._bar, self._state])
        self._box.add_class("labkit-progress")
        self._display = display(self._box, display_id=True)

    def show(self, state: str, elapsed: float) -> None:
        from tqdm import tqdm

        self._bar.value = elapsed
        self._state.value = f"{state} [{tqdm.format_interval(elapsed)}]"

    def end(self, line: str) -> None:
        replace_with_text(self._display, self._box, line)


def _progress(what: str, timeout_minutes: float) -> _Lines | _Widget:
    if os.environ.get(PROGRESS_ENV) == "off":
        return _Lines()
    return _Widget(what, timeout_minutes) if shows_widgets() else _Text(what)
