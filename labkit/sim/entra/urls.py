"""Entra's routes: the tenant's OpenID discovery, its signing keys and its token endpoint, none needing a token."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from labkit.sim.entra import responses as r
from labkit.sim.world import World

#: A tenant's paths, as Entra's v2.0 endpoints spell them (login.microsoftonline.com/<tenant>/...).
_TENANT = "/{tenant:[^/]+}"


def add_routes(app: web.Application, world: World) -> list[web.AbstractRoute]:
    """Serve the tenant's sign-in routes on ``app``; returns them, for the authentication gate to leave open."""
    return [
        app.router.add_get(_TENANT + "/v2.0/.well-known/openid-configuration", partial(r.openid_configuration, world=world)),
        app.router.add_get(_TENANT + "/discovery/v2.0/keys", partial(r.signing_keys, world=world)),
        app.router.add_post(_TENANT + "/oauth2/v2.0/token", partial(r.token, world=world)),
    ]
