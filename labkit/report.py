"""What ``labkit run`` tells when it ends: ``summary.json`` for programs and ``report.md`` for people.

Example:
    >>> summary = {"status": "passed", "lab_id": "team3", "backend": "sim", "duration_seconds": 1.0,
    ...            "interrupted_by": None, "lessons": [], "gpu_capacity": [], "left_after_cleanup": [],
    ...            "cleanup_command": "labkit cleanup --lab-id team3"}
    >>> print(report(summary).splitlines()[0])
    # labkit run: PASSED
"""

from __future__ import annotations

from typing import Any, Optional


def cleanup_command(lab_id: str) -> str:
    """The one command that removes what a lab left."""
    return f"labkit cleanup --lab-id {lab_id}"


def status(lessons: list[dict[str, Any]], interrupted_by: Optional[str]) -> str:
    if interrupted_by:
        return "interrupted"
    return "failed" if any(lesson["status"] == "failed" for lesson in lessons) else "passed"


def _cell(text: Optional[str]) -> str:
    """Text safe inside one Markdown table cell."""
    return " ".join((text or "").split()).replace("|", "\\|")


def report(summary: dict[str, Any]) -> str:
    """The run as Markdown a person reads: lessons, GPUs found, and what is left."""
    interrupted = f", interrupted by {summary['interrupted_by']}" if summary.get("interrupted_by") else ""
    lines = [f"# labkit run: {summary['status'].upper()}", "",
             f"Lab `{summary['lab_id']}`, backend `{summary['backend']}`, {summary['duration_seconds']:.1f} s in all{interrupted}.", "",
             "| lesson | status | seconds | error |", "| --- | --- | --- | --- |"]
    lines += [f"| {o['name']} | {o['status']} | {o['duration_seconds']:.1f} | {_cell(o['error'])} |" for o in summary["lessons"]]
    lines += ["", "## GPU capacity found", ""]
    capacity = summary["gpu_capacity"] or []
    lines += [f"- {row['node']} (pool {row['pool']}, {row['vm_size']}): capacity {row['capacity']}, allocatable {row['allocatable']}"
              for row in capacity] or ["- none recorded (lesson 04 did not run to the end)"]
    lines += ["", "## Left after the run", ""]
    left = summary["left_after_cleanup"]
    if left is None:
        lines.append(f"- unknown: it could not be listed. See and remove what is left with `{summary['cleanup_command']}`"
                     " (add `--dry-run` to only list it).")
    elif left:
        lines += [f"- {item}" for item in left] + ["", f"Remove it with `{summary['cleanup_command']}`."]
    else:
        lines.append("- nothing")
    return "\n".join(lines) + "\n"
