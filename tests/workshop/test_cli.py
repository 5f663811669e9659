"""``labkit workshop``'s exit statuses: those of ``labkit run``, over a class."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from labkit.cli import main
from labkit.errors import LabConfigError, Problem
from labkit.exits import RunExit
from labkit.workshop import roster, run
from labkit.workshop.roster import Workshop


def row(lab_id: str, status: str, left) -> dict:
    return {"lab_id": lab_id, "status": status, "left": left, "attempts": 1}


@pytest.fixture
def workshop_run(monkeypatch, tmp_path):
    """``labkit workshop run`` on a folder whose run ends with the report (or the error) a test gives."""

    def invoke(outcome) -> tuple[int, str]:
        def run_workshop(*_, **__):
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        monkeypatch.setattr(roster, "load", lambda folder: Workshop(Path(folder), ()))
        monkeypatch.setattr(run, "run_workshop", run_workshop)
        result = CliRunner().invoke(main, ["workshop", "run", "--workshop", str(tmp_path)], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def report(*rows: dict) -> dict:
    counts: dict[str, int] = {}
    for each in rows:
        counts[each["status"]] = counts.get(each["status"], 0) + 1
    status = "passed" if counts.get("passed") == len(rows) else "failed"
    return {"status": status, "counts": counts, "attendees": list(rows)}


@pytest.mark.parametrize("rows, code", [
    ([row("ada", "passed", []), row("bob", "passed", [])], RunExit.PASSED),
    ([row("ada", "passed", []), row("bob", "failed", [])], RunExit.LESSON_FAILED),
    ([row("ada", "passed", []), row("bob", "failed", ["pool gpu02a in rg/aks (Succeeded)"])], RunExit.RESOURCES_LEFT),
    ([row("ada", "passed", []), row("bob", "failed", None)], RunExit.RESOURCES_LEFT),  # unknown: may be left
], ids=["all-passed", "one-failed-clean", "one-left-a-pool", "one-unknown"])
def test_a_class_run_exits_as_a_lab_run_does(workshop_run, rows, code):
    exit_code, output = workshop_run(report(*rows))
    assert exit_code == code, output
    assert ("labkit workshop cleanup" in output) == (code == RunExit.RESOURCES_LEFT)


def test_a_class_refused_before_any_lab_starts_exits_2_with_the_one_line(workshop_run):
    refused = LabConfigError([Problem("--parallel", 6, "runs 6 labs at once: 96 vCPUs needed, 48 free",
                                      "every lab's pools need their vCPUs free when they are created", "Run --parallel 3.")])
    exit_code, output = workshop_run(refused)
    assert exit_code == RunExit.PARAMETERS_REFUSED
    assert output.startswith("Error: --parallel") and "Run --parallel 3." in output
