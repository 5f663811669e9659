"""How a client signs in to the simulator with the real SDKs: azure-identity's ``ClientSecretCredential`` against the
simulator's Entra stand-in, as it would against Entra with an app registration's secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def credential(state_dir: Path, authority: str, **options: Any) -> Any:
    """A ``ClientSecretCredential`` of the simulator's app registration, at its authority ``authority``.

    Instance discovery asks login.microsoftonline.com whether an authority is known, which an offline simulator is
    not: it is off. ``options`` go to the credential (e.g. ``user_agent``).

    Example:
        >>> from azure.mgmt.containerservice import ContainerServiceClient
        >>> aks = ContainerServiceClient(credential(state_dir, url), subscription_id, base_url=url,
        ...                              connection_verify=str(state_dir / "ca.pem"))        # doctest: +SKIP
    """
    from azure.identity import ClientSecretCredential

    from labkit.sim.entra.directory import read_principal, read_secret

    principal = read_principal(Path(state_dir))
    return ClientSecretCredential(principal.tenant_id, principal.client_id, read_secret(Path(state_dir)),
                                  authority=authority, disable_instance_discovery=True,
                                  connection_verify=str(Path(state_dir) / "ca.pem"), **options)
