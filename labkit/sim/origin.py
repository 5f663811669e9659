"""The simulator's own address as a client reached it, for the URLs it hands out (operations, authority, issuer)."""

from __future__ import annotations

from aiohttp import web


def server_url(request: web.Request) -> str:
    """``https://127.0.0.1:<port>``, the port of the socket that accepted ``request``."""
    port = request.transport.get_extra_info("sockname")[1]
    return f"https://127.0.0.1:{port}"
