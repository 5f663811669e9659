"""How ``labkit run`` ends when asked to: Ctrl-C, SIGTERM (a cancelled CI job) and SIGHUP (a closed terminal) alike.

- The first interrupt stops the lessons that run (two run at once; their kernels are interrupted, as Jupyter's stop
  button does); the run skips the other lessons and cleans up, so nothing is left billed.
- The first interrupt never stops the cleanup: it stops the billing. Any later one does; the run then lists
  what is left and names the one command that removes it.
- A lesson whose kernel has not answered an interrupt within :data:`ANSWER_SECONDS` has its kernel ended. A kernel
  interrupted while it handles a cell outside the cell's own code (receiving it, or replying) catches the
  KeyboardInterrupt itself, logs "KeyboardInterrupt caught in kernel." and never replies (ipykernel 7.4,
  ``Kernel.dispatch_shell``; it hung an interrupted workshop rehearsal on CI, and came in 3 of 6 local runs of it), and
  papermill would wait for that reply for as long as a cell may run.
- One line is printed per interrupt, never a traceback.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import Any, Callable, Optional

from labkit.kernels import LessonKernel, interrupt_current

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

#: How long an interrupted lesson's kernel has to answer before it is ended. A cell interrupted in its own code
#: answers at once, an Azure call included: the KeyboardInterrupt ends the wait on the socket.
ANSWER_SECONDS = 5.0


class Interrupted(KeyboardInterrupt):
    """The run was interrupted; ``summary`` is what it wrote before ending (None while it runs)."""

    def __init__(self, signal_name: str, summary: Optional[dict[str, Any]] = None):
        super().__init__(signal_name)
        self.signal_name, self.summary = signal_name, summary


class Interrupts:
    """The interrupts one run receives, handled by the rules above while the run is inside the ``with``."""

    def __init__(self, say: Callable[[str], None]):
        self.say = say
        self.first: Optional[str] = None
        self.count = 0
        self.phase = "lessons"
        self.cleanup_stopped = False
        self._previous: dict[int, Any] = {}
        self._answer_by: dict[LessonKernel, float] = {}

    def __enter__(self) -> "Interrupts":
        if threading.current_thread() is threading.main_thread():  # only there can Python handle signals
            self._previous = {number: signal.signal(number, self._handle) for number in SIGNALS}
        return self

    def __exit__(self, *exc: Any) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number: int, frame: Optional[FrameType]) -> None:
        name = signal.Signals(number).name
        self.first = self.first or name
        self.count += 1
        if self.phase == "cleanup" and self.count == 1:
            self.say(f"{name}: the cleanup goes on, so that nothing is left billed ({name} again stops it)")
            return
        if self.phase == "listing":
            raise Interrupted(name)
        self.cleanup_stopped = self.phase == "cleanup"
        after = "listing what is left" if self.cleanup_stopped else "the cleanup runs next (interrupt again to stop it too)"
        self.say(f"{name}: stopping the {'cleanup' if self.phase == 'cleanup' else 'running lessons'}; {after}")
        # The kernels of the lessons that run now get a KeyboardInterrupt; a lesson between cells stops before its
        # next one, and the run, which waits in short steps, sees `first` and starts no other lesson but the cleanup.
        # A kernel keeps the deadline of the first interrupt it did not answer: pressing Ctrl-C again does not extend it.
        deadline = time.monotonic() + ANSWER_SECONDS
        for kernel in interrupt_current():
            self._answer_by.setdefault(kernel, deadline)

    def end_unanswered(self) -> None:
        """End the kernels whose lessons still run after their time to answer an interrupt (the run's wait calls this
        between its steps, outside the signal handler)."""
        now = time.monotonic()
        for kernel, deadline in list(self._answer_by.items()):
            if not kernel.lesson_running:
                del self._answer_by[kernel]
            elif now >= deadline:
                del self._answer_by[kernel]
                kernel.end()
