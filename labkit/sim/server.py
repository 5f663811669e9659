"""The simulator's https server: the ARM plane and the Kubernetes plane on one 127.0.0.1 port.

Run it in the foreground with ``python -m labkit.sim.server --state-dir DIR``; ``labkit sim start``
does that in the background. Tests run it in a thread with :class:`SimServer`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import ssl
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from aiohttp import web

from labkit.files import private_dir
from labkit.sim import access_log, apierrors, auth, bodies, controllers, kube, retail_prices
from labkit.sim.arm import urls as arm_urls
from labkit.sim.arm.exceptions import ArmError
from labkit.sim.arm.responses import JSON_BODY, error_response
from labkit.sim.certs import ensure_certificates
from labkit.sim.entra import urls as entra_urls
from labkit.sim.state_lock import ServerLock, StateInUse
from labkit.sim.store import StateLost, UnreadableState
from labkit.sim.world import SimConfig, World

log = logging.getLogger("labkit.sim")

#: How often controllers run between requests, in real seconds.
TICK = 0.05


#: How often the server checks that its state database is still the file it opened, in real seconds.
STATE_CHECK = 1.0

#: Where the application keeps its controllers (tests look at their state through it).
CONTROLLERS = web.AppKey("controllers", controllers.Controllers)

#: What to do when the state database is lost under the server: log why, and stop.
StateLostHandler = Callable[[str], None]


def build_app(world: World, on_state_lost: StateLostHandler) -> web.Application:
    """The aiohttp application: the access log, authentication, body limits, the two planes and Entra's sign-in,
    and the controller loop."""
    reconciler = controllers.Controllers(world)
    requests = access_log.AccessLog(world.state_dir)

    @web.middleware
    async def authenticate(request: web.Request, handler):
        refused = auth.refusal(request, world)
        if refused is not None:
            return refused
        try:
            reconciler.reconcile()
            return await handler(request)
        except StateLost as error:
            on_state_lost(str(error))
            return _unavailable(request.path, str(error))

    app = web.Application(middlewares=[access_log.middleware(requests), authenticate, limit_bodies],
                          client_max_size=max(bodies.ARM_MAX_BODY_BYTES, bodies.KUBE_MAX_BODY_BYTES))
    world.seed_arm()
    auth.leave_open(app, arm_urls.add_routes(app, world))
    auth.leave_open(app, retail_prices.add_routes(app))  # Azure's price list needs no sign-in; before the Kubernetes
    # plane, whose /api{tail} would take its path
    kube.add_routes(app, world)
    auth.leave_open(app, entra_urls.add_routes(app, world))  # after the Kubernetes plane, which owns /api and /apis

    async def close_log(app: web.Application) -> None:
        requests.close()

    app.on_cleanup.append(close_log)

    async def tick(app: web.Application) -> None:
        async def loop() -> None:
            checked = 0.0
            while True:
                try:
                    reconciler.reconcile()
                    if time.monotonic() - checked > STATE_CHECK:
                        checked = time.monotonic()
                        damage = world.store.damage()
                        if damage:
                            raise StateLost(damage)
                except StateLost as error:
                    on_state_lost(str(error))
                    return
                await asyncio.sleep(TICK)

        task = asyncio.create_task(loop())
        yield
        task.cancel()

    app.cleanup_ctx.append(tick)
    app[CONTROLLERS] = reconciler
    return app


@web.middleware
async def limit_bodies(request: web.Request, handler):
    """Refuse a body over its plane's limit (413), and an ARM body that is not JSON (400), in the plane's words.

    The body read here is the one the handlers read again (aiohttp keeps it); an ARM body is kept decoded, as
    ``request[JSON_BODY]`` (``{}`` when empty).
    """
    arm = auth.is_arm(request.path)
    limit = bodies.ARM_MAX_BODY_BYTES if arm else bodies.KUBE_MAX_BODY_BYTES
    if (request.content_length or 0) > limit:
        return _too_large(arm, limit)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _too_large(arm, limit)
    if len(raw) > limit:
        return _too_large(arm, limit)
    if arm:
        try:
            request[JSON_BODY] = bodies.decode_json(raw) if raw else {}
        except bodies.Undecodable as error:
            return error_response(ArmError(400, "InvalidRequestContent",
                                           f"The request content was not valid JSON: {error}."))
    return await handler(request)


def _too_large(arm: bool, limit: int) -> web.Response:
    if arm:
        return error_response(ArmError(413, "RequestContentTooLarge",
                                       f"The request content size exceeds the maximum size of {limit // 2 ** 20} MB."))
    return kube.status_response(apierrors.request_entity_too_large(f"limit is {limit}"))


def _unavailable(path: str, why: str) -> web.Response:
    message = f"the simulator is stopping: {why}"
    if auth.is_arm(path):
        return error_response(ArmError(503, "ServiceUnavailable", message))
    return kube.status_response(apierrors.ApiError(503, "ServiceUnavailable", message))


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
        """Take the state directory's lock and open its state.

        Raises:
            StateInUse: another server holds the state directory.
            UnreadableState: config.json or state.db cannot be read; the message says how to start clean.
        """
        self.state_dir = private_dir(Path(state_dir))
        self._lock = ServerLock(self.state_dir)
        self._lock.acquire()
        try:
            self.config = _load_config(self.state_dir, config)
            self.world = World(self.state_dir, self.config)
        except UnreadableState as error:
            self._lock.release()
            raise UnreadableState(f"the simulator's state in {self.state_dir} cannot be read ({error}); "
                                  "`labkit sim reset` keeps a copy of it and starts clean") from None
        self.requested_port = port
        self.port: Optional[int] = None
        self.state_lost = ""
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None
        self._thread: Optional[threading.Thread] = None
        self._finished: Optional[asyncio.Event] = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def _start(self) -> None:
        self._finished = asyncio.Event()
        app = build_app(self.world, self._lose_state)
        self.controllers = app[CONTROLLERS]
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, "127.0.0.1", self.requested_port, ssl_context=ssl_context(self.state_dir), reuse_address=True
        )
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self._lock.publish({"pid": os.getpid(), "port": self.port, "url": self.url,
                            "subscription_id": self.config.subscription_id})

    def _lose_state(self, why: str) -> None:
        """The state database went from under the server: say so once, in one line, and stop."""
        if not self.state_lost:
            self.state_lost = why
            log.error("%s; the simulator stops. `labkit sim reset` keeps a copy of the state and starts clean", why)
            self._finished.set()

    async def _serve_until_finished(self) -> None:
        await self._finished.wait()
        if self._runner is not None:
            await self._runner.cleanup()
        if not self.state_lost:  # closing would write the last changes into a file that is no longer ours
            self.world.store.close()
        self._lock.release()

    def serve_forever(self) -> None:
        """Run in the foreground until SIGTERM or SIGINT, or until the state is lost (then exit status 1)."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.run_until_complete(self._start())
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._finished.set)
        log.info("labkit simulator listening on %s", self.url)
        loop.run_until_complete(self._serve_until_finished())
        loop.close()
        if self.state_lost:
            raise SystemExit(1)

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
                self._lock.release()
                started.set()
                return
            started.set()
            loop.run_until_complete(self._serve_until_finished())
            loop.close()

        self._thread = threading.Thread(target=run, name="labkit-sim", daemon=True)
        self._thread.start()
        started.wait(30)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._finished.set)
            self._thread.join(30)


def _load_config(state_dir: Path, overrides: dict[str, Any]) -> SimConfig:
    try:
        return SimConfig.load_or_create(state_dir, **overrides)
    except (ValueError, TypeError, OSError) as error:
        raise UnreadableState(f"config.json: {error}") from None


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Run the labkit AKS simulator in the foreground.")
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--time-scale", type=float, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        server = SimServer(args.state_dir, port=args.port, time_scale=args.time_scale)
    except (StateInUse, UnreadableState) as error:
        log.error("%s", error)  # one line, which `labkit sim start` repeats
        raise SystemExit(1) from None
    server.serve_forever()


if __name__ == "__main__":
    main()
