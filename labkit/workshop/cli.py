"""``labkit workshop plan|run|status|cleanup``: a class's labs, planned, rehearsed, watched and swept."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from labkit.exits import RunExit
from labkit.options import lesson_values, one_line_errors, parameter_options
from labkit.workshop.report import holding, record_left

_WORKSHOP = click.option("--workshop", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("workshop"),
                         show_default=True, help="The workshop folder (what plan writes and the others read).")


@click.group()
def workshop() -> None:
    """An instructor's class: plan its labs, rehearse or smoke-test them, watch them, sweep them."""


@workshop.command()
@click.argument("attendees", type=click.Path(dir_okay=False, path_type=Path))
@_WORKSHOP
@parameter_options
def plan(attendees: Path, folder: Path, backend: Optional[str], parameters: tuple[str, ...], params_file: Optional[Path]) -> None:
    """Plan a lab for every attendee of ATTENDEES (CSV or YAML) into a new workshop folder.

    -p and --params-file set the class's lesson parameters (its cluster, size...); an attendee's own
    subscription_id, resource_group and cluster_name columns win for them.
    """
    from labkit.workshop.attendees import read_attendees
    from labkit.workshop.plan import plan_workshop

    with one_line_errors():
        plan_workshop(read_attendees(attendees), lesson_values(parameters, params_file, backend), folder,
                      source=attendees, say=click.echo)


@workshop.command("run")
@_WORKSHOP
@click.option("--parallel", type=click.IntRange(min=1), default=4, show_default=True, help="Labs running at once.")
@click.option("--retry-failed", is_flag=True, help="Run again the attendees whose lab failed last time.")
def run_command(folder: Path, parallel: int, retry_failed: bool) -> None:
    """Run every attendee's lab (a rehearsal on the simulator, a smoke test on Azure), PARALLEL at a time.

    Attendees who passed in an earlier run are not run again. Writes report.html and report.json in the folder.
    Exits as labkit run does: 0 every attendee passed, 1 some failed, 2 refused before any lab started, 3 some lab
    left something (or may have), 130 interrupted.
    """
    from labkit.interrupts import Interrupted
    from labkit.workshop import roster
    from labkit.workshop.progress import Progress
    from labkit.workshop.run import run_workshop

    try:
        with one_line_errors():
            workshop = roster.load(folder)
            report = run_workshop(workshop, parallel=parallel, retry_failed=retry_failed,
                                  progress=Progress(sys.stdout, live=sys.stdout.isatty()))
    except Interrupted as stop:
        _tell(stop.summary, workshop.folder, err=True)
        raise SystemExit(RunExit.INTERRUPTED) from None
    _tell(report, workshop.folder)
    if holding(report):
        raise SystemExit(RunExit.RESOURCES_LEFT)
    if report["status"] != "passed":
        raise SystemExit(RunExit.LESSON_FAILED)


def _tell(report: dict, folder: Path, *, err: bool = False) -> None:
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report["counts"].items()))
    left = holding(report)
    sweep = f"; something may be left by {', '.join(left)}: `labkit workshop cleanup --workshop {folder}`" if left else ""
    click.echo(f"{report['status']}: {counts}{sweep}. Report: {folder / 'report.html'}", err=err)


@workshop.command()
@_WORKSHOP
def status(folder: Path) -> None:
    """What each attendee's lab holds now (found by its lab id), how far that shows they got, and their last run."""
    from labkit.workshop import report, roster
    from labkit.workshop.inventory import class_items, reached

    with one_line_errors():
        workshop = roster.load(folder)
        found, notes = class_items(workshop)
        params = {seat.lab_id: workshop.params(seat, pool_rules=False) for seat in workshop.seats}
    last = report.previous_rows(workshop.folder)
    for note in notes:
        click.echo(note)
    width = max(len(seat.name) for seat in workshop.seats)
    click.echo(f"{'attendee':{width}}  {'lab id':16}  {'last run':11}  {'reached':26}  holds now")
    for seat in workshop.seats:
        items = found[seat.lab_id]
        holds = ", ".join(str(entry.item) for entry in items) or "nothing"
        run = last.get(seat.lab_id, {}).get("status", "not run")
        click.echo(f"{seat.name:{width}}  {seat.lab_id:16}  {run:11}  {reached(items, params[seat.lab_id]):26}  {holds}")
    holding = sum(bool(items) for items in found.values())
    click.echo(f"{holding} of {len(workshop.seats)} labs hold something"
               + (f"; `labkit workshop cleanup --workshop {folder}` removes it all" if holding else ""))


@workshop.command("cleanup")
@_WORKSHOP
@click.option("--dry-run", is_flag=True, help="Only list what would be removed, with the commands that would do it.")
@click.option("--yes", is_flag=True, help="Do not ask before removing.")
def cleanup_command(folder: Path, dry_run: bool, yes: bool) -> None:
    """Remove everything every attendee's lab holds (and nothing of any other lab).

    Exits 0 when nothing of the class is left, 3 when something is (or a cluster could not be listed), 2 when the
    folder is refused."""
    from labkit.workshop import roster

    with one_line_errors():
        workshop = roster.load(folder)
        with roster.running(workshop.folder):
            unclean = _sweep(workshop, dry_run=dry_run, yes=yes)
    if unclean:
        raise SystemExit(RunExit.RESOURCES_LEFT)


def _sweep(workshop, *, dry_run: bool, yes: bool) -> bool:
    """List the class's resources and (unless ``dry_run``) remove them; True when something may be left."""
    from labkit.commands import removal
    from labkit.workshop.inventory import class_items, sweep

    found, notes = class_items(workshop)
    entries = [entry for items in found.values() for entry in items]
    for note in notes:
        click.echo(note)
    click.echo(f"the class's {len(workshop.seats)} labs hold " + (f"{len(entries)} things:" if entries else "nothing"))
    click.echo("".join(f"  {entry.item} (lab {entry.item.lab})\n" for entry in entries), nl=False)
    if dry_run and entries:
        click.echo("dry run: nothing removed. By hand, the same would be:\n" + removal([entry.item for entry in entries]))
    if dry_run:
        return bool(notes)
    left: dict[str, list[str]] = {}
    if entries:
        if not yes:
            click.confirm(f"Remove these {len(entries)}, of {sum(bool(items) for items in found.values())} attendees' labs?",
                          abort=True)
        left = sweep(workshop, found, say=click.echo)
        still = [f"{item} (lab {lab_id})" for lab_id, items in left.items() for item in items]
        click.echo("removed; a fresh listing finds " + (f"still: {', '.join(still)}" if still else "nothing left."))
    if not notes:  # every cluster was listed: the report's rows can say what the labs hold now
        record_left(workshop, left)
    return bool(left or notes)
