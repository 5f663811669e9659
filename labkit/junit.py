"""``labkit run --junit FILE``: the run's summary as JUnit XML, which CI systems show as test results.

One ``<testsuite name="labkit">`` holds a ``<testcase>`` per lesson (classname ``labkit.lessons``) and one more,
``nothing left after cleanup`` (classname ``labkit.cleanup``), which fails when the cleanup left resources and is an
error when what is left could not be listed. A failed lesson carries ``<failure type=... message=...>``: its error
split into the exception's name and message, and the path of its executed notebook. The suite's properties name the
lab, its backend and how the run ended; ``<system-out>`` says what was left. Only what the summary holds is written,
and the summary holds no secret.

Example:
    >>> summary = {"status": "failed", "lab_id": "team3", "backend": "sim", "started_at": "2026-11-30T22:00:00+00:00",
    ...            "duration_seconds": 9.5, "interrupted_by": None, "out_dir": "/runs/1", "left_after_cleanup": [],
    ...            "cleanup_command": "labkit cleanup --lab-id team3",
    ...            "lessons": [{"name": "02_gpu_pool_auto_driver", "status": "failed", "duration_seconds": 4.0,
    ...                         "error": "BadRequest: the VM size is not allowed"}]}
    >>> suite = junit_tree(summary).getroot()
    >>> suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")
    ('2', '1', '0', '0')
    >>> failure = suite.find("testcase/failure")
    >>> failure.get("type"), failure.get("message")
    ('BadRequest', 'the VM size is not allowed')
    >>> print(failure.text.splitlines()[-1])
    executed notebook: /runs/1/02_gpu_pool_auto_driver.ipynb
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Optional

SUITE = "labkit"
LESSON_CLASS = "labkit.lessons"
CLEANUP_CLASS = "labkit.cleanup"
CLEANUP_CASE = "nothing left after cleanup"

#: The type of a failure whose error names no exception (such as "interrupted (SIGTERM)").
UNNAMED_FAILURE = "LessonFailed"

#: "Name: message", as the runner shapes a lesson's error from the exception a cell raised.
_NAMED_ERROR = re.compile(r"(?P<name>[A-Za-z_][\w.]*): (?P<message>.*)", re.DOTALL)


def split_error(error: Optional[str]) -> tuple[str, str]:
    """A lesson's error as (name, message): ``"RuntimeError: boom"`` is ``("RuntimeError", "boom")``.

    Example:
        >>> split_error("interrupted (SIGTERM)")
        ('LessonFailed', 'interrupted (SIGTERM)')
    """
    match = _NAMED_ERROR.fullmatch(error or "")
    return (match["name"], match["message"]) if match else (UNNAMED_FAILURE, error or "")


def junit_tree(summary: dict[str, Any]) -> ET.ElementTree:
    """The JUnit XML of a run's summary (see :mod:`labkit.runner`)."""
    cases = [_lesson_case(lesson, Path(summary["out_dir"]), summary["interrupted_by"]) for lesson in summary["lessons"]]
    cases.append(_cleanup_case(summary))
    suite = ET.Element("testsuite", {
        "name": SUITE,
        "tests": str(len(cases)),
        "failures": str(sum(case.find("failure") is not None for case in cases)),
        "errors": str(sum(case.find("error") is not None for case in cases)),
        "skipped": str(sum(case.find("skipped") is not None for case in cases)),
        "time": _seconds(summary["duration_seconds"]),
        "timestamp": summary["started_at"],
    })
    properties = ET.SubElement(suite, "properties")
    for name in ("lab_id", "backend", "status", "interrupted_by"):
        if summary.get(name) is not None:
            ET.SubElement(properties, "property", {"name": name, "value": str(summary[name])})
    suite.extend(cases)
    ET.SubElement(suite, "system-out").text = _left_text(summary)
    return ET.ElementTree(suite)


def write_junit(summary: dict[str, Any], path: Path) -> Path:
    """Write the JUnit XML of ``summary`` to ``path`` (its folder made if missing); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = junit_tree(summary)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


def _lesson_case(lesson: dict[str, Any], out_dir: Path, interrupted_by: Optional[str]) -> ET.Element:
    case = ET.Element("testcase", {"classname": LESSON_CLASS, "name": lesson["name"],
                                   "time": _seconds(lesson["duration_seconds"])})
    if lesson["status"] == "failed":
        name, message = split_error(lesson["error"])
        notebook = out_dir / f"{lesson['name']}.ipynb"
        ET.SubElement(case, "failure", {"type": name, "message": message}).text = \
            f"{lesson['error']}\n\nexecuted notebook: {notebook}"
    elif lesson["status"] == "skipped":
        ET.SubElement(case, "skipped", {"message": _skip_reason(lesson["name"], interrupted_by)})
    return case


def _skip_reason(lesson: str, interrupted_by: Optional[str]) -> str:
    from labkit.runner import CLEANUP

    if interrupted_by:
        return f"not run: the run was interrupted by {interrupted_by}"
    return "not run: --keep keeps what the lab made after a failure" if lesson == CLEANUP else "not run: an earlier lesson failed"


def _cleanup_case(summary: dict[str, Any]) -> ET.Element:
    case = ET.Element("testcase", {"classname": CLEANUP_CLASS, "name": CLEANUP_CASE, "time": "0"})
    left = summary["left_after_cleanup"]
    if left is None:
        ET.SubElement(case, "error", {"type": "LeftUnknown", "message": "what is left could not be listed"}).text = \
            _left_text(summary)
    elif left:
        ET.SubElement(case, "failure", {"type": "ResourcesLeft", "message": f"left: {', '.join(left)}"}).text = \
            _left_text(summary)
    return case


def _left_text(summary: dict[str, Any]) -> str:
    left = summary["left_after_cleanup"]
    if left is None:
        return f"What is left could not be listed: run `{summary['cleanup_command']}` (add --dry-run to only list it)."
    if left:
        return "Left after the run:\n" + "".join(f"  {item}\n" for item in left) + \
            f"Remove it with `{summary['cleanup_command']}`."
    return "Nothing left after the run."


def _seconds(value: float) -> str:
    return f"{value:.3f}"
