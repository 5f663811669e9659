"""``labkit run``: the lessons in order through papermill, a summary, a report, and cleanup after failure.

Every way a run can end leaves ``summary.json`` and ``report.md``: a passing run, a failing lesson, a dead
kernel, and interrupts (see :mod:`labkit.interrupts`). After a failure or an interrupt the cleanup lesson
still runs (unless ``keep``); when it could not finish, the summary names what is left and the command that
removes it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

from labkit import results, settings
from labkit.errors import LabConfigError, Problem
from labkit.interrupts import Interrupted, Interrupts
from labkit.kernels import logging_to
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
    saved as the lab's settings.

    Raises:
        Interrupted: after an interrupt, once the summary and report are written (``.summary`` holds it).
    """
    params = lab_params(values)
    # absolute: papermill runs each lesson from the notebooks' folder, and the kernels' log lives in this one
    out_dir = (claim_out_dir(out_dir) if out_dir is not None else new_out_dir(params.lab_id)).absolute()
    say = _quiet_when_closed(say)
    say(f"lab {params.lab_id}: settings saved in {settings.save(vars(params))}")
    started = time.monotonic()
    results_dir = out_dir / "results"
    # The lesson kernels inherit these: where to record results, and progress as plain text.
    kernel_env = {results.ENV: str(results_dir.resolve()), PROGRESS_ENV: os.environ.get(PROGRESS_ENV, "text")}
    with _environment(kernel_env), Interrupts(say) as interrupts:
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
        "duration_seconds": round(time.monotonic() - started, 2),
        "interrupted_by": interrupts.first,
        "lessons": lessons,
        "gpu_capacity": results.read(results_dir, "gpu_capacity"),
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
    outcomes: list[LessonResult] = []
    for index, lesson in enumerate(lessons, 1):
        failed = interrupts.first is not None or any(o.status == "failed" for o in outcomes)
        if failed and (lesson != CLEANUP or keep):
            outcomes.append(LessonResult(lesson, "skipped"))
            say(f"[{index}/{len(lessons)}] {lesson}: skipped")
            continue
        interrupts.phase = "cleanup" if lesson == CLEANUP else "lessons"
        say(f"[{index}/{len(lessons)}] {lesson} ...")
        try:
            outcome = _run_lesson(lesson, params, notebook_dir, out_dir)
        except Interrupted as stop:
            interrupts.first = interrupts.first or stop.signal_name
            outcome = LessonResult(lesson, "failed", error=f"interrupted ({stop.signal_name})")
        if outcome.status == "failed" and interrupts.first and outcome.error and "KeyboardInterrupt" in outcome.error:
            outcome.error = f"interrupted ({interrupts.first})"
        outcomes.append(outcome)
        say(f"[{index}/{len(lessons)}] {lesson}: {outcome.status} ({outcome.duration_seconds:.1f}s)"
            + (f"\n    {outcome.error}" if outcome.error else ""))
    return outcomes


def _run_lesson(lesson: str, params: LabParams, notebook_dir: Path, out_dir: Path) -> LessonResult:
    import papermill

    source = notebook_dir / f"{lesson}.ipynb"
    declared = papermill.inspect_notebook(str(source))
    started = time.monotonic()
    try:
        papermill.execute_notebook(
            str(source), str(out_dir / f"{lesson}.ipynb"),
            parameters={k: v for k, v in vars(params).items() if k in declared},
            cwd=str(notebook_dir), progress_bar=False, kernel_name="python3", kernel_manager_class=logging_to(out_dir / KERNEL_LOG),
            # a cell waits at most timeout_minutes; this bounds a cell that hangs outside labkit's waits
            execution_timeout=int(params.timeout_minutes * 60) + 300,
        )
    except papermill.PapermillExecutionError as error:
        return LessonResult(lesson, "failed", round(time.monotonic() - started, 2), f"{error.ename}: {error.evalue}")
    except Exception as error:  # a dead kernel or a cell timeout: recorded, so that cleanup still runs
        return LessonResult(lesson, "failed", round(time.monotonic() - started, 2),
                            f"{type(error).__name__}: {error} (the kernel's own messages are in {KERNEL_LOG})")
    return LessonResult(lesson, "passed", round(time.monotonic() - started, 2))


def _list_leftovers(params: LabParams, say: Callable[[str], None]) -> Optional[list[str]]:
    """What the lab left, listed here when the cleanup lesson could not tell; None if that fails or takes too long."""
    found: list[list[str]] = []

    def listing() -> None:
        from labkit.cleanup import leftovers
        from labkit.lab import Lab

        found.append(leftovers(Lab(params)))

    worker = threading.Thread(target=listing, name="labkit-leftovers", daemon=True)
    worker.start()
    try:
        worker.join(LISTING_SECONDS)
    except Interrupted:
        pass
    if not found:
        say(f"could not list what is left; run `{cleanup_command(params.lab_id)}`")
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
