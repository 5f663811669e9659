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


def _azure_lines(usage: Optional[dict[str, Any]]) -> list[str]:
    """GPU VM-minutes and their cost, and the run's Azure time against its critical path (labkit.usage.summary)."""
    if not usage:
        return ["- nothing recorded"]
    lines = []
    scale = usage["azure_seconds_per_second"]
    if scale and scale != 1:
        lines += [f"On the simulator's clock ({scale:g} Azure seconds a second): what the run would take and cost on "
                  "Azure, labkit's own seconds between steps counted the same way.", ""]
    cost = "" if usage["gpu_cost_usd"] is None else f", about ${usage['gpu_cost_usd']:.2f} at pay-as-you-go prices"
    lines.append(f"- GPU VM-minutes: {usage['gpu_vm_minutes']:.1f}{cost}" if usage["pools"] else "- no GPU pool created")
    for pool in usage["pools"]:
        usd = "price unknown" if pool["usd"] is None else f"${pool['usd']:.2f}"
        still = "; it still exists, and bills until removed" if pool["still_exists"] else ""
        lines.append(f"  - {pool['pool']}: {pool['nodes']} x {pool['vm_size']} for {pool['minutes']:.1f} min, {usd} "
                     f"({pool['price']}){still}")
    path = usage["critical_path"]
    lines.append(f"- Azure time: {usage['azure_minutes']:.1f} min while an Azure step ran, against a critical path of "
                 f"{usage['critical_path_minutes']:.1f} min (registration {path['registration']:.1f} + slower pool "
                 f"{path['pool']:.1f} + verification {path['verification']:.1f} + deletion {path['deletion']:.1f})")
    return lines


def report(summary: dict[str, Any]) -> str:
    """The run as Markdown a person reads: lessons, GPUs found, Azure time and GPU cost, and what is left."""
    interrupted = f", interrupted by {summary['interrupted_by']}" if summary.get("interrupted_by") else ""
    lines = [f"# labkit run: {summary['status'].upper()}", "",
             f"Lab `{summary['lab_id']}`, backend `{summary['backend']}`, {summary['duration_seconds']:.1f} s in all{interrupted}.", "",
             "| lesson | status | seconds | error |", "| --- | --- | --- | --- |"]
    lines += [f"| {o['name']} | {o['status']} | {o['duration_seconds']:.1f} | {_cell(o['error'])} |" for o in summary["lessons"]]
    lines += ["", "## GPU capacity found", ""]
    capacity = summary["gpu_capacity"] or []
    lines += [f"- {row['node']} (pool {row['pool']}, {row['vm_size']}): capacity {row['capacity']}, allocatable {row['allocatable']}"
              for row in capacity] or ["- none recorded (lesson 04 did not run to the end)"]
    lines += ["", "## Azure time and GPU cost", ""] + _azure_lines(summary.get("azure_usage"))
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
