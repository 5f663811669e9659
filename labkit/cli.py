"""The ``labkit`` command: ``labkit run`` for the lab, ``labkit sim ...`` for the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import click

from labkit.sim import service

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
@click.option("--time-scale", type=float, default=None, help="Real seconds per Azure second (default 1/300).")
def start(state_dir: Optional[Path], time_scale: Optional[float]) -> None:
    """Start the simulator in the background (does nothing if it already runs)."""
    info = service.start(state_dir, time_scale=time_scale)
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
