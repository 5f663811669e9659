"""Who may call what, checked before any handler runs.

- ARM wants an access token from the simulator's Entra stand-in: signed by its key, issued by its tenant at this
  address, for one of ARM's audiences, not expired. A refusal is ARM's 401 with ARM's code (captured bodies:
  InvalidAuthenticationTokenAudience in github.com/Azure-Samples/active-directory-dotnetcore-daemon-v2/issues/145;
  the others as ARM words them) and a ``WWW-Authenticate`` challenge naming the authority.
- The Kubernetes plane wants the cluster's static token, as an AKS local account's kubeconfig carries it, compared in
  constant time.
- The routes that tell a client where and how to sign in (ARM's metadata, Entra's discovery, keys and token
  endpoint) want none: the planes register them with :func:`leave_open`.

Any other request, on any path, gets a 401 in its plane's words.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Optional

import jwt
from aiohttp import web

from labkit.sim.apierrors import ApiError
from labkit.sim.arm.exceptions import ArmError
from labkit.sim.arm.responses import error_response
from labkit.sim.entra.directory import ARM_AUDIENCES, same_secret
from labkit.sim.kube import status_response
from labkit.sim.origin import server_url

#: The routes anyone may call (see :func:`leave_open`).
OPEN_ROUTES = web.AppKey("open_routes", set)

_ARM_PREFIXES = ("/subscriptions", "/providers", "/tenants")


def leave_open(app: web.Application, routes: Iterable[web.AbstractRoute]) -> None:
    """Let anyone call ``routes``: they are how clients find out where to sign in."""
    app.setdefault(OPEN_ROUTES, set()).update(routes)


def refusal(request: web.Request, world: Any) -> Optional[web.Response]:
    """None when ``request`` may go on; else the 401 its plane answers."""
    if request.match_info.route in request.app.get(OPEN_ROUTES, ()):
        return None
    authorization = request.headers.get("Authorization")
    if is_arm(request.path):
        return _arm_refusal(authorization, world, server_url(request))
    return None if same_secret(authorization or "", f"Bearer {world.token}") else _kubernetes_unauthorized()


def is_arm(path: str) -> bool:
    return path.lower().startswith(_ARM_PREFIXES)


def _arm_refusal(authorization: Optional[str], world: Any, authority: str) -> Optional[web.Response]:
    if authorization is None:
        return _arm_unauthorized(world, authority, "AuthenticationFailed",
                                 "Authentication failed. The 'Authorization' header is missing.")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _arm_unauthorized(world, authority, "AuthenticationFailed",
                                 "Authentication failed. The 'Authorization' header is provided in an invalid format.")
    try:
        world.directory.verify(token, world.directory.issuer(authority))
    except jwt.ExpiredSignatureError:
        expired = _utc(_unverified(token).get("exp"))
        return _arm_unauthorized(world, authority, "ExpiredAuthenticationToken",
                                 f"The access token expiry UTC time '{expired}' is earlier than current UTC time "
                                 f"'{_utc(datetime.now(timezone.utc).timestamp())}'.")
    except jwt.InvalidAudienceError:
        allowed = ",".join(f"'{audience}'" for audience in ARM_AUDIENCES)
        return _arm_unauthorized(world, authority, "InvalidAuthenticationTokenAudience",
                                 f"The access token has been obtained for wrong audience or resource "
                                 f"'{_unverified(token).get('aud')}'. It should exactly match with one of the allowed "
                                 f"audiences {allowed}.")
    except (jwt.InvalidTokenError, ValueError, TypeError):  # PyJWT's, an undecodable header's, odd JSON inside's
        return _arm_unauthorized(world, authority, "InvalidAuthenticationToken", "The access token is invalid.")
    return None


def _unverified(token: str) -> dict[str, Any]:
    """The claims of a token whose signature was verified but whose claims were refused (to name them)."""
    return jwt.decode(token, options={"verify_signature": False})


def _utc(timestamp: Any) -> str:
    try:
        moment = datetime.fromtimestamp(float(timestamp), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return str(timestamp)
    return moment.strftime("%m/%d/%Y %H:%M:%S")


def _arm_unauthorized(world: Any, authority: str, code: str, message: str) -> web.Response:
    challenge = (f'Bearer authorization_uri="{authority}/{world.directory.tenant_id}", error="invalid_token", '
                 f'error_description="{message}"')
    return error_response(ArmError(401, code, message, headers={"WWW-Authenticate": challenge}))


def _kubernetes_unauthorized() -> web.Response:
    return status_response(ApiError(401, "Unauthorized", "Unauthorized"))
