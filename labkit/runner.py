"""``labkit run``: the lessons through papermill, each as soon as the lessons it needs have passed (02 and 03 at
once), each in a kernel started while the lessons before it run; a summary, a report, and cleanup after failure.

Every way a run can end leaves ``summary.json`` and ``report.md``: a passing run, a failing lesson, a dead
kernel, and interrupts (see :mod:`labkit.interrupts`). After a failure or an interrupt the cleanup lesson
still runs (unless ``keep``); when it could not finish, the summary names what is left and the command that
removes it.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

from labkit import results, settings, usage
from labkit.clouds import cloud_named
from labkit.errors import LabConfigError, Problem, first_line
from labkit.interrupts import ANSWER_SECONDS, Interrupted, Interrupts
from labkit.kernels import LessonKernel, logging_to, papermill_logging_to
from labkit.notebook import PROGRESS_ENV
from labkit.params import LabParams, lab_params
from labkit.report import cleanup_command, report, status
from labkit.shipped import LESSONS_DIR as NOTEBOOK_DIR
LESSONS = [
    "00_prerequisites",
    "01_preview_setup",
    "02_gpu_pool_auto_driver",
    "03_gpu_pool_manual_driver",
    "04_verify_gpu_capacity",
    "05_cleanup",
]
CLEANUP = "05_cleanup"

#: The lessons each lesson needs to have passed before it starts: 02 and 03 need nothing of each other, so they run
#: at once. The cleanup lesson runs once every other lesson has ended, whatever happened (unless ``keep``).
NEEDS: dict[str, tuple[str, ...]] = {
    "00_prerequisites": (),
    "01_preview_setup": ("00_prerequisites",),
    "02_gpu_pool_auto_driver": ("01_preview_setup",),
    "03_gpu_pool_manual_driver": ("01_preview_setup",),
    "04_verify_gpu_capacity": ("02_gpu_pool_auto_driver", "03_gpu_pool_manual_driver"),
}

KERNEL_NAME = "python3"

#: How often the run looks up from waiting for a lesson, so that it handles signals meanwhile.
WAIT_STEP_SECONDS = 0.2

#: Kernels started ahead of their lessons, at most, and kernels starting at once, at most (see _start_kernels_ahead).
KERNELS_AHEAD = 3
KERNELS_STARTING = 2

#: Where the lesson kernels' own messages go, in the run's folder.
KERNEL_LOG = "kernels.log"

#: How long the run may spend listing what is left when the cleanup could not finish.
LISTING_SECONDS = 60.0


@dataclass
class LessonResult:
    name: str
    status: str  # passed | failed | skipped
    duration_seconds: float = 0.0
    error: Optional[str] = None


def new_out_dir(lab_id: str, base: Path = Path("runs")) -> Path:
    """A new folder for one run, ``runs/<time>-<lab id>``: runs started in the same second get ``-2``, ``-3``..."""
    stem = base / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{lab_id}"
    base.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        candidate = stem if attempt == 1 else stem.with_name(f"{stem.name}-{attempt}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"{stem}: too many runs in one second")


def claim_out_dir(out_dir: Path) -> Path:
    """Use ``out_dir`` for a run if it is new or empty; labkit never writes over what it finds there."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise LabConfigError([Problem(
            "--out", str(out_dir), "exists and is not an empty folder",
            "labkit writes a run only into a new or empty folder, so that nothing there is overwritten or deleted",
            "Name a new folder, or leave --out out for runs/<time>-<lab id>.",
        )])
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def run_lab(
    values: dict[str, Any],
    *,
    out_dir: Optional[Path] = None,
    keep: bool = False,
    notebook_dir: Path = NOTEBOOK_DIR,
    say: Callable[[str], None] = print,
    lessons: Sequence[str] = LESSONS,
) -> dict[str, Any]:
    """Run every lesson (or ``lessons``, in order) into ``out_dir`` (default: a new ``runs/<time>-<lab id>``);
    returns the summary.

    ``values`` are lesson parameters; ``None`` and missing ones come from the lab's settings. They are
    validated first (a bad one raises LabConfigError before any lesson starts or any folder is made) and
    saved as the lab's settings. The backend is reached while the first lesson's kernel starts: on the
    simulator, that starts it (in ``LABKIT_STATE_DIR``), as lesson 00 would.

    Raises:
        Interrupted: after an interrupt, once the summary and report are written (``.summary`` holds it).
    """
    params = lab_params(values)
    cloud_named(params.cloud)  # a custom cloud that does not describe itself is refused here, like any bad parameter
    # absolute: papermill runs each lesson from the notebooks' folder, and the kernels' log lives in this one
    out_dir = (claim_out_dir(out_dir) if out_dir is not None else new_out_dir(params.lab_id)).absolute()
    say = _quiet_when_closed(say)
    say(f"lab {params.lab_id}: settings saved in {settings.save(vars(params))}")
    started, started_at = time.monotonic(), datetime.now(timezone.utc).isoformat(timespec="seconds")
    results_dir = out_dir / "results"
    # The lesson kernels inherit these: where to record results, and progress as plain text.
    kernel_env = {results.ENV: str(results_dir.resolve()), PROGRESS_ENV: os.environ.get(PROGRESS_ENV, "text")}
    with _environment(kernel_env), papermill_logging_to(out_dir / KERNEL_LOG), Interrupts(say) as interrupts:
        _connect_meanwhile(params)
        outcomes = _run_lessons(params, lessons, notebook_dir, out_dir, keep, interrupts, say)
        if any(o.name == CLEANUP and o.status == "passed" for o in outcomes):
            left = results.read(results_dir, "leftovers")
        else:  # kept, or the cleanup failed or was stopped: say what is left
            interrupts.phase = "listing"
            left = _list_leftovers(params, say)
    lessons = [asdict(o) for o in outcomes]
    summary = {
        "status": status(lessons, interrupts.first),
        "lab_id": params.lab_id,
        "backend": params.backend,
        "started_at": started_at,
        "duration_seconds": round(time.monotonic() - started, 2),
        "interrupted_by": interrupts.first,
        "lessons": lessons,
        "gpu_capacity": results.read(results_dir, "gpu_capacity"),
        "azure_usage": usage.summary(results_dir, ended_at=time.time()),
        "left_after_cleanup": left,
        "cleanup_command": cleanup_command(params.lab_id),
        "out_dir": str(out_dir),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    (out_dir / "report.md").write_text(report(summary))
    if interrupts.first:
        raise Interrupted(interrupts.first, summary)
    return summary


def _run_lessons(params: LabParams, lessons: Sequence[str], notebook_dir: Path, out_dir: Path, keep: bool,
                 interrupts: Interrupts, say: Callable[[str], None]) -> list[LessonResult]:
    """Run each lesson as soon as the lessons it needs have passed (so 02 and 03 at once), with kernels started ahead
    (:func:`_start_kernels_ahead`); returns the outcomes in lesson order."""
    events: "queue.Queue[tuple[str, str]]" = queue.Queue()
    kernel_class = logging_to(out_dir / KERNEL_LOG)
    runs = {lesson: _LessonRun(lesson, (params, notebook_dir, out_dir), kernel_class, interrupts, events)
            for lesson in lessons}
    outcomes: dict[str, LessonResult] = {}
    try:
        while True:
            for lesson in lessons:
                if lesson in outcomes or runs[lesson].started:
                    continue
                decision = _decide(lesson, lessons, outcomes, interrupts, keep)
                if decision == "skip":
                    outcomes[lesson] = LessonResult(lesson, "skipped")
                    runs[lesson].cancel()
                    say(f"{_number(lesson, lessons)} {lesson}: skipped")
                elif decision == "start":
                    interrupts.phase = "cleanup" if lesson == CLEANUP else "lessons"
                    say(f"{_number(lesson, lessons)} {lesson} ...")
                    runs[lesson].start()
            if len(outcomes) == len(lessons):
                return [outcomes[lesson] for lesson in lessons]
            _start_kernels_ahead([runs[lesson] for lesson in lessons if lesson not in outcomes])
            event, lesson = _next_event(events, interrupts)
            if event == "ended":
                outcome = outcomes[lesson] = _outcome(runs[lesson].outcome, interrupts)
                say(f"{_number(lesson, lessons)} {lesson}: {outcome.status} ({outcome.duration_seconds:.1f}s)"
                    + (f"\n    {outcome.error}" if outcome.error else ""))
    finally:
        for run in runs.values():
            run.cancel()  # a kernel started for a lesson that never ran is stopped
        for run in runs.values():
            run.join()


def _decide(lesson: str, lessons: Sequence[str], outcomes: dict[str, LessonResult], interrupts: Interrupts, keep: bool) -> str:
    """Whether a lesson that has not started should start now, be skipped, or wait for the lessons it needs."""
    stopped = interrupts.first is not None or any(o.status == "failed" for o in outcomes.values())
    if lesson == CLEANUP:
        if len(outcomes) < len(lessons) - 1:
            return "wait"
        return "skip" if stopped and keep else "start"
    if stopped:
        return "skip"
    needed = [outcomes.get(name) for name in NEEDS[lesson]]
    return "start" if all(o is not None and o.status == "passed" for o in needed) else "wait"


def _start_kernels_ahead(waiting: list["_LessonRun"]) -> None:
    """Start the kernels of the next lessons, in lesson order, while the lessons before them run: at most
    :data:`KERNELS_AHEAD` ahead of their lessons, and at most :data:`KERNELS_STARTING` starting at once, so that a
    kernel start does not slow the lesson that runs (a machine may have two cores)."""
    ahead = [run for run in waiting if run.kernel_asked and not run.started]
    starting = [run for run in waiting if run.kernel_asked and not run.kernel_ready]
    for run in (run for run in waiting if not run.kernel_asked):
        if len(ahead) >= KERNELS_AHEAD or len(starting) >= KERNELS_STARTING:
            return
        run.prestart()
        ahead.append(run)
        starting.append(run)


def _next_event(events: "queue.Queue[tuple[str, str]]", interrupts: Interrupts) -> tuple[str, str]:
    """The next lesson event (its kernel is "ready", or the lesson "ended"), waited for in short steps so that
    signals are handled meanwhile, and kernels that do not answer an interrupt are ended."""
    while True:
        try:
            return events.get(timeout=WAIT_STEP_SECONDS)
        except queue.Empty:
            interrupts.end_unanswered()


def _outcome(outcome: LessonResult, interrupts: Interrupts) -> LessonResult:
    """The outcome of a lesson an interrupt stopped says so, by the signal's name."""
    if outcome.status == "failed" and interrupts.first and outcome.error and _INTERRUPTED in outcome.error:
        outcome.error = f"interrupted ({interrupts.first})"
    return outcome


def _number(lesson: str, lessons: Sequence[str]) -> str:
    return f"[{list(lessons).index(lesson) + 1}/{len(lessons)}]"


class _Stopped(Exception):
    """An interrupt came while the lesson was between cells: it goes no further."""


#: What an interrupted lesson's error holds: the kernel's KeyboardInterrupt, or labkit's stop between cells.
_INTERRUPTED = "KeyboardInterrupt"


class _LessonRun:
    """One lesson in a thread of its own: its kernel started ahead when asked (:meth:`prestart`), the lesson run
    through papermill when told to (:meth:`start`), the kernel stopped once the lesson has ended or is cancelled.
    The thread puts ("ready", lesson) on ``events`` when the kernel has started and ("ended", lesson) when the lesson
    has ended."""

    def __init__(self, lesson: str, where: tuple[LabParams, Path, Path], kernel_class: type[LessonKernel],
                 interrupts: Interrupts, events: "queue.Queue[tuple[str, str]]"):
        self.lesson, self._where, self._kernel_class = lesson, where, kernel_class
        self._interrupts, self._events = interrupts, events
        self.outcome: Optional[LessonResult] = None
        self.started = self.kernel_asked = self.kernel_ready = False
        self._go = threading.Event()
        self._cancelled = False
        self._thread = threading.Thread(target=self._work, name=f"labkit-{lesson}", daemon=True)

    def prestart(self) -> None:
        """Start the lesson's kernel now, while other lessons run."""
        if not self.kernel_asked:
            self.kernel_asked = True
            self._thread.start()

    def start(self) -> None:
        """Run the lesson, starting its kernel first unless that was done."""
        self.started = True
        self.prestart()
        self._go.set()

    def cancel(self) -> None:
        """The lesson will not run: stop its kernel if one was started for it."""
        if not self.started:
            self._cancelled = True
            self._go.set()

    def join(self) -> None:
        if self.kernel_asked:
            self._thread.join()

    def _work(self) -> None:
        kernel = self._kernel_class(kernel_name=KERNEL_NAME)
        try:
            failure = self._start_kernel(kernel)
            self._go.wait()
            if not self._cancelled:
                self.outcome = self._run(kernel) if failure is None else LessonResult(self.lesson, "failed", error=failure)
        finally:
            if self.started:
                self.outcome = self.outcome or LessonResult(self.lesson, "failed", error="the lesson's thread ended early")
                self._events.put(("ended", self.lesson))
            kernel.stop()

    def _start_kernel(self, kernel: LessonKernel) -> Optional[str]:
        """Start the kernel; why it did not start, or None."""
        try:
            kernel.prestart(self._where[1])
            return None
        except Exception as error:  # recorded as the lesson's failure, so that cleanup still runs
            return _kernel_failure(error)
        finally:
            self.kernel_ready = True
            self._events.put(("ready", self.lesson))

    def _run(self, kernel: LessonKernel) -> LessonResult:
        interrupts = self._interrupts

        def stop_between_cells(**_: Any) -> None:
            """After an interrupt a lesson goes no further (the cleanup lesson only after a second one)."""
            if interrupts.first is not None and (self.lesson != CLEANUP or interrupts.cleanup_stopped):
                raise _Stopped(f"{_INTERRUPTED}: stopped before its next cell")

        params, notebook_dir, out_dir = self._where
        try:
            with kernel.running():
                outcome = _run_lesson(self.lesson, params, notebook_dir, out_dir, kernel, stop_between_cells)
            if kernel.ended and outcome.status == "failed":
                outcome.error = (f"interrupted ({interrupts.first}): its kernel did not answer within {ANSWER_SECONDS:.0f} s "
                                 "and was ended")
            return outcome
        except Interrupted as stop:
            interrupts.first = interrupts.first or stop.signal_name
            return LessonResult(self.lesson, "failed", error=f"interrupted ({stop.signal_name})")


def _run_lesson(lesson: str, params: LabParams, notebook_dir: Path, out_dir: Path, kernel: LessonKernel,
                on_cell_start: Callable[..., None]) -> LessonResult:
    """One lesson through papermill in ``kernel`` (already started in ``notebook_dir``): its executed notebook goes to
    ``out_dir``. ``on_cell_start`` runs before each cell (it stops the lesson after an interrupt)."""
    import papermill

    source = notebook_dir / f"{lesson}.ipynb"
    declared = papermill.inspect_notebook(str(source))
    started = time.monotonic()
    try:
        papermill.execute_notebook(
            str(source), str(out_dir / f"{lesson}.ipynb"),
            parameters={k: v for k, v in vars(params).items() if k in declared},
            progress_bar=False, kernel_name=KERNEL_NAME, km=kernel, on_cell_start=on_cell_start,
            # a cell waits at most timeout_minutes; this bounds a cell that hangs outside labkit's waits
            execution_timeout=int(params.timeout_minutes * 60) + 300,
        )
    except papermill.PapermillExecutionError as error:
        return LessonResult(lesson, "failed", round(time.monotonic() - started, 2), f"{error.ename}: {error.evalue}")
    except _Stopped as stop:
        return LessonResult(lesson, "failed", round(time.monotonic() - started, 2), str(stop))
    except Exception as error:  # a dead kernel or a cell timeout: recorded, so that cleanup still runs
        return LessonResult(lesson, "failed", round(time.monotonic() - started, 2), _kernel_failure(error))
    return LessonResult(lesson, "passed", round(time.monotonic() - started, 2))


def _kernel_failure(error: Exception) -> str:
    return f"{type(error).__name__}: {error} (the kernel's own messages are in {KERNEL_LOG})"


def _connect_meanwhile(params: LabParams) -> None:
    """Reach the backend (start the simulator, when it is the one) while the first lesson's kernel starts; the lesson
    connects again, at once. A failure here is the lesson's to report."""

    def connect() -> None:
        from labkit.backend import connect as reach

        try:
            reach(params)
        except Exception:  # noqa: BLE001  lesson 00 meets the same failure and says what to do
            pass

    threading.Thread(target=connect, name="labkit-connect", daemon=True).start()


def _list_leftovers(params: LabParams, say: Callable[[str], None]) -> Optional[list[str]]:
    """What the lab left, listed here when the cleanup lesson could not tell; None if that fails or takes too long."""
    found: list[list[str]] = []
    failed: list[str] = []

    def listing() -> None:
        from labkit.cleanup import leftovers
        from labkit.lab import Lab

        try:
            found.append(leftovers(Lab(params)))
        except Exception as error:  # noqa: BLE001  said below in one line, as every way a run ends is
            failed.append(first_line(str(error)) or type(error).__name__)

    worker = threading.Thread(target=listing, name="labkit-leftovers", daemon=True)
    worker.start()
    try:
        worker.join(LISTING_SECONDS)
    except Interrupted:
        pass
    if not found:
        why = f" ({failed[0]})" if failed else ""
        say(f"could not list what is left{why}; run `{cleanup_command(params.lab_id)}`")
        return None
    return found[0]


def _quiet_when_closed(say: Callable[[str], None]) -> Callable[[str], None]:
    """``say``, but silent once its terminal is gone (after SIGHUP), so that the run can still clean up."""

    def safe(text: str) -> None:
        try:
            say(text)
        except OSError:
            pass

    return safe


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def point_latest(out_dir: Path) -> None:
    """Make ``latest`` beside ``out_dir`` point at it; anything there that is not our symlink is left alone."""
    latest = out_dir.parent / "latest"
    if latest.exists() and not latest.is_symlink():
        return
    if latest.is_symlink():
        latest.unlink()
    latest.symlink_to(out_dir.name)
