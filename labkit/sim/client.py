"""What a client needs to talk to the simulator with the real SDKs: its token as an Azure credential."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo


class StaticTokenCredential:
    """An azure-core token credential that hands out one fixed bearer token (the simulator's).

    Example:
        >>> from azure.mgmt.containerservice import ContainerServiceClient
        >>> credential = StaticTokenCredential("token")
        >>> client = ContainerServiceClient(credential, "sub", base_url="https://127.0.0.1:1",
        ...                                 connection_verify="ca.pem")
    """

    def __init__(self, token: str):
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, **kwargs: Any) -> AccessTokenInfo:
        return AccessTokenInfo(self._token, int(time.time()) + 3600)

    def __repr__(self) -> str:  # never show the token
        return "StaticTokenCredential(<hidden>)"
