"""The kernels ``labkit run`` executes lessons in: local IPC sockets instead of TCP ports, started ahead of their
lessons, and interruptible.

Over TCP, every kernel picks five free ports and binds them a moment later; with many kernels starting at once
(several runs on one machine, a workshop rehearsal) two now and then pick the same port and one kernel dies
before it answers. IPC sockets are files in a private folder of each kernel, so they cannot collide, and no
other user of the machine can connect to them. Jupyter also stops warning that the kernel runs over TCP
without encryption.

``labkit run`` starts a lesson's kernel while the lesson before it runs (:meth:`LessonKernel.prestart`), hands it to
papermill, and stops it afterwards (:meth:`LessonKernel.stop`). While a lesson runs, its kernel is one of the
running ones that :func:`interrupt_current` interrupts (two lessons run at once).

A kernel's own messages (Jupyter's log lines, a crash's last words) go to a log file when one is given
(:func:`logging_to`), and so do papermill's about the kernels, such as "Kernel died while waiting for execute reply."
(:func:`papermill_logging_to`), so that a run's terminal shows labkit's lines only.

Example:
    >>> papermill.execute_notebook(src, out, kernel_manager_class=LessonKernel)   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Iterator, Optional

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync


#: What a kernel started ahead of its lesson imports while it waits: the SDKs and labkit modules the lessons load, so
#: that their first cells do not pay for it on the run's critical path. Nothing else of the kernel differs.
WARM_IMPORTS = ("labkit.prereqs", "labkit.preview", "labkit.capacity", "labkit.cleanup", "azure.mgmt.containerservice",
                "azure.mgmt.resource.features", "azure.mgmt.resource.resources", "azure.mgmt.compute",
                "kubernetes.dynamic", "kubernetes.config")


#: How long a kernel may take to answer once started (papermill's own default).
STARTUP_SECONDS = 60


class ConnectedClient(AsyncKernelClient):
    """A kernel client that may be connected before its lesson: starting its channels again leaves them as they are,
    and once its kernel has answered, waiting for the kernel again returns at once.

    nbclient starts a client's channels and waits until the kernel answers; jupyter_client's wait ends with 0.2 s of
    silence on the output channel. A client connected ahead of the lesson has done both, sparing the lesson the wait.
    """

    _answered = False

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        if not self.channels_running:
            super().start_channels(*args, **kwargs)

    async def wait_for_ready(self, timeout: Optional[float] = None) -> None:  # type: ignore[override]
        if not self._answered:
            await super().wait_for_ready(timeout=timeout)
            self._answered = True


class LessonKernel(AsyncKernelManager):
    """A kernel manager on IPC transport; those whose lessons run now are interrupted by :func:`interrupt_current`."""

    log_path: ClassVar[Optional[Path]] = None
    _running: ClassVar[set["LessonKernel"]] = set()
    #: Whether labkit ended this kernel (:meth:`end`) rather than its lesson ending it.
    ended = False

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._socket_dir = tempfile.mkdtemp(prefix="labkit-kernel-")
        self.transport = "ipc"
        self.ip = os.path.join(self._socket_dir, "kernel")
        self.client_factory = ConnectedClient
        self._clients: list[Any] = []
        self._connected: Optional[ConnectedClient] = None

    async def start_kernel(self, **kwargs: Any) -> None:  # type: ignore[override]
        if self.log_path is None:
            await super().start_kernel(**kwargs)
            return
        with open(self.log_path, "ab") as log:  # the kernel keeps its own copy of the descriptor
            await super().start_kernel(stdout=log, stderr=log, **kwargs)

    def client(self, **kwargs: Any) -> Any:
        """A client of this kernel: the one :meth:`prestart` connected, the first time; :meth:`stop` stops the
        channels of every client (papermill leaves them to the kernel's owner)."""
        if self._connected is not None and not kwargs:
            client, self._connected = self._connected, None
            return client
        client = super().client(**kwargs)
        self._clients.append(client)
        return client

    def prestart(self, cwd: Path) -> None:
        """Start the kernel now, in ``cwd``, ahead of its lesson, import :data:`WARM_IMPORTS` in it (without a cell:
        the lesson's execution counts are unchanged), and connect a client, which papermill will use. Returns once the
        kernel answers. The thread that calls this must run the lesson."""
        run_sync(self._prestart)(cwd)

    async def _prestart(self, cwd: Path) -> None:
        warm = f"--IPKernelApp.exec_lines=import {', '.join(WARM_IMPORTS)}"
        # No history file, as nbclient starts its kernels: kernels running at once would contend for its lock.
        await self.start_kernel(cwd=str(cwd), extra_arguments=[warm, "--HistoryManager.hist_file=:memory:"])
        client = self.client()
        client.start_channels()
        await client.wait_for_ready(timeout=STARTUP_SECONDS)
        self._connected = client

    @contextmanager
    def running(self) -> Iterator[None]:
        """While inside, the kernel's lesson runs: :func:`interrupt_current` interrupts it."""
        LessonKernel._running.add(self)
        try:
            yield
        finally:
            LessonKernel._running.discard(self)

    @property
    def lesson_running(self) -> bool:
        """Whether the kernel's lesson runs now (inside :meth:`running`)."""
        return self in LessonKernel._running

    def stop(self) -> None:
        """Stop the kernel and its clients' channels, and remove its sockets (in the thread that started it)."""
        run_sync(self._stop)()

    async def _stop(self) -> None:
        for client in self._clients:
            client.stop_channels()
        if self.has_kernel:
            # At once: its lesson has ended and papermill holds every output, so nothing is left to finish.
            await self.shutdown_kernel(now=True)
        await self.cleanup_resources()  # as nbclient does after a shutdown, which leaves the sockets' folder

    async def cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
        await super().cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    def interrupt(self) -> bool:
        """Send the kernel's process group SIGINT, as Jupyter's interrupt button does; False if none runs.

        Safe inside a signal handler: no event loop, just a signal.
        """
        return self._signal(signal.SIGINT)

    def end(self) -> bool:
        """End the kernel's process group at once (SIGKILL); False if none runs. Its lesson then fails as a dead
        kernel's does, within a second. Safe in any thread: no event loop, just a signal."""
        self.ended = True  # before the kill: the lesson's thread reads it once papermill sees the kernel gone
        self.ended = self._signal(signal.SIGKILL)
        return self.ended

    def _signal(self, number: signal.Signals) -> bool:
        process = getattr(self.provisioner, "process", None)
        if process is None or process.poll() is not None:
            return False
        try:
            os.killpg(os.getpgid(process.pid), number)
        except ProcessLookupError:
            return False
        return True


def logging_to(path: Path) -> type[LessonKernel]:
    """A :class:`LessonKernel` whose kernels write their own output to ``path``."""
    return type("LoggingLessonKernel", (LessonKernel,), {"log_path": path})


@contextmanager
def papermill_logging_to(path: Path) -> Iterator[None]:
    """While inside, what papermill (and nbclient, which logs through papermill's logger) says of the kernels goes to
    ``path`` instead of the terminal."""
    logger = logging.getLogger("papermill")
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("[papermill] %(levelname)s | %(message)s"))
    propagated = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagated
        handler.close()


def interrupt_current() -> list[LessonKernel]:
    """Interrupt every lesson kernel whose lesson runs now; returns those interrupted."""
    return [kernel for kernel in list(LessonKernel._running) if kernel.interrupt()]
