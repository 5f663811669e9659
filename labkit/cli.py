"""The ``labkit`` command: ``labkit run`` for the lab, ``labkit sim ...`` for the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import click

from labkit import manifests
from labkit.sim import faults, service

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


@main.command()
@click.option("--backend", type=click.Choice(["sim", "azure"]), default=None, help="Where to run (default: sim).")
@click.option("-p", "--parameter", "parameters", multiple=True, metavar="NAME=VALUE", help="A lesson parameter; repeatable.")
@click.option("--params-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="YAML file of parameters.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Where executed notebooks go (default runs/<timestamp>).")
@click.option("--keep", is_flag=True, help="Do not run the clean-up lesson after a failure.")
def run(backend: Optional[str], parameters: tuple[str, ...], params_file: Optional[Path], out_dir: Optional[Path], keep: bool) -> None:
    """Run the lessons in order with papermill; exits non-zero when a lesson fails."""
    import yaml

    from labkit.errors import LabConfigError
    from labkit.runner import default_out_dir, point_latest, run_lab

    values = dict(yaml.safe_load(params_file.read_text()) or {}) if params_file else {}
    for item in parameters:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="-p")
        values[name.strip()] = value
    if backend:
        values["backend"] = backend
    try:
        summary = run_lab(values, out_dir=out_dir or default_out_dir(), keep=keep, say=click.echo)
    except LabConfigError as error:
        raise click.ClickException(str(error)) from None
    if out_dir is None:
        point_latest(Path(summary["out_dir"]))
    click.echo(f"{summary['status']}: executed notebooks, summary.json and report.md in {summary['out_dir']}")
    if summary["status"] != "passed":
        raise SystemExit(1)


@main.command()
@click.argument("name", type=click.Choice(sorted(p.name for p in manifests.MANIFEST_DIR.glob("*.yaml"))))
@click.option("--namespace", default="gpu-resources", show_default=True, help="plugin_namespace")
@click.option("--gpu-resource-name", default="microsoft.com/directx", show_default=True, help="gpu_resource_name")
@click.option("--windows-image-tag", default="ltsc2022", show_default=True, help="servercore tag of the nodes' Windows version")
def manifest(name: str, namespace: str, gpu_resource_name: str, windows_image_tag: str) -> None:
    """Print a manifest with the lesson's values, for `| kubectl apply -f -`."""
    click.echo(manifests.dump(manifests.load(name, namespace=namespace, gpu_resource_name=gpu_resource_name,
                                             windows_image_tag=windows_image_tag)), nl=False)
