"""Kubernetes plane (stub; being written)."""
from aiohttp import web


def add_routes(app: web.Application, world) -> None:
    pass
