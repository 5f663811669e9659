"""Entra ID's errors at its token endpoint: OAuth 2.0's ``error`` with an AADSTS code, as Entra answers them.

Body as captured from Entra (e.g. github.com/Azure/sap-automation/issues/418): ``error``, ``error_description``
("AADSTSnnn: text" then Trace ID, Correlation ID and Timestamp lines), ``error_codes``, ``timestamp``, ``trace_id``,
``correlation_id``, ``error_uri``. Codes and texts: learn.microsoft.com/entra/identity-platform/reference-error-codes.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from labkit.sim.store import Obj


#: Entra's explanation of an application or resource a tenant does not have (AADSTS700016, AADSTS500011).
_NOT_INSTALLED = ("This can happen if the application has not been installed by the administrator of the tenant or "
                  "consented to by any user in the tenant. You may have sent your authentication request to the wrong "
                  "tenant.")


class EntraError(Exception):
    """An answer of Entra's token endpoint other than a token: HTTP status, OAuth error, AADSTS code and text."""

    def __init__(self, status: int, error: str, code: int, text: str):
        super().__init__(f"AADSTS{code}: {text}")
        self.status, self.error, self.code, self.text = status, error, code, text

    def body(self) -> Obj:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.text}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}"
                                 f"\r\nTimestamp: {stamp}",
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }


def tenant_not_found(tenant: str, error: str = "invalid_request") -> EntraError:
    """AADSTS90002; OpenID discovery calls it ``invalid_tenant``, the token endpoint ``invalid_request``."""
    return EntraError(400, error, 90002,
                      f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
                      "into the correct cloud.")


def missing_parameter(name: str) -> EntraError:
    return EntraError(400, "invalid_request", 900144, f"The request body must contain the following parameter: '{name}'.")


def unsupported_grant_type(grant_type: str) -> EntraError:
    return EntraError(400, "unsupported_grant_type", 70003,
                      f"The app requested an unsupported grant type '{grant_type}'. This simulated tenant issues tokens "
                      "for client_credentials only.")


def unknown_application(client_id: str, tenant: str) -> EntraError:
    return EntraError(400, "unauthorized_client", 700016,
                      f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. {_NOT_INSTALLED}")


def invalid_secret(client_id: str) -> EntraError:
    return EntraError(401, "invalid_client", 7000215,
                      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                      f"value, not the client secret ID, for a secret added to app '{client_id}'.")


def unknown_resource(resource: str, tenant: str) -> EntraError:
    return EntraError(400, "invalid_resource", 500011,
                      f"The resource principal named {resource} was not found in the tenant named {tenant}. {_NOT_INSTALLED}")
