"""Where the lab's calls go: the simulator or Azure. Only endpoints and credentials differ.

Example:
    >>> from labkit.params import load_params
    >>> backend = connect(load_params(backend="azure", subscription_id="00000000-0000-0000-0000-000000000000"))
    >>> backend.arm_endpoint, type(backend.credential).__name__
    ('https://management.azure.com', 'DefaultAzureCredential')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from labkit.errors import LabConfigError, Problem
from labkit.params import LabParams

AZURE_ARM_ENDPOINT = "https://management.azure.com"
#: Azure's Retail Prices API is public and outside ARM (learn.microsoft.com/rest/api/cost-management/retail-prices).
AZURE_PRICES_ENDPOINT = "https://prices.azure.com"


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"labkit/{version('labkit')}"
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "labkit/0"


#: What labkit's requests say they come from, before the SDK's own User-Agent (Azure's logs and the simulator's
#: access log show it; $AZURE_HTTP_USER_AGENT, e.g. labkit-step/<name>, is added after it by the Azure SDK).
USER_AGENT = _user_agent()


@dataclass(frozen=True)
class Backend:
    """Endpoints and credentials for one backend; everything else is the same code."""

    name: str
    arm_endpoint: str
    credential: Any
    connection_verify: Union[str, bool]
    subscription_id: str
    kubeconfig_dir: Path
    poll_seconds: float
    #: Where the Retail Prices API answers (the simulator serves it from labkit's price table).
    prices_endpoint: str
    #: How many Azure seconds one real second stands for: 1 on Azure; the simulator's clock compresses time.
    azure_seconds_per_second: float = 1.0

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments every Azure management client takes."""
        return {"base_url": self.arm_endpoint, "connection_verify": self.connection_verify,
                "polling_interval": self.poll_seconds, "user_agent": USER_AGENT}


def connect(params: LabParams) -> Backend:
    """The backend the parameters name; starts the simulator when it is the one and not running yet."""
    if params.backend == "sim":
        return _simulator(params)
    return _azure(params)


def _simulator(params: LabParams) -> Backend:
    from labkit.sim import service
    from labkit.sim.client import credential

    info = service.start()
    return Backend(
        name="sim",
        arm_endpoint=info["arm_endpoint"],
        credential=credential(Path(info["state_dir"]), info["authority"]),
        connection_verify=info["ca_file"],
        subscription_id=params.subscription_id or info["subscription_id"],
        kubeconfig_dir=Path(info["state_dir"]) / "kubeconfigs",
        poll_seconds=0.02,
        prices_endpoint=info["arm_endpoint"],
        azure_seconds_per_second=1 / info["time_scale"],
    )


def _azure(params: LabParams) -> Backend:
    from azure.identity import DefaultAzureCredential

    subscription = params.subscription_id or os.environ.get("AZURE_SUBSCRIPTION_ID")
    if not subscription:
        raise LabConfigError([Problem(
            "subscription_id", None, "is not set", "the Azure backend needs a subscription",
            "Set subscription_id, or export AZURE_SUBSCRIPTION_ID=$(az account show --query id -o tsv).",
        )])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Backend(
        name="azure",
        arm_endpoint=AZURE_ARM_ENDPOINT,
        credential=DefaultAzureCredential(),
        connection_verify=True,
        subscription_id=subscription,
        kubeconfig_dir=cache / "labkit" / "kubeconfigs",
        poll_seconds=10.0,
        prices_endpoint=AZURE_PRICES_ENDPOINT,
    )
