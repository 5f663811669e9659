"""The options every command that takes lesson parameters shares: ``--backend``, ``-p NAME=VALUE``, ``--params-file``."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import click

from labkit.errors import LabConfigError, LabError
from labkit.exits import RunExit


class Refused(click.ClickException):
    """Parameters or options refused before anything was created: one line, and its own exit status."""

    exit_code = RunExit.PARAMETERS_REFUSED


@contextmanager
def one_line_errors() -> Iterator[None]:
    """labkit's own errors raised inside, as a command's one line: refused parameters or options exit 2
    (:class:`Refused`), any other :class:`~labkit.errors.LabError` 1."""
    try:
        yield
    except LabConfigError as error:
        raise Refused(str(error)) from None
    except LabError as error:
        raise click.ClickException(str(error)) from None


def lesson_values(options: tuple[str, ...], params_file: Optional[Path], backend: Optional[str]) -> dict[str, Any]:
    """Lesson parameters from ``--params-file``, then ``-p NAME=VALUE`` options, then ``--backend``."""
    from labkit.params import read_params_file

    values = read_params_file(params_file) if params_file else {}
    for item in options:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="-p")
        values[name.strip()] = value
    if backend:
        values["backend"] = backend
    return values


def parameter_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add --backend, -p NAME=VALUE and --params-file to a command; read them with :func:`lesson_values`."""
    for option in reversed([
        click.option("--backend", type=click.Choice(["sim", "azure"]), default=None, help="Where to run (default: the lab's setting, else sim)."),
        click.option("-p", "--parameter", "parameters", multiple=True, metavar="NAME=VALUE", help="A lesson parameter; repeatable."),
        click.option("--params-file", type=click.Path(dir_okay=False, path_type=Path), help="YAML file of lesson parameters."),
    ]):
        command = option(command)
    return command
