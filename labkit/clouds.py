"""The Azure clouds a lab can run in: where ARM answers, where Microsoft Entra ID signs in, and the scope of ARM's tokens.

The public cloud, Azure operated by 21Vianet (China) and Azure Government are known by their ``az cloud list`` names.
Any other cloud (Azure Stack Hub, or the simulator) is named by its ARM endpoint; its sign-in endpoint and audience are
read from ARM's ``/metadata/endpoints``, as ``az cloud register --endpoint-resource-manager`` reads them. Sources in
docs/clouds.md.

Example:
    >>> cloud = KNOWN["AzureChinaCloud"]
    >>> cloud.arm_endpoint, cloud.authority, cloud.arm_scope
    ('https://management.chinacloudapi.cn', 'https://login.chinacloudapi.cn', 'https://management.chinacloudapi.cn/.default')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Union

from labkit.errors import LabConfigError, Problem
from labkit.user_agent import plain_user_agent

#: Azure's Retail Prices API is public and global, outside ARM (learn.microsoft.com/rest/api/cost-management/retail-prices).
AZURE_PRICES_ENDPOINT = "https://prices.azure.com"
#: The api-version `az cloud register` asks ARM's metadata for (azure-cli, command_modules/cloud/custom.py).
METADATA_API_VERSION = "2022-09-01"
#: Seconds a custom cloud's ARM has to describe itself.
METADATA_SECONDS = 20.0
#: The form of a custom cloud's name: its ARM endpoint, https (tokens travel over it), no path beyond "/".
CUSTOM_CLOUD_RE = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$")


@dataclass(frozen=True)
class Cloud:
    """One cloud's endpoints: everything the lab's code needs to know about where it runs."""

    name: str
    arm_endpoint: str
    #: The Microsoft Entra authority the credential signs in at.
    authority: str
    #: The scope ARM's access tokens are asked for.
    arm_scope: str
    #: Where the Retail Prices API answers; a custom cloud may serve it beside ARM (the simulator does), and labkit
    #: falls back to its own price table where nothing answers.
    prices_endpoint: str
    #: Whether sign-in may ask login.microsoftonline.com about the authority (instance discovery), as for Microsoft's
    #: own clouds; a custom cloud's authority is unknown there, so it is not asked.
    instance_discovery: bool = True


def _microsoft(name: str, arm_endpoint: str, authority: str) -> Cloud:
    return Cloud(name, arm_endpoint, authority, f"{arm_endpoint}/.default", AZURE_PRICES_ENDPOINT)


#: Microsoft's clouds: ARM endpoints and authorities as azure-cli's cloud.py and azure-identity's AzureAuthorityHosts
#: have them; the scope as Microsoft's sovereign-cloud sample for the Python SDK builds it (docs/clouds.md).
KNOWN: dict[str, Cloud] = {cloud.name: cloud for cloud in (
    _microsoft("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com"),
    _microsoft("AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    _microsoft("AzureUSGovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us"),
)}
DEFAULT_CLOUD = "AzureCloud"


def cloud_named(name: Optional[str]) -> Cloud:
    """The cloud the ``cloud`` parameter names: a known name, None for the public cloud, else a custom ARM endpoint.

    Raises:
        LabConfigError: when a custom cloud's ARM does not describe itself (the parameter is then wrong).
    """
    if name is None:
        return KNOWN[DEFAULT_CLOUD]
    return KNOWN.get(name) or discover(name)


def discover(arm_endpoint: str, *, verify: Union[str, bool] = True) -> Cloud:
    """A custom cloud, as its ARM's ``/metadata/endpoints`` describes it (no sign-in needed).

    ``verify`` is the CA bundle to trust (True: the system's, or ``$REQUESTS_CA_BUNDLE``).

    Example:
        >>> discover("https://127.0.0.1:8443", verify="ca.pem").authority    # doctest: +SKIP
        'https://127.0.0.1:8443'
    """
    import requests

    arm = arm_endpoint.rstrip("/")
    try:
        answer = requests.get(f"{arm}/metadata/endpoints", params={"api-version": METADATA_API_VERSION},
                              headers={"User-Agent": plain_user_agent()}, verify=verify, timeout=METADATA_SECONDS)
        answer.raise_for_status()
        metadata = answer.json()
        authentication = metadata["authentication"]
        authority, audience = authentication["loginEndpoint"].rstrip("/"), authentication["audiences"][0]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):  # requests' JSONDecodeError is a ValueError
        raise _undescribed(arm_endpoint, "its answer is not a cloud's metadata") from None
    except requests.RequestException as error:
        raise _undescribed(arm_endpoint, _reason(error)) from None
    return Cloud(name=str(metadata.get("name") or arm), arm_endpoint=arm, authority=authority,
                 arm_scope=f"{audience}/.default", prices_endpoint=arm, instance_discovery=False)


def _reason(error: Exception) -> str:
    import requests

    if isinstance(error, requests.HTTPError):
        return f"it answered HTTP {error.response.status_code}"
    if isinstance(error, requests.exceptions.SSLError):
        return "its certificate is not trusted (set REQUESTS_CA_BUNDLE to the cloud's CA)"
    if isinstance(error, requests.Timeout):
        return f"no answer within {METADATA_SECONDS:g} s"
    return "it cannot be reached"


def _undescribed(arm_endpoint: str, reason: str) -> LabConfigError:
    return LabConfigError([Problem(
        "cloud", arm_endpoint, f"did not describe itself at /metadata/endpoints ({reason})",
        "a custom cloud is named by its ARM endpoint, which says where to sign in (as `az cloud register` reads it)",
        f"Check the address, or use one of {', '.join(KNOWN)}.",
    )])
