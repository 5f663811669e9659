"""``labkit run``: the lessons in order through papermill, a summary, a report, and cleanup after failure."""

from __future__ import annotations

import json
import os
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
    failure the remaining lessons are skipped, but cleanup still runs unless ``keep``.
    """
    load_params(**params)
    out_dir.mkdir(parents=True, exist_ok=True)
    _point_latest(out_dir)
    results_dir = out_dir / "results"
    started = time.monotonic()
    outcomes: list[LessonResult] = []
    failed = False
    # The lesson kernels inherit these: where to record results, and progress as plain text.
    kernel_env = {results.ENV: str(results_dir.resolve()), "LABKIT_PROGRESS": os.environ.get("LABKIT_PROGRESS", "text")}
    with _environment(kernel_env):
        for index, lesson in enumerate(LESSONS, 1):
            if failed and (lesson != CLEANUP or keep):
                outcomes.append(LessonResult(lesson, "skipped"))
                say(f"[{index}/{len(LESSONS)}] {lesson}: skipped")
                continue
            say(f"[{index}/{len(LESSONS)}] {lesson} ...")
            outcome = _run_lesson(lesson, params, notebook_dir, out_dir)
            outcomes.append(outcome)
            say(f"[{index}/{len(LESSONS)}] {lesson}: {outcome.status} ({outcome.duration_seconds:.1f}s)"
                + (f"\n    {outcome.error}" if outcome.error else ""))
            failed = failed or outcome.status == "failed"
    summary = {
        "status": "failed" if failed else "passed",
        "backend": params.get("backend", "sim"),
        "duration_seconds": round(time.monotonic() - started, 2),
        "lessons": [asdict(o) for o in outcomes],
        "gpu_capacity": results.read(results_dir, "gpu_capacity"),
        "left_after_cleanup": results.read(results_dir, "leftovers"),
        "out_dir": str(out_dir),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    (out_dir / "report.md").write_text(report(summary))
    return summary


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
        )
    except papermill.PapermillExecutionError as error:
        return LessonResult(lesson, "failed", round(time.monotonic() - started, 2), f"{error.ename}: {error.evalue}")
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


def _point_latest(out_dir: Path) -> None:
    latest = out_dir.parent / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(out_dir.name)


def report(summary: dict[str, Any]) -> str:
    """The run as Markdown a person reads: lessons, GPUs found, and what is left."""
    lines = [f"# labkit run: {summary['status'].upper()}", "",
             f"Backend `{summary['backend']}`, {summary['duration_seconds']:.1f} s in all.", "",
             "| lesson | status | seconds | error |", "| --- | --- | --- | --- |"]
    lines += [f"| {o['name']} | {o['status']} | {o['duration_seconds']:.1f} | {o['error'] or ''} |" for o in summary["lessons"]]
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
