"""The kernels ``labkit run`` executes lessons in: local IPC sockets instead of TCP ports, and interruptible.

Over TCP, every kernel picks five free ports and binds them a moment later; with many kernels starting at once
(several runs on one machine, a workshop rehearsal) two now and then pick the same port and one kernel dies
before it answers. IPC sockets are files in a private folder of each kernel, so they cannot collide, and no
other user of the machine can connect to them. Jupyter also stops warning that the kernel runs over TCP
without encryption.

A kernel's own messages (Jupyter's log lines, a crash's last words) go to a log file when one is given
(:func:`logging_to`), so that a run's terminal shows labkit's lines only.

Example:
    >>> papermill.execute_notebook(src, out, kernel_manager_class=LessonKernel)   # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Optional

from jupyter_client.manager import AsyncKernelManager


class LessonKernel(AsyncKernelManager):
    """A kernel manager on IPC transport; the newest one is :attr:`current`, for :func:`interrupt_current`."""

    current: ClassVar[Optional["LessonKernel"]] = None
    log_path: ClassVar[Optional[Path]] = None

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._socket_dir = tempfile.mkdtemp(prefix="labkit-kernel-")
        self.transport = "ipc"
        self.ip = os.path.join(self._socket_dir, "kernel")
        LessonKernel.current = self

    async def start_kernel(self, **kwargs: Any) -> None:  # type: ignore[override]
        if self.log_path is None:
            await super().start_kernel(**kwargs)
            return
        with open(self.log_path, "ab") as log:  # the kernel keeps its own copy of the descriptor
            await super().start_kernel(stdout=log, stderr=log, **kwargs)

    async def cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
        await super().cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    def interrupt(self) -> bool:
        """Send the kernel's process group SIGINT, as Jupyter's interrupt button does; False if none runs.

        Safe inside a signal handler: no event loop, just a signal.
        """
        process = getattr(self.provisioner, "process", None)
        if process is None or process.poll() is not None:
            return False
        try:
            os.killpg(os.getpgid(process.pid), signal.SIGINT)
        except ProcessLookupError:
            return False
        return True


def logging_to(path: Path) -> type[LessonKernel]:
    """A :class:`LessonKernel` whose kernels write their own output to ``path``."""
    return type("LoggingLessonKernel", (LessonKernel,), {"log_path": path})


def interrupt_current() -> bool:
    """Interrupt the newest lesson kernel, if it still runs."""
    kernel = LessonKernel.current
    return kernel.interrupt() if kernel is not None else False
