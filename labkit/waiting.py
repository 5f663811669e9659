"""Waits with progress and a timeout: every asynchronous step of the lab goes through :func:`wait_for`, or, for a
long-running ARM operation, :func:`wait_for_operation` on the operation's own poller.

Both wait as long as the service asks (``Retry-After``) where it says, and otherwise poll at the backend's interval.
Progress is a ``tqdm.auto`` bar (an ipywidgets bar in JupyterLab). ``LABKIT_PROGRESS=text`` forces
plain text on stderr (``labkit run`` sets it for papermill) and ``off`` shows none (nbval and the
committed notebooks); in every mode a wait ends with one summary line on stdout.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Optional

from labkit.errors import WaitTimeout

#: ``check()`` returns (done, state) or (done, state, seconds): whether the wait is over, a short word for where it
#: stands, and how long the service asked to wait before asking again (None or 0: the backend's poll interval).
Check = Callable[[], tuple]

#: How often a wait on an operation's poller refreshes its progress; the poller alone talks to the service.
PROGRESS_SECONDS = 1.0


def wait_for(check: Check, *, what: str, timeout_minutes: float, poll_seconds: float, after: float = 0.0) -> str:
    """Poll ``check`` until it reports done; return the final state.

    Args:
        after: seconds to wait before the first check (what the service asked when the change was started).

    Raises:
        WaitTimeout: after ``timeout_minutes``, naming what was awaited and its last state.
    """
    started = time.monotonic()
    deadline = started + timeout_minutes * 60
    bar = _progress_bar(what)
    try:
        time.sleep(min(after, timeout_minutes * 60))
        while True:
            done, state, *asked = check()
            if bar is not None:
                bar.set_postfix_str(state, refresh=False)
                bar.update(1)
            if done:
                print(f"{what}: {state} ({time.monotonic() - started:.1f}s)")
                return state
            if time.monotonic() >= deadline:
                raise WaitTimeout(what, state, timeout_minutes)
            pause = asked[0] if asked and asked[0] else poll_seconds
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
    finally:
        if bar is not None:
            bar.close()


def retry_after(headers: Any) -> float:
    """The seconds a response asks its client to wait before asking again: ``Retry-After``, or the millisecond
    headers azure-core also reads (``retry-after-ms``, ``x-ms-retry-after-ms``); 0 when it does not say."""
    for name, seconds in (("retry-after", 1.0), ("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * seconds)
            except ValueError:  # an HTTP date, which ARM does not send
                return 0.0
    return 0.0


def wait_for_operation(poller: Any, *, what: str, timeout_minutes: float) -> Any:
    """Wait for a long-running operation through its azure-core poller, which asks the service as often as the
    service says (``Retry-After``); returns the operation's result.

    Raises:
        WaitTimeout: after ``timeout_minutes``, with the operation's last status.
        HttpResponseError: the operation failed (the service's code and message), as ``poller.result()`` does.
    """
    started = time.monotonic()
    deadline = started + timeout_minutes * 60
    bar = _progress_bar(what)
    try:
        while not poller.done():
            if time.monotonic() >= deadline:
                raise WaitTimeout(what, poller.status(), timeout_minutes)
            poller.wait(timeout=min(PROGRESS_SECONDS, deadline - time.monotonic()))
            if bar is not None:
                bar.set_postfix_str(poller.status(), refresh=False)
                bar.update(1)
        result = poller.result()
    finally:
        if bar is not None:
            bar.close()
    print(f"{what}: {poller.status()} ({time.monotonic() - started:.1f}s)")
    return result


def _progress_bar(what: str) -> Optional[object]:
    mode = os.environ.get("LABKIT_PROGRESS", "auto")
    if mode == "off":
        return None
    if mode == "text":
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(desc=what, bar_format="{desc}: {postfix} [{elapsed}]", leave=False)
