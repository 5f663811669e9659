"""Waits with progress and a timeout: every asynchronous step of the lab goes through :func:`wait_for`.

Progress is a ``tqdm.auto`` bar (an ipywidgets bar in JupyterLab). ``LABKIT_PROGRESS=text`` forces
plain text on stderr (``labkit run`` sets it for papermill) and ``off`` shows none (nbval and the
committed notebooks); in every mode a wait ends with one summary line on stdout.
"""

from __future__ import annotations

import os
import time
from typing import Callable, Optional

from labkit.errors import WaitTimeout

#: ``check()`` returns (done, state): whether the wait is over, and a short word for where it stands.
Check = Callable[[], tuple[bool, str]]


def wait_for(check: Check, *, what: str, timeout_minutes: float, poll_seconds: float) -> str:
    """Poll ``check`` until it reports done; return the final state.

    Raises:
        WaitTimeout: after ``timeout_minutes``, naming what was awaited and its last state.
    """
    started = time.monotonic()
    deadline = started + timeout_minutes * 60
    bar = _progress_bar(what)
    try:
        while True:
            done, state = check()
            if bar is not None:
                bar.set_postfix_str(state, refresh=False)
                bar.update(1)
            if done:
                print(f"{what}: {state} ({time.monotonic() - started:.1f}s)")
                return state
            if time.monotonic() >= deadline:
                raise WaitTimeout(what, state, timeout_minutes)
            time.sleep(poll_seconds)
    finally:
        if bar is not None:
            bar.close()


def _progress_bar(what: str) -> Optional[object]:
    mode = os.environ.get("LABKIT_PROGRESS", "auto")
    if mode == "off":
        return None
    if mode == "text":
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(desc=what, bar_format="{desc}: {postfix} [{elapsed}]", leave=False)
