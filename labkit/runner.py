"""``labkit run``: the lessons in order through papermill, a summary, a report, and cleanup after failure."""

from __future__ import annotations

import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from labkit import results
from labkit.params import load_params

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = [
    "00_prerequisites",
    "01_preview_setup",
    "02_gpu_pool_auto_driver",
    "03_gpu_pool_manual_driver",
    "04_verify_gpu_capacity",
    "05_cleanup",
]
CLEANUP = "05_cleanup"


@dataclass
class LessonResult:
    name: str
    status: str  # passed | failed | skipped
    duration_seconds: float = 0.0
    error: Optional[str] = None


def default_out_dir(base: Path = Path("runs")) -> Path:
    return base / datetime.now().strftime("%Y%m%d-%H%M%S")


def run_lab(
    params: dict[str, Any],
    *,
    out_dir: Path,
    keep: bool = False,
    notebook_dir: Path = NOTEBOOK_DIR,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every lesson into ``out_dir``; returns the summary (also written as summary.json and report.md).

    Parameters are validated first: a bad one raises LabConfigError before any lesson starts. After a
    failure (a failing cell, a dead kernel, Ctrl-C) the remaining lessons are skipped, but cleanup still
    runs unless ``keep``, and the summary is written; Ctrl-C is raised again afterwards.
    """
    params = {**params, **vars(load_params(**params))}  # validated once, and every lesson gets the same values
    results_dir = out_dir / "results"
    shutil.rmtree(results_dir, ignore_errors=True)  # a reused --out must not report an older run's results
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    outcomes: list[LessonResult] = []
    interrupted: Optional[KeyboardInterrupt] = None
    # The lesson kernels inherit these: where to record results, and progress as plain text.
    kernel_env = {results.ENV: str(results_dir.resolve()), "LABKIT_PROGRESS": os.environ.get("LABKIT_PROGRESS", "text")}
    with _environment(kernel_env):
        for index, lesson in enumerate(LESSONS, 1):
            failed = interrupted is not None or any(o.status == "failed" for o in outcomes)
            if failed and (lesson != CLEANUP or keep):
                outcomes.append(LessonResult(lesson, "skipped"))
                say(f"[{index}/{len(LESSONS)}] {lesson}: skipped")
                continue
            say(f"[{index}/{len(LESSONS)}] {lesson} ...")
            try:
                outcome = _run_lesson(lesson, params, notebook_dir, out_dir)
            except KeyboardInterrupt as stop:
                interrupted = stop
                outcome = LessonResult(lesson, "failed", error="interrupted (Ctrl-C)")
            outcomes.append(outcome)
            say(f"[{index}/{len(LESSONS)}] {lesson}: {outcome.status} ({outcome.duration_seconds:.1f}s)"
                + (f"\n    {outcome.error}" if outcome.error else ""))
    summary = _summary(params, outcomes, results_dir, out_dir, time.monotonic() - started)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    (out_dir / "report.md").write_text(report(summary))
    if interrupted is not None:
        raise interrupted
    return summary


def _summary(params: dict[str, Any], outcomes: list[LessonResult], results_dir: Path, out_dir: Path, seconds: float) -> dict[str, Any]:
    return {
        "status": "failed" if any(o.status == "failed" for o in outcomes) else "passed",
        "backend": params["backend"],
        "duration_seconds": round(seconds, 2),
        "lessons": [asdict(o) for o in outcomes],
        "gpu_capacity": results.read(results_dir, "gpu_capacity"),
        "left_after_cleanup": results.read(results_dir, "leftovers"),
        "out_dir": str(out_dir),
    }


def _run_lesson(lesson: str, params: dict[str, Any], notebook_dir: Path, out_dir: Path) -> LessonResult:
    import papermill

    source = notebook_dir / f"{lesson}.ipynb"
    declared = papermill.inspect_notebook(str(source))
    started = time.monotonic()
    try:
        papermill.execute_notebook(
            str(source), str(out_dir / f"{lesson}.ipynb"),
            parameters={k: v for k, v in params.items() if k in declared},
            cwd=str(notebook_dir), progress_bar=False, kernel_name="python3",
            # a cell waits at most timeout_minutes; this bounds a cell that hangs outside labkit's waits
            execution_timeout=int(params["timeout_minutes"] * 60) + 300,
        )
    except papermill.PapermillExecutionError as error:
        return LessonResult(lesson, "failed", round(time.monotonic() - started, 2), f"{error.ename}: {error.evalue}")
    except Exception as error:  # a dead kernel or a cell timeout: recorded, so that cleanup still runs
        return LessonResult(lesson, "failed", round(time.monotonic() - started, 2), f"{type(error).__name__}: {error}")
    return LessonResult(lesson, "passed", round(time.monotonic() - started, 2))


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


def _cell(text: Optional[str]) -> str:
    """Text safe inside one Markdown table cell."""
    return " ".join((text or "").split()).replace("|", "\\|")


def report(summary: dict[str, Any]) -> str:
    """The run as Markdown a person reads: lessons, GPUs found, and what is left."""
    lines = [f"# labkit run: {summary['status'].upper()}", "",
             f"Backend `{summary['backend']}`, {summary['duration_seconds']:.1f} s in all.", "",
             "| lesson | status | seconds | error |", "| --- | --- | --- | --- |"]
    lines += [f"| {o['name']} | {o['status']} | {o['duration_seconds']:.1f} | {_cell(o['error'])} |" for o in summary["lessons"]]
    lines += ["", "## GPU capacity found", ""]
    capacity = summary["gpu_capacity"] or []
    lines += [f"- {row['node']} (pool {row['pool']}, {row['vm_size']}): capacity {row['capacity']}, allocatable {row['allocatable']}"
              for row in capacity] or ["- none recorded (lesson 04 did not run to the end)"]
    lines += ["", "## Left after cleanup", ""]
    left = summary["left_after_cleanup"]
    if left is None:
        lines.append("- unknown: the clean-up lesson did not finish; run `labkit run` again or 05_cleanup.ipynb by hand")
    else:
        lines += [f"- {item}" for item in left] or ["- nothing"]
    return "\n".join(lines) + "\n"
