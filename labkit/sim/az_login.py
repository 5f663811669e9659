"""``labkit sim az-login``: the real ``az`` CLI signed in to the simulator, in a configuration of its own.

Everything az keeps lives in ``<state dir>/az`` (``AZURE_CONFIG_DIR``), made anew on every sign-in, so a user's own
``az`` login in ``~/.azure`` is never read or touched. With that folder and a CA bundle that trusts the simulator
(``REQUESTS_CA_BUNDLE``: the usual public CAs plus the simulator's), it runs::

    az config set core.instance_discovery=false core.collect_telemetry=false core.survey_message=false
    az cloud register --name LabkitSimulator --endpoint-resource-manager https://127.0.0.1:<port>
    az cloud set --name LabkitSimulator
    az login --service-principal --username <client id> --password @<state dir>/client-secret --tenant <tenant id>

``cloud register`` reads the simulator's ``/metadata/endpoints`` (no token); ``core.instance_discovery=false`` keeps
MSAL from asking login.microsoftonline.com about the authority; the secret goes by file (az reads ``@file``
arguments), never on a command line or in any output. :func:`sign_in` returns the ``export`` lines for a terminal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from labkit.errors import LabError
from labkit.files import private_dir, write_private
from labkit.sim.arm.subscriptions import CLOUD_NAME
from labkit.sim.entra.directory import SECRET_FILE, read_principal

AZ_DIR = "az"
#: Seconds one az command may take (a cold az takes 2 to 5 on a busy machine).
AZ_TIMEOUT = 180


class AzLoginError(LabError):
    """az is missing, or one of its commands failed; the message says which and why."""


@dataclass(frozen=True)
class AzConfig:
    """Where an az signed in to the simulator keeps its state, and the environment that selects it."""

    config_dir: Path
    ca_bundle: Path
    kubeconfig: Path

    def environment(self) -> dict[str, str]:
        """The variables to run az (and kubectl after ``az aks get-credentials``) against the simulator."""
        return {"AZURE_CONFIG_DIR": str(self.config_dir), "REQUESTS_CA_BUNDLE": str(self.ca_bundle),
                "KUBECONFIG": str(self.kubeconfig)}

    def exports(self) -> list[str]:
        return [f"export {name}={value}" for name, value in self.environment().items()]


def az_config(state_dir: Path) -> AzConfig:
    folder = state_dir / AZ_DIR
    return AzConfig(folder, folder / "ca-bundle.pem", folder / "kubeconfig")


def sign_in(state_dir: Path, server_url: str, *, az: Optional[str] = None) -> AzConfig:
    """Sign ``az`` in to the simulator at ``server_url`` in a fresh ``<state dir>/az``; see the module's docstring.

    Args:
        az: the az program (default: ``$LABKIT_AZ``, else ``az`` on PATH).
    """
    program = find_az(az)
    config = az_config(state_dir)
    shutil.rmtree(config.config_dir, ignore_errors=True)
    private_dir(config.config_dir)
    write_private(config.ca_bundle, _public_cas() + (state_dir / "ca.pem").read_bytes())
    principal = read_principal(state_dir)
    for arguments in (
        ["config", "set", "core.instance_discovery=false", "core.collect_telemetry=false", "core.survey_message=false"],
        ["cloud", "register", "--name", CLOUD_NAME, "--endpoint-resource-manager", server_url],
        ["cloud", "set", "--name", CLOUD_NAME],
        ["login", "--service-principal", "--username", principal.client_id,
         "--password", f"@{state_dir / SECRET_FILE}", "--tenant", principal.tenant_id, "--output", "none"],
    ):
        _run(program, arguments, config)
    return config


def find_az(az: Optional[str] = None) -> str:
    """The az program to run: ``az``, else ``$LABKIT_AZ``, else ``az`` on PATH."""
    program = az or os.environ.get("LABKIT_AZ") or shutil.which("az")
    if not program or not shutil.which(program):
        raise AzLoginError("the az CLI was not found: install it (`pip install azure-cli` in a virtual environment of "
                           "its own, or Microsoft's packages) and put it on PATH, or name it with --az or $LABKIT_AZ")
    return program


def _run(program: str, arguments: list[str], config: AzConfig) -> None:
    command = [program, *arguments, "--only-show-errors"]
    try:
        done = subprocess.run(command, env={**os.environ, **config.environment()}, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=AZ_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AzLoginError(f"`az {' '.join(arguments[:2])}` took more than {AZ_TIMEOUT} s") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise AzLoginError(f"`az {' '.join(arguments[:2])}` failed (exit {done.returncode}): {why}")


def _public_cas() -> bytes:
    """The usual public CAs (certifi's, as requests uses), so that the terminal's other tools keep working."""
    try:
        import certifi
    except ImportError:
        return b""
    return Path(certifi.where()).read_bytes() + b"\n"
