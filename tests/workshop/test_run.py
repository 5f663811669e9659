"""labkit workshop run's scheduling, resuming, interrupts and report, with a stand-in for each attendee's labkit run."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from labkit.errors import LabConfigError
from labkit.interrupts import Interrupted
from labkit.workshop import roster
from labkit.workshop.attendees import read_attendees
from labkit.workshop.plan import plan_workshop
from labkit.workshop.progress import Line, Progress, table
from labkit.workshop.run import run_workshop
from tests.workshop.conftest import attendee_list

FAKE_LAB = Path(__file__).with_name("fake_lab.py")


def fake_run(settings_file: Path, out_dir: Path) -> list[str]:
    return [sys.executable, str(FAKE_LAB), str(settings_file), str(out_dir)]


def planned(tmp_path, *names):
    source = attendee_list(tmp_path, *names)
    return plan_workshop(read_attendees(source), {}, tmp_path / "ws", source=source, say=lambda _: None)


def run(workshop, progress=None, **options):
    progress = progress or Progress(io.StringIO(), live=False)
    return run_workshop(workshop, parallel=options.pop("parallel", 2), progress=progress, command=fake_run, **options)


def rows(report):
    return {row["lab_id"]: row for row in report["attendees"]}


def test_a_passed_attendee_is_never_run_again_and_a_failed_one_only_on_request(on_sim, tmp_path):
    workshop = planned(tmp_path, "Pass One", "Fail Two")
    first = rows(run(workshop))
    assert (first["passone"]["status"], first["failtwo"]["status"]) == ("passed", "failed")
    assert (first["failtwo"]["lesson"], first["failtwo"]["run_dir"]) == ("02_gpu_pool_auto_driver", "runs/failtwo-1")
    assert first["passone"]["gpus"] == ["aks1 (pool p1): 1"] and first["passone"]["left"] == []
    again = io.StringIO()
    second = rows(run(workshop, Progress(again, live=False)))
    assert "nothing to run: every attendee's lab ran before, and 1 failed (--retry-failed runs those again)" in again.getvalue()
    assert second == first
    third = rows(run(workshop, retry_failed=True))
    assert (third["passone"]["attempts"], third["failtwo"]["attempts"], third["failtwo"]["run_dir"]) == (1, 2, "runs/failtwo-2")
    assert (tmp_path / "ws" / "runs" / "failtwo-1" / "summary.json").exists()


def test_an_interrupt_reaches_every_running_lab_starts_no_other_and_the_report_is_written(on_sim, tmp_path):
    workshop = planned(tmp_path, "Slow One", "Slow Two", "Pass Three")

    class InterruptWhenBothWait(Progress):
        def event(self, line, what):
            super().event(line, what)
            waiting.add(line.lab_id) if what == "00_prerequisites" else None
            if waiting == {"slowone", "slowtwo"} and not sent:
                sent.append(os.kill(os.getpid(), signal.SIGTERM))

    waiting, sent, shown = set(), [], io.StringIO()
    with pytest.raises(Interrupted) as caught:
        run(workshop, InterruptWhenBothWait(shown, live=False))
    report = json.loads((tmp_path / "ws" / "report.json").read_text())
    assert report == caught.value.summary and report["status"] == "interrupted" and report["interrupted_by"] == "SIGTERM"
    statuses = {lab_id: (row["status"], row["error"]) for lab_id, row in rows(report).items()}
    assert statuses == {"slowone": ("interrupted", "interrupted (SIGTERM)"), "slowtwo": ("interrupted", "interrupted (SIGTERM)"),
                        "passthree": ("not run", None)}
    assert "SIGTERM: no new lab starts; the 2 running stop their lesson and clean up" in shown.getvalue()
    resumed = rows(run(workshop))
    assert [(row["status"], row["attempts"]) for row in resumed.values()] == [("passed", 2), ("passed", 2), ("passed", 1)]


def test_the_html_report_escapes_what_it_shows(on_sim, tmp_path):
    workshop = planned(tmp_path, "Fail & <b>Co</b>")
    run(workshop)
    page = (tmp_path / "ws" / "report.html").read_text()
    assert "Fail &amp; &lt;b&gt;Co&lt;/b&gt;" in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in page
    assert "<script>" not in page and "<b>" not in page
    assert '<td>02_gpu_pool_auto_driver</td>' in page and 'href="runs/failbcob-1/report.md"' in page


def test_a_lab_that_ends_without_a_summary_is_a_failure_whose_leftovers_are_unknown(on_sim, tmp_path):
    workshop = planned(tmp_path, "Crash")
    shown = io.StringIO()
    row = rows(run(workshop, Progress(shown, live=False)))["crash"]
    assert (row["status"], row["error"], row["left"]) == ("failed", "Error: something broke", None)
    assert "Crash (crash): failed: Error: something broke; what is left is unknown" in shown.getvalue()
    assert "Something may be left: <code>labkit workshop cleanup --workshop" in (tmp_path / "ws" / "report.html").read_text()


def test_a_lab_whose_parameters_labkit_run_refuses_is_a_failure_that_left_nothing(on_sim, tmp_path):
    workshop = planned(tmp_path, "Refused")
    shown = io.StringIO()
    row = rows(run(workshop, Progress(shown, live=False)))["refused"]
    assert (row["status"], row["left"]) == ("failed", [])  # exit 2: refused before anything was created
    assert "Refused (refused): failed: Error: vm_size 'Standard_X' is not a GPU size labkit knows; nothing left" in shown.getvalue()


def test_more_labs_at_once_than_the_quota_takes_stop_before_any_starts(on_sim, tmp_path):
    workshop = planned(tmp_path, *[f"Attendee {n}" for n in "ABCDEFG"])
    with pytest.raises(LabConfigError) as caught:
        run(workshop, parallel=7)
    assert str(caught.value).startswith("--parallel 7 runs 7 labs at once: standardNCASv3_T4Family in eastus: 7 labs need "
                                        "56 vCPUs, 48 free")
    assert str(caught.value).endswith("Run --parallel 6, or raise the quota.")
    assert not (tmp_path / "ws" / "runs").exists()


def test_one_run_of_a_workshop_at_a_time(on_sim, tmp_path):
    workshop = planned(tmp_path, "Pass One")
    with roster.running(workshop.folder), pytest.raises(LabConfigError, match="is in use by another labkit workshop run"):
        run(workshop)


def test_the_live_table_shows_the_running_attendees_and_counts_when_the_class_is_taller_than_the_terminal():
    lines = [Line(f"Attendee {n}", f"lab{n}", status="passed", seconds=65) for n in range(10)]
    lines[3] = Line("Attendee 3", "lab3", "02_gpu_pool_auto_driver", "running", started=100.0)
    assert table(lines, 112.0, height=40).splitlines()[1].split() == ["Attendee", "0", "lab0", "passed", "1:05"]
    short = table(lines, 112.0, height=5).splitlines()
    assert short[1:] == ["Attendee 3  lab3              02_gpu_pool_auto_driver     running      0:12", "9 passed, 1 running"]
