"""The workshop run's report: one row per attendee, as ``report.json`` (for programs, and for the next run to
resume from) and ``report.html`` (for people). Every value put into the HTML is escaped.

A row: ``name``, ``lab_id``, ``status`` (passed, failed, interrupted, not run), ``attempts``, the failing
``lesson`` and its ``error``, the ``gpus`` lesson 04 found, ``vm_minutes`` and ``cost`` (None where no price is
known), what was ``left`` after the cleanup (None: unknown), the ``run_dir`` of the last attempt (in the workshop
folder) and its ``duration_seconds``.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

from labkit.files import write_private
from labkit.workshop.roster import Seat, Workshop

REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
#: What the sweep of a class's leftovers is, named wherever something is left.
SWEEP_COMMAND = "labkit workshop cleanup"

Row = dict[str, Any]


def new_row(seat: Seat) -> Row:
    """An attendee no run has reached yet."""
    return {"name": seat.name, "lab_id": seat.lab_id, "status": "not run", "attempts": 0, "lesson": None, "error": None,
            "gpus": [], "vm_minutes": None, "cost": None, "left": [], "run_dir": None, "duration_seconds": None}


def finished_row(row: Row, out_dir: Path, *, last_words: str, seconds: float, refused: bool = False) -> Row:
    """``row`` updated with an attempt that ended: from its ``summary.json``, or from its last words without one.
    ``refused``: ``labkit run`` refused its parameters (exit 2), so it created nothing."""
    summary = _summary(out_dir)
    attempt = {**row, "attempts": row["attempts"] + 1, "run_dir": f"{out_dir.parent.name}/{out_dir.name}",
               "duration_seconds": round(seconds, 1)}
    if summary is None:  # refused before it began (its one line says why), or killed: what it left is then unknown
        return {**attempt, "status": "failed", "lesson": None, "error": last_words or "labkit run ended without a summary",
                "gpus": [], "vm_minutes": None, "cost": None, "left": [] if refused else None}
    failed = next((lesson for lesson in summary["lessons"] if lesson["status"] == "failed"), None)
    usage = summary.get("azure_usage") or {}  # the pools' lifetimes the lessons recorded, and their price
    return {**attempt, "status": summary["status"], "lesson": failed and failed["name"], "error": failed and failed["error"],
            "gpus": [f"{gpu['node']} (pool {gpu['pool']}): {gpu['allocatable']}" for gpu in summary["gpu_capacity"] or []],
            "vm_minutes": usage.get("gpu_vm_minutes"), "cost": usage.get("gpu_cost_usd"), "left": summary["left_after_cleanup"]}


def holding(report: dict[str, Any]) -> list[str]:
    """The lab ids of the attendees whose labs left something, or may have (a run whose leftovers are unknown).

    Example:
        >>> holding({"attendees": [{"lab_id": "ada", "left": ["pool gpu01a in rg/aks (Succeeded)"], "attempts": 1},
        ...                        {"lab_id": "bob", "left": None, "attempts": 1}, {"lab_id": "cy", "left": [], "attempts": 1}]})
        ['ada', 'bob']
    """
    return [row["lab_id"] for row in report["attendees"] if row["left"] or (row["left"] is None and row["attempts"])]


def previous_rows(folder: Path) -> dict[str, Row]:
    """The rows of the last run's report, by lab id; none when there was no run (or its report is unreadable)."""
    last = _last_report(folder)
    return {row["lab_id"]: row for row in last["attendees"]} if last else {}


def record_left(workshop: Workshop, left: dict[str, list[str]]) -> None:
    """After a sweep, the report's rows say what a fresh listing found each lab holds (``left``, by lab id; a lab not
    in it holds nothing), so that they no longer name what the sweep removed. Nothing when no run wrote a report."""
    last = _last_report(workshop.folder)
    if last:
        rows = [{**row, "left": left.get(row["lab_id"], [])} for row in last["attendees"]]
        write(workshop, rows, interrupted_by=last.get("interrupted_by"), seconds=last.get("duration_seconds") or 0.0)


def _last_report(folder: Path) -> Optional[dict[str, Any]]:
    """The last run's ``report.json``; None when there was no run, or it is unreadable or has no attendee rows."""
    try:
        last = json.loads((folder / REPORT_JSON).read_text())
        readable = all(isinstance(row, dict) and "lab_id" in row for row in last["attendees"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return last if readable else None


def write(workshop: Workshop, rows: list[Row], *, interrupted_by: Optional[str], seconds: float) -> dict[str, Any]:
    """Write ``report.json`` and ``report.html`` into the workshop folder; returns the report."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    status = "interrupted" if interrupted_by else "passed" if counts.get("passed", 0) == len(rows) else "failed"
    report = {"status": status,
              "written": datetime.now().isoformat(timespec="seconds"), "duration_seconds": round(seconds, 1),
              "interrupted_by": interrupted_by, "counts": counts, "attendees": rows}
    write_private(workshop.folder / REPORT_JSON, json.dumps(report, indent=2).encode())
    write_private(workshop.folder / REPORT_HTML, to_html(report, workshop.folder).encode())
    return report


def _summary(out_dir: Path) -> Optional[dict[str, Any]]:
    try:
        return json.loads((out_dir / "summary.json").read_text())
    except (OSError, ValueError):
        return None


# --- HTML ------------------------------------------------------------------------------------------


_STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
          "padding:.3em .6em;vertical-align:top;text-align:left}.passed{background:#e6f4ea}.failed{background:#fce8e6}"
          ".interrupted,.not-run{background:#fef7e0}code{white-space:pre-wrap}")


def to_html(report: dict[str, Any], folder: Path) -> str:
    """The report as one self-contained HTML page."""
    rows = report["attendees"]
    costs = any(row["cost"] is not None for row in rows)
    head = ["attendee", "lab id", "status", "attempts", "failing lesson", "error", "GPUs found", "VM-minutes"]
    head += ["cost"] if costs else []
    head += ["left after cleanup", "run"]
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report["counts"].items()))
    interrupted = f", interrupted by {report['interrupted_by']}" if report["interrupted_by"] else ""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>labkit workshop: {_e(report['status'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>labkit workshop: {_e(report['status'].upper())}</h1>",
        f"<p>{len(rows)} attendees: {_e(counts)}; this run took {report['duration_seconds']:.0f} s{_e(interrupted)}; "
        f"written {_e(report['written'])}.</p>",
    ]
    if any(row["left"] or row["left"] is None for row in rows if row["status"] != "not run"):
        parts.append(f"<p>Something may be left: <code>{_e(SWEEP_COMMAND)} --workshop {_e(str(folder))}</code> "
                     "removes every attendee's resources (add <code>--dry-run</code> to list them).</p>")
    parts.append("<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>")
    parts += [_html_row(row, costs) for row in rows]
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def _html_row(row: Row, costs: bool) -> str:
    left = "unknown" if row["left"] is None else "<br>".join(_e(item) for item in row["left"]) or "nothing"
    cells = [_e(row["name"]), _e(row["lab_id"]), _e(row["status"]), _e(row["attempts"]), _e(row["lesson"] or ""),
             f"<code>{_e(row['error'] or '')}</code>", "<br>".join(_e(gpu) for gpu in row["gpus"]),
             _e("" if row["vm_minutes"] is None else f"{row['vm_minutes']:.1f}")]
    cells += [_e("" if row["cost"] is None else f"{row['cost']:.2f}")] if costs else []
    cells += [left, _link(row["run_dir"])]
    css = row["status"].replace(" ", "-")
    return f'<tr class="{_e(css)}">' + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _link(run_dir: Optional[str]) -> str:
    return f'<a href="{_e(quote(run_dir))}/report.md">{_e(Path(run_dir).name)}</a>' if run_dir else ""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)
