"""The exit statuses of ``labkit run``: one table, which the command, its ``--help`` and the README show.

When more than one applies, the first in this order wins: interrupted (130), resources left (3), a lesson
failed (1). Resources left wins over a failed lesson because it is the one that goes on costing money: a
failed lesson whose cleanup removed everything costs nothing more, while a GPU pool left behind bills by the
second until someone removes it, so a nightly job must make it the status no one can miss. An interrupt wins
over both because the run did not end on its own (and 130, 128 + SIGINT, is what shells and CI expect of an
interrupted command); its one line of output still names what is left and the command that removes it.

Example:
    >>> run_exit_status({"status": "failed", "left_after_cleanup": []})
    <RunExit.LESSON_FAILED: 1>
    >>> run_exit_status({"status": "failed", "left_after_cleanup": ["pool gpunp in rg/aks (Succeeded)"]})
    <RunExit.RESOURCES_LEFT: 3>
    >>> print(help_table().splitlines()[1])
    0    the lab passed and nothing is left
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class RunExit(IntEnum):
    """What ``labkit run`` exits with."""

    PASSED = 0
    LESSON_FAILED = 1
    PARAMETERS_REFUSED = 2
    RESOURCES_LEFT = 3
    INTERRUPTED = 130


#: When several statuses apply, the first of these wins (see above for why).
PRECEDENCE = (RunExit.INTERRUPTED, RunExit.RESOURCES_LEFT, RunExit.LESSON_FAILED)

#: What each status means, in the words of ``labkit run --help`` and the README's table.
MEANINGS: dict[RunExit, str] = {
    RunExit.PASSED: "the lab passed and nothing is left",
    RunExit.LESSON_FAILED: "a lesson failed (the cleanup then removed everything)",
    RunExit.PARAMETERS_REFUSED: "parameters or options refused before anything was created",
    RunExit.RESOURCES_LEFT: "the cleanup left resources, or could not list them (lessons passed or not)",
    RunExit.INTERRUPTED: "interrupted (Ctrl-C, SIGTERM, SIGHUP), whatever is left",
}


def run_exit_status(summary: dict[str, Any]) -> RunExit:
    """The exit status of a run that wrote ``summary`` (see :mod:`labkit.runner`): the first of :data:`PRECEDENCE`
    that applies, else passed."""
    applies = {
        RunExit.INTERRUPTED: bool(summary.get("interrupted_by")),
        # None: what is left could not be listed, so resources may be left
        RunExit.RESOURCES_LEFT: summary["left_after_cleanup"] != [],
        RunExit.LESSON_FAILED: summary["status"] != "passed",
    }
    return next((code for code in PRECEDENCE if applies[code]), RunExit.PASSED)


def help_table() -> str:
    """The statuses as lines of text under a heading that gives the precedence, for ``labkit run --help``."""
    first = ", ".join(str(int(code)) for code in PRECEDENCE)
    return f"Exit statuses (when several apply, the first of {first} wins):\n" + \
        "\n".join(f"{int(code):<4} {meaning}" for code, meaning in MEANINGS.items())
