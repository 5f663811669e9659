"""The ``labkit`` command: ``labkit run``, ``prepare``, ``cleanup`` and ``settings`` for a lab, ``labkit lessons`` and
``labkit jupyter`` for your copies of the lessons, ``labkit workshop ...`` for a class, ``labkit sim ...`` for the
simulator."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

import click

from labkit import copies, manifests
from labkit.exits import RunExit, help_table, run_exit_status
from labkit.options import Refused, lesson_values, one_line_errors, parameter_options
from labkit.sim import faults, service
from labkit.text_table import fixed_width

_STATE_DIR = click.option(
    "--state-dir", type=click.Path(path_type=Path), default=None,
    help="Where the simulator keeps its state (default: $LABKIT_STATE_DIR or ~/.cache/labkit/sim).",
)


@click.group()
def main() -> None:
    """labkit: run the Windows GPU on AKS lab, and its local AKS simulator."""


@main.group()
def sim() -> None:
    """The local AKS simulator (the default backend)."""


@sim.command()
@_STATE_DIR
@click.option("--time-scale", type=float, default=None, help="Real seconds per Azure second (default 1/600).")
def start(state_dir: Optional[Path], time_scale: Optional[float]) -> None:
    """Start the simulator in the background (does nothing if it already runs)."""
    try:
        info = service.start(state_dir, time_scale=time_scale)
    except service.SimServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"simulator running at {info['arm_endpoint']} (pid {info['pid']}); state in {info['state_dir']}")


@sim.command()
@_STATE_DIR
def stop(state_dir: Optional[Path]) -> None:
    """Stop the simulator; its state is kept for the next start."""
    click.echo("simulator stopped" if service.stop(state_dir) else "simulator was not running")


@sim.command()
@_STATE_DIR
def reset(state_dir: Optional[Path]) -> None:
    """Keep a copy of the simulator's state (state-<time>.bak/ in its state dir) and start it clean."""
    try:
        backup = service.reset(state_dir)
        info = service.status(state_dir)
    except service.SimServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"state kept in {backup}; simulator running clean at {info['arm_endpoint']} (pid {info['pid']})")


@sim.command()
@_STATE_DIR
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def status(state_dir: Optional[Path], as_json: bool) -> None:
    """Say whether the simulator runs, and how to reach it."""
    info = service.status(state_dir)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    if not info["running"]:
        click.echo(f"simulator not running (state in {info['state_dir']}); start it with `labkit sim start`")
        raise SystemExit(3)
    for key in ("arm_endpoint", "subscription_id", "resource_group", "cluster_name", "kubeconfig", "ca_file", "state_dir"):
        click.echo(f"{key:16} {info[key]}")


@sim.command()
@_STATE_DIR
def kubeconfig(state_dir: Optional[Path]) -> None:
    """Print the path of a kubeconfig for kubectl: export KUBECONFIG=$(labkit sim kubeconfig)."""
    try:
        click.echo(service.write_kubeconfig(state_dir))
    except service.SimServiceError as error:
        raise click.ClickException(str(error)) from None


@sim.command("az-login")
@_STATE_DIR
@click.option("--az", "az_program", default=None, help="The az program (default: $LABKIT_AZ, else az on PATH).")
def az_login(state_dir: Optional[Path], az_program: Optional[str]) -> None:
    """Sign the real az CLI in to the simulator, in a configuration of its own; prints the export lines to use it.

    In a terminal: eval "$(labkit sim az-login)". Your own az login (~/.azure) is not touched.
    """
    from labkit.sim.az_login import AzLoginError, sign_in

    try:
        info = service.start(state_dir)
        config = sign_in(Path(info["state_dir"]), info["arm_endpoint"], az=az_program)
    except (service.SimServiceError, AzLoginError) as error:
        raise click.ClickException(str(error)) from None
    click.echo("\n".join(config.exports()))
    click.echo(f"# az is signed in to the simulator at {info['arm_endpoint']} (subscription {info['subscription_id']}) "
               f"in {config.config_dir}", err=True)


@sim.command()
@_STATE_DIR
@click.option("--since", metavar="DURATION", help="Only the requests of the last DURATION, e.g. 90s, 5m or 2h.")
@click.option("--by", type=click.Choice(["step", "route"]), default="step", show_default=True,
              help="Count by the step a client labelled (User-Agent labkit-step/NAME) and client, or by route.")
@click.option("--list", "as_list", is_flag=True, help="One line per request instead, as they came (like az --debug).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def requests(state_dir: Optional[Path], since: Optional[str], by: str, as_list: bool, as_json: bool) -> None:
    """Which requests the simulator answered, from its access log: counted by step or route, or listed."""
    from labkit.sim import access_log

    entries = access_log.read(state_dir or service.default_state_dir(), since=_since(since))
    rows = entries if as_list else access_log.summary(entries, by)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif as_list:
        for e in rows:
            click.echo(f"{e['time']}  {e['client']:9} {e['step'] or '-':18} {e['status']}  {e['ms']:>7.1f} ms  "
                       f"{e['method']:6} {e['path']}" + (f"?api-version={e['api_version']}" if e["api_version"] else ""))
    else:
        names = ["step", "client"] if by == "step" else ["client", "method", "route"]
        columns = names + ["requests", "arm", "kubernetes", "sign_in", "errors"]
        table = [[str(row[c] if row[c] is not None else "-") for c in columns] for row in rows]
        click.echo(fixed_width([[c.upper() for c in columns]] + table))


def _since(text: Optional[str]) -> Optional[float]:
    import re
    import time

    if text is None:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smh])", text.strip())
    if match is None:
        raise click.BadParameter(f"{text!r} is not a duration such as 90s, 5m or 2h", param_hint="--since")
    return time.time() - float(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2]]


@sim.group()
def fault() -> None:
    """Failures to practise: switch a scenario on (add), see them (list), switch all off (clear)."""


@fault.command("add")
@_STATE_DIR
@click.argument("kind", type=click.Choice(sorted(faults.KINDS)))
@click.option("--family", help="quota: the vCPU quota family, e.g. standardNCASv3_T4Family, or cores for the region.")
@click.option("--limit", type=int, help="quota: the family's vCPU limit (default 0).")
@click.option("--pool", help="pool-failure: the pool that fails (default: the next one created).")
@click.option("--times", type=int, help="throttle, server-error: how many requests get the error.")
@click.option("--status", type=click.Choice(["500", "503"]), help="server-error: the HTTP status (default 503).")
@click.option("--retry-after", type=int, help="throttle: the Retry-After seconds (default 1).")
@click.option("--feature", help="feature-stuck: the preview feature (default WindowsGPUPreview).")
def fault_add(state_dir: Optional[Path], kind: str, status: Optional[str], **options) -> None:
    """Switch a failure scenario on; it applies to the next requests, even of a running simulator."""
    if status is not None:
        options["status"] = int(status)
    try:
        added = faults.add(state_dir or service.default_state_dir(), kind,
                           **{k: v for k, v in options.items() if v is not None})
    except faults.FaultError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"fault {added['id']} on: {_describe(added)}")


@fault.command("list")
@_STATE_DIR
def fault_list(state_dir: Optional[Path]) -> None:
    """Show the scenarios switched on."""
    active = faults.read(state_dir or service.default_state_dir())
    for item in active:
        click.echo(f"{item['id']}: {_describe(item)}")
    if not active:
        click.echo("no faults: the simulator behaves like a healthy subscription")


@fault.command("clear")
@_STATE_DIR
def fault_clear(state_dir: Optional[Path]) -> None:
    """Switch every scenario off."""
    click.echo(f"{faults.clear(state_dir or service.default_state_dir())} fault(s) cleared")


def _describe(item: dict) -> str:
    options = ", ".join(f"{k}={v}" for k, v in item.items() if k not in ("id", "kind"))
    return f"{item['kind']} ({options})" if options else item["kind"]


@main.group("settings")
def settings_group() -> None:
    """Your lab's settings, which every lesson reads."""


@settings_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def settings_load(file: Path) -> None:
    """Make the parameters in FILE your lab's settings, and that lab yours (a workshop attendee's settings file)."""
    from dataclasses import replace

    from labkit import settings
    from labkit.errors import LabConfigError
    from labkit.params import lab_params, read_params_file

    try:
        params = lab_params(read_params_file(file))
    except LabConfigError as error:
        error = LabConfigError([replace(p, param="FILE") if p.param == "--params-file" else p for p in error.problems])
        raise Refused(str(error)) from None
    click.echo(f"lab {params.lab_id}: settings saved in {settings.save(vars(params))}; every lesson reads them "
               "(a value set in a lesson wins there)")
    chosen = os.environ.get(settings.LAB_ID_ENV)
    if chosen and chosen != params.lab_id:
        click.echo(f"${settings.LAB_ID_ENV} is {chosen}, so the lessons use lab {chosen}: unset it to use {params.lab_id}", err=True)


@main.command(epilog="\b\n" + help_table())
@parameter_options
@click.option("--out", "out_dir", metavar="DIR", help="A new or empty folder for the executed notebooks (default runs/<time>-<lab id>).")
@click.option("--keep", is_flag=True, help="Do not run the clean-up lesson after a failure.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the run as JUnit XML to this file, for CI (also after a failure or an interrupt).")
def run(backend: Optional[str], parameters: tuple[str, ...], params_file: Optional[Path], out_dir: Optional[str], keep: bool,
        junit_file: Optional[Path]) -> None:
    """Run the lessons in order with papermill; the exit status says how the run ended (below)."""
    from labkit.errors import LabConfigError, Problem
    from labkit.interrupts import Interrupted
    from labkit.runner import point_latest, run_lab

    try:
        if out_dir is not None and not out_dir.strip():
            raise LabConfigError([Problem("--out", out_dir, "is empty", "--out names the folder a run is written to",
                                          "Name a new folder, or leave --out out for runs/<time>-<lab id>.")])
        summary = run_lab(lesson_values(parameters, params_file, backend), out_dir=Path(out_dir) if out_dir else None,
                          keep=keep, say=click.echo)
    except LabConfigError as error:
        raise Refused(str(error)) from None
    except Interrupted as stop:
        summary = stop.summary
        _write_junit(summary, junit_file)
        left = summary["left_after_cleanup"]
        what = "nothing is left" if left == [] else f"left: {', '.join(left)}; remove it with `{summary['cleanup_command']}`" if left \
            else f"what is left is unknown: run `{summary['cleanup_command']}`"
        click.echo(f"interrupted by {stop.signal_name}: {what}. Summary and report in {summary['out_dir']}", err=True)
        raise SystemExit(RunExit.INTERRUPTED) from None
    _write_junit(summary, junit_file)
    if out_dir is None:
        point_latest(Path(summary["out_dir"]))
    click.echo(f"{summary['status']}: executed notebooks, summary.json and report.md in {summary['out_dir']}")
    exit_status = run_exit_status(summary)
    if exit_status == RunExit.RESOURCES_LEFT:
        left = summary["left_after_cleanup"]
        what = f"left: {', '.join(left)}; remove it" if left else "what is left could not be listed; list and remove it"
        click.echo(f"{what} with `{summary['cleanup_command']}`", err=True)
    raise SystemExit(exit_status)


def _write_junit(summary: dict[str, Any], junit_file: Optional[Path]) -> None:
    if junit_file is not None:
        from labkit.junit import write_junit

        write_junit(summary, junit_file)


@main.command()
@click.argument("lesson")
@parameter_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A new or empty folder for the executed lessons (default runs/<time>-<lab id>-prepare-<NN>).")
def prepare(lesson: str, backend: Optional[str], parameters: tuple[str, ...], params_file: Optional[Path],
            out_dir: Optional[Path]) -> None:
    """Bring your lab to the state LESSON (04, say) starts from: the lessons before it, run unattended."""
    from labkit import prepare as preparing
    from labkit.errors import LabConfigError
    from labkit.interrupts import Interrupted

    try:
        target = preparing.lesson_named(lesson)
        summary = preparing.prepare(lesson_values(parameters, params_file, backend), target, out_dir=out_dir, say=click.echo)
    except LabConfigError as error:
        raise Refused(str(error)) from None
    except Interrupted as stop:
        click.echo(f"interrupted by {stop.signal_name}: {_holdings(stop.summary)}. The lessons run are in "
                   f"{stop.summary['out_dir']}", err=True)
        raise SystemExit(RunExit.INTERRUPTED) from None
    if summary is None:
        return
    ran = ", ".join(f"{o['name']} {o['status']}" for o in summary["lessons"])
    failed = next((o for o in summary["lessons"] if o["status"] == "failed"), None)
    if failed:
        click.echo(f"not ready for {target}: {failed['name']} failed: {failed['error']}\n{_holdings(summary)}; nothing "
                   f"was removed. The executed lessons are in {summary['out_dir']}.", err=True)
        raise SystemExit(1)
    click.echo(f"ready for {target}: ran {ran}; {_holdings(summary)}. The executed lessons are in {summary['out_dir']}.\n"
               f"Open {target}.ipynb and go on from there.")


def _holdings(summary: dict[str, Any]) -> str:
    held = summary["left_after_cleanup"]
    if held is None:
        return f"what your lab holds could not be listed (`{summary['cleanup_command']} --dry-run` lists it)"
    return "your lab holds " + (", ".join(held) if held else "nothing yet")


@main.command()
@parameter_options
@click.option("--lab-id", default=None, help="The lab to clean up (default: yours).")
@click.option("--all-labs", is_flag=True, help="Every lab's resources (instructors); asks first.")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.option("--yes", is_flag=True, help="Do not ask before --all-labs removes everything.")
def cleanup(backend: Optional[str], parameters: tuple[str, ...], params_file: Optional[Path], lab_id: Optional[str],
            all_labs: bool, dry_run: bool, yes: bool) -> None:
    """Remove everything a lab created, found by its lab id in Azure and the cluster.

    Exits 0 when nothing of the lab is left, 3 when something is, 2 when the parameters are refused."""
    values = lesson_values(parameters, params_file, backend)
    if lab_id:
        values["lab_id"] = lab_id
    with one_line_errors():
        _cleanup(values, all_labs=all_labs, dry_run=dry_run, yes=yes)


def _cleanup(values: dict[str, Any], *, all_labs: bool, dry_run: bool, yes: bool) -> None:
    from labkit import cleanup as lab_cleanup, ledger
    from labkit.commands import removal
    from labkit.lab import Lab
    from labkit.params import lab_params

    lab = Lab(lab_params(values, pool_rules=False))
    found = ledger.find(lab, all_labs=all_labs)
    whose = "every lab" if all_labs else f"lab {lab.params.lab_id}"
    click.echo(f"{whose} in subscription {lab.backend.subscription_id}: " + ("nothing" if not found else f"{len(found)} found"))
    click.echo("".join(f"  {item}\n" for item in found), nl=False)
    others = [] if all_labs else lab_cleanup.other_labs_pools(lab)
    if others:
        click.echo("other labs' pools, left alone:\n" + "".join(f"  {item} (lab {item.lab})\n" for item in others), nl=False)
    if not found:
        return
    if dry_run:
        click.echo("dry run: nothing removed. By hand, the same would be:\n" + removal(found))
        return
    if all_labs and not yes:
        click.confirm(f"Remove these {len(found)}, of every lab?", abort=True)
    lab_cleanup.cleanup(lab, all_labs=all_labs)
    left = [str(item) for item in ledger.find(lab, all_labs=all_labs)]
    click.echo("removed; a fresh listing finds " + (f"still: {', '.join(left)}" if left else "nothing left."))
    if left:
        raise SystemExit(RunExit.RESOURCES_LEFT)


@main.command()
@click.argument("name", type=click.Choice(sorted(p.name for p in manifests.MANIFEST_DIR.glob("*.yaml"))))
@click.option("--namespace", default=manifests.SHIPPED_NAMESPACE, show_default=True, help="the lab's namespace")
@click.option("--lab-id", default=None, help="label every object as this lab's (labkit.io/lab)")
@click.option("--pool", default=None, help="run the pods on this pool's nodes only")
@click.option("--gpu-resource-name", default=manifests.SHIPPED_RESOURCE, show_default=True, help="gpu_resource_name")
@click.option("--windows-image-tag", default=manifests.SHIPPED_IMAGE_TAG, show_default=True,
              help="servercore tag of the nodes' Windows version")
def manifest(name: str, namespace: str, lab_id: Optional[str], pool: Optional[str], gpu_resource_name: str, windows_image_tag: str) -> None:
    """Print a manifest with the lesson's values, for `| kubectl apply -f -`."""
    click.echo(manifests.dump(manifests.load(name, namespace=namespace, gpu_resource_name=gpu_resource_name,
                                             windows_image_tag=windows_image_tag, lab_id=lab_id, node_pool=pool)), nl=False)


_LESSONS_DIR = click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=copies.DEFAULT_DIR)


@main.command()
@_LESSONS_DIR
def lessons(folder: Path) -> None:
    """Make your working copies of the lessons and manifests in FOLDER (default my-lessons); yours are never
    overwritten without asking."""
    _make_copies(folder)
    click.echo(f"Open them with `labkit jupyter {folder}`.")


@main.command(context_settings={"ignore_unknown_options": True})
@_LESSONS_DIR
@click.argument("jupyter_options", nargs=-1, type=click.UNPROCESSED)
def jupyter(folder: Path, jupyter_options: tuple[str, ...]) -> None:
    """Open JupyterLab on your copies of the lessons in FOLDER (made if missing), with IPC kernels.

    Options after the folder go to JupyterLab, e.g. `labkit jupyter my-lessons --port 8890`.
    """
    from labkit.notebook_server import open_jupyterlab

    _make_copies(folder)
    open_jupyterlab(folder, jupyter_options)


def _make_copies(folder: Path) -> None:
    ask = sys.stdin.isatty()

    def replace(name: str) -> bool:
        return ask and click.confirm(f"{name}: the lesson has changed since your copy was made, and you changed your copy. "
                                     "Replace it (yours is kept beside it)?", default=False)

    outcomes = copies.make_copies(folder, replace=replace)
    for outcome in outcomes:
        if outcome.action != "unchanged":
            click.echo(f"  {outcome}")
    click.echo(f"Your copies of the lessons are in {folder}/ ({len(outcomes)} files).")


def _register_groups() -> None:
    from labkit.workshop.cli import workshop

    main.add_command(workshop)


_register_groups()
