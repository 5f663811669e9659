"""Entra's handlers: read the request, ask the directory, shape Entra's answer. They keep no state.

Discovery document: the fields of Entra's v2.0 ``/.well-known/openid-configuration`` (as captured in
github.com/panva/wellknown, issuers/entra-common) that this authority serves or that MSAL requires
(``authorization_endpoint`` and ``token_endpoint``, msal/authority.py); the token answer: Entra's for the
client-credentials grant (``token_type``, ``expires_in``, ``ext_expires_in``, ``access_token``).
"""

from __future__ import annotations

from aiohttp import web

from labkit.sim.entra.exceptions import EntraError, tenant_not_found, unsupported_grant_type
from labkit.sim.origin import server_url
from labkit.sim.world import World

#: OAuth 2.0 token answers are never cached (RFC 6749, 5.1).
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def openid_configuration(request: web.Request, world: World) -> web.Response:
    tenant = request.match_info["tenant"]
    if not world.directory.is_tenant(tenant):
        return _error(tenant_not_found(tenant, "invalid_tenant"))
    base = f"{server_url(request)}/{world.directory.tenant_id}"
    return web.json_response({
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/v2.0",
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "ver"],
        "tenant_region_scope": None,
    })


async def signing_keys(request: web.Request, world: World) -> web.Response:
    tenant = request.match_info["tenant"]
    if not world.directory.is_tenant(tenant):
        return _error(tenant_not_found(tenant, "invalid_tenant"))
    return web.json_response(world.directory.signing_keys())


async def token(request: web.Request, world: World) -> web.Response:
    form = await _form(request)
    try:
        grant_type = form.get("grant_type")
        if grant_type != "client_credentials":
            raise unsupported_grant_type(grant_type or "")
        issuer = world.directory.issuer(server_url(request))
        issued = world.directory.issue(request.match_info["tenant"], form.get("client_id"), form.get("client_secret"),
                                       form.get("scope"), issuer)
    except EntraError as error:
        return _error(error)
    return web.json_response({"token_type": "Bearer", "expires_in": issued.expires_in,
                              "ext_expires_in": issued.expires_in, "access_token": issued.token}, headers=_NO_STORE)


def _error(error: EntraError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=_NO_STORE)


async def _form(request: web.Request) -> dict[str, str]:
    """The form's text fields; a body that does not parse as the form it claims to be has none."""
    try:
        fields = await request.post()
    except ValueError:  # e.g. multipart without its boundary
        return {}
    return {key: value for key, value in fields.items() if isinstance(value, str)}
