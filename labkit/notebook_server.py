"""The JupyterLab that ``make jupyter``, ``labkit jupyter`` and the browser tests start on your copies of the lessons.

Two settings of its own, both for the kernels it starts:

- **IPC transport.** Jupyter starts local kernels on TCP ports, unencrypted, and each kernel warns about it
  ("Kernel is running over TCP without encryption"). With ``KernelManager.transport = "ipc"``, a kernel's sockets are
  files beside its connection file in Jupyter's runtime folder, which is private to you (mode 0700), as for
  ``labkit run`` (:mod:`labkit.kernels`): no ports, and nothing another user of the machine can connect to.
- **A kernel status that stays Busy while a cell waits.** When the first widget of a kernel appears (a progress bar),
  JupyterLab asks the kernel for a subshell for widget messages. The kernel handles that request on its control
  channel, beside the running cell, and publishes a busy and then an idle status for it. JupyterLab shows the latest
  status it hears of, except for requests the server lists as ``untracked_message_types``, and the server's list
  predates subshells: so the status bar said Idle until the waiting cell ended. The subshell messages are added to it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn, Sequence

#: The control messages of kernel subshells (JEP 91, ipykernel 7): not a person's work.
SUBSHELL_MESSAGES = tuple(f"{verb}_subshell_{kind}" for verb in ("create", "delete", "list") for kind in ("request", "reply"))


def server_options() -> list[str]:
    """JupyterLab's command-line options for the lessons' kernels (see the module's doc)."""
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    untracked = [*MappingKernelManager.class_traits()["untracked_message_types"].default(), *SUBSHELL_MESSAGES]
    return ["--KernelManager.transport=ipc", *(f"--MappingKernelManager.untracked_message_types={t}" for t in untracked)]


def command(folder: Path, extra: Sequence[str] = ()) -> list[str]:
    """The command that starts JupyterLab on ``folder``, with ``extra`` options (``--port``, ``--no-browser``...)."""
    return [sys.executable, "-m", "jupyterlab", *server_options(), *extra, str(folder)]


def open_jupyterlab(folder: Path, extra: Sequence[str] = ()) -> NoReturn:
    """Become JupyterLab on ``folder``: Ctrl-C and its questions then reach it directly."""
    argv = command(folder, extra)
    os.execv(argv[0], argv)
