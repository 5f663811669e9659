"""ARM plane (stub; being written)."""
from aiohttp import web


def seed(world) -> None:
    pass


def add_routes(app: web.Application, world) -> None:
    pass


def advance(world) -> None:
    pass
