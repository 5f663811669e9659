"""The simulator's https server: the ARM plane and the Kubernetes plane on one 127.0.0.1 port.

Run it in the foreground with ``python -m labkit.sim.server --state-dir DIR``; ``labkit sim start``
does that in the background. Tests run it in a thread with :class:`SimServer`.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import os
import signal
import ssl
import threading
from pathlib import Path
from typing import Any, Optional

from aiohttp import web

from labkit.files import private_dir, write_private
from labkit.sim import controllers, kube, retail_prices
from labkit.sim.arm import urls as arm_urls
from labkit.sim.certs import ensure_certificates
from labkit.sim.service import process_start, remove_server_file
from labkit.sim.world import SimConfig, World

log = logging.getLogger("labkit.sim")

#: How often controllers run between requests, in real seconds.
TICK = 0.05


#: Where the application keeps its controllers (tests look at their state through it).
CONTROLLERS = web.AppKey("controllers", controllers.Controllers)


def build_app(world: World) -> web.Application:
    """The aiohttp application: authentication, the two planes, and the controller loop."""
    reconciler = controllers.Controllers(world)

    @web.middleware
    async def authenticate(request: web.Request, handler):
        public = request.path == retail_prices.PATH  # Azure's price list needs no sign-in either
        if not public and not _bearer_matches(request.headers.get("Authorization", ""), world.token):
            return _unauthorized(request.path)
        reconciler.reconcile()
        return await handler(request)

    app = web.Application(middlewares=[authenticate], client_max_size=8 * 1024 * 1024)
    world.seed_arm()
    arm_urls.add_routes(app, world)
    retail_prices.add_routes(app)  # before the Kubernetes plane, whose /api{tail} would take its path
    kube.add_routes(app, world)

    async def tick(app: web.Application) -> None:
        async def loop() -> None:
            while True:
                reconciler.reconcile()
                await asyncio.sleep(TICK)

        task = asyncio.create_task(loop())
        yield
        task.cancel()

    app.cleanup_ctx.append(tick)
    app[CONTROLLERS] = reconciler
    return app


def _bearer_matches(authorization: str, token: str) -> bool:
    """Whether an Authorization header carries ``token``, compared in constant time.

    As bytes: aiohttp keeps undecodable header bytes as surrogates, which ``compare_digest`` refuses in a str.
    """
    sent = authorization.encode("utf-8", "surrogateescape")
    return hmac.compare_digest(sent, f"Bearer {token}".encode())


def _unauthorized(path: str) -> web.Response:
    if path.startswith("/subscriptions") or path.startswith("/providers"):
        body: dict[str, Any] = {"error": {"code": "AuthenticationFailed", "message": "Authentication failed: a valid bearer token is required."}}
    else:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    return web.json_response(body, status=401)


def ssl_context(state_dir: Path) -> ssl.SSLContext:
    _, cert_file, key_file = ensure_certificates(state_dir)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


class SimServer:
    """A simulator server on 127.0.0.1, in the current process (foreground) or a thread (tests).

    Example:
        >>> server = SimServer(tmp_path, time_scale=0.001)   # doctest: +SKIP
        >>> server.start_in_thread(); server.url               # doctest: +SKIP
        'https://127.0.0.1:40123'
        >>> server.stop()                                       # doctest: +SKIP
    """

    def __init__(self, state_dir: Path, *, port: int = 0, **config: Any):
        self.state_dir = private_dir(Path(state_dir))
        self.config = SimConfig.load_or_create(self.state_dir, **config)
        self.world = World(self.state_dir, self.config)
        self.requested_port = port
        self.port: Optional[int] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None
        self._thread: Optional[threading.Thread] = None
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def _start(self) -> None:
        app = build_app(self.world)
        self.controllers = app[CONTROLLERS]
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, "127.0.0.1", self.requested_port, ssl_context=ssl_context(self.state_dir), reuse_address=True
        )
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self._write_server_file()

    def _write_server_file(self) -> None:
        info = {
            "pid": os.getpid(),
            "process_start": process_start(os.getpid()),
            "port": self.port,
            "url": self.url,
            "subscription_id": self.config.subscription_id,
        }
        write_private(self.state_dir / "server.json", json.dumps(info).encode())

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        remove_server_file(self.state_dir, os.getpid())
        self.world.store.close()

    def serve_forever(self) -> None:
        """Run in the foreground until SIGTERM or SIGINT."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.run_until_complete(self._start())
        done = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, done.set)
        log.info("labkit simulator listening on %s", self.url)
        loop.run_until_complete(done.wait())
        loop.run_until_complete(self._stop())
        loop.close()

    def start_in_thread(self) -> "SimServer":
        """Start in a daemon thread and return once it answers."""
        started = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._start())
            except BaseException as error:  # reported to the caller below
                errors.append(error)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._stop())
            loop.close()
            self._stopped.set()

        self._thread = threading.Thread(target=run, name="labkit-sim", daemon=True)
        self._thread.start()
        started.wait(30)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._stopped.wait(30)
            self._thread.join(30)


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Run the labkit AKS simulator in the foreground.")
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--time-scale", type=float, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    SimServer(args.state_dir, port=args.port, time_scale=args.time_scale).serve_forever()


if __name__ == "__main__":
    main()
