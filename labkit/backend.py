"""Where the lab's calls go: the simulator or Azure. Only endpoints and credentials differ.

Example:
    >>> from labkit.params import load_params
    >>> backend = connect(load_params(backend="azure", subscription_id="00000000-0000-0000-0000-000000000000"))
    >>> backend.cloud.arm_endpoint, type(backend.credential).__name__
    ('https://management.azure.com', 'DefaultAzureCredential')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from labkit.clouds import Cloud, cloud_named, discover
from labkit.errors import LabConfigError, Problem
from labkit.params import LabParams
from labkit.user_agent import USER_AGENT

#: Seconds between polls on Azure where the service does not say (Retry-After); $LABKIT_POLL_SECONDS overrides it.
AZURE_POLL_SECONDS = 10.0
#: The simulator's: its clock is scaled, so what takes minutes on Azure takes seconds.
SIM_POLL_SECONDS = 0.02
POLL_SECONDS_ENV = "LABKIT_POLL_SECONDS"



@dataclass(frozen=True)
class Backend:
    """Endpoints and credentials for one backend; everything else is the same code."""

    name: str
    cloud: Cloud
    credential: Any
    connection_verify: Union[str, bool]
    subscription_id: str
    kubeconfig_dir: Path
    poll_seconds: float
    #: How many Azure seconds one real second stands for: 1 on Azure; the simulator's clock compresses time.
    azure_seconds_per_second: float = 1.0

    @property
    def arm_endpoint(self) -> str:
        return self.cloud.arm_endpoint

    @property
    def prices_endpoint(self) -> str:
        """Where the Retail Prices API answers (the simulator serves it from labkit's price table)."""
        return self.cloud.prices_endpoint

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments every Azure management client takes: the cloud's ARM and the scope its tokens need."""
        return {"base_url": self.cloud.arm_endpoint, "credential_scopes": [self.cloud.arm_scope],
                "connection_verify": self.connection_verify, "polling_interval": self.poll_seconds,
                "user_agent": USER_AGENT}


def connect(params: LabParams) -> Backend:
    """The backend the parameters name; starts the simulator when it is the one and not running yet."""
    if params.backend == "sim":
        return _simulator(params)
    return _azure(params)


def _simulator(params: LabParams) -> Backend:
    """The simulator: a custom cloud at its own address, signed in to as its one app registration."""
    from labkit.sim import service
    from labkit.sim.client import credential

    info = service.start()
    cloud = discover(info["arm_endpoint"], verify=info["ca_file"])
    return Backend(
        name="sim",
        cloud=cloud,
        credential=credential(Path(info["state_dir"]), cloud.authority),
        connection_verify=info["ca_file"],
        subscription_id=params.subscription_id or info["subscription_id"],
        kubeconfig_dir=Path(info["state_dir"]) / "kubeconfigs",
        poll_seconds=_poll_seconds(SIM_POLL_SECONDS),
        azure_seconds_per_second=1 / info["time_scale"],
    )


def _azure(params: LabParams) -> Backend:
    """Azure in the cloud ``params.cloud`` names, signed in to with DefaultAzureCredential (az login, environment
    variables, workload or managed identity). The CA bundle is the system's, or $REQUESTS_CA_BUNDLE."""
    from azure.identity import DefaultAzureCredential

    subscription = params.subscription_id or os.environ.get("AZURE_SUBSCRIPTION_ID")
    if not subscription:
        raise LabConfigError([Problem(
            "subscription_id", None, "is not set", "the Azure backend needs a subscription",
            "Set subscription_id, or export AZURE_SUBSCRIPTION_ID=$(az account show --query id -o tsv).",
        )])
    cloud = cloud_named(params.cloud)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Backend(
        name="azure",
        cloud=cloud,
        credential=DefaultAzureCredential(authority=cloud.authority,
                                          disable_instance_discovery=not cloud.instance_discovery),
        connection_verify=True,
        subscription_id=subscription,
        kubeconfig_dir=cache / "labkit" / "kubeconfigs",
        poll_seconds=_poll_seconds(AZURE_POLL_SECONDS),
    )


def _poll_seconds(default: float) -> float:
    """The backend's poll interval, or $LABKIT_POLL_SECONDS (a positive number of seconds) when set."""
    text = os.environ.get(POLL_SECONDS_ENV)
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 600:
        raise LabConfigError([Problem(
            f"${POLL_SECONDS_ENV}", text, "is not a number of seconds from 0 to 600",
            "it is how long labkit waits between two looks at something the service is doing",
            f"Unset it for the backend's own ({default:g} s), or use e.g. 1.",
        )])
    return seconds
