"""The composition root, part two: starting and stopping a server over an Application.

One sequence for every way the service runs: `serve` (serve_until_signalled), each worker of
`serve --workers`, and the tests' servers (tests/support/server.py), so what the tests run is
what production runs. Each server gets its own watch hub, made here and handed to its
servicer, and its own background tasks; an Application may carry several servers (tests run
extra ones with other settings), each stopping only what it started.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health

from availability_service.app import Application, build_application
from availability_service.background import start_background
from availability_service.config import Settings
from availability_service.gc_tuning import tune_collector
from availability_service.grpc_api.server import create_server
from availability_service.telemetry.metrics import serve_metrics
from availability_service.telemetry.tracing import configure_tracing
from availability_service.watch.hub import HubLimits, WatchHub

log = structlog.get_logger("availability_service")

# In-flight unary calls get this long after a stop; watch streams end at once with a bookmark.
GRACE_SECONDS = 5.0
# Background tasks get this long to end once cancelled (a pass in a thread finishes on its own).
TASKS_STOP_SECONDS = 5.0


@dataclass
class RunningServer:
    """A started server, its watch hub and background tasks, and how to stop them in order."""

    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    hub: WatchHub
    tasks: list[asyncio.Task[Any]]

    async def stop(self, grace: float = GRACE_SECONDS) -> None:
        """Health says NOT_SERVING; watch streams end with their final bookmark; background
        tasks are cancelled; then in-flight unary calls get `grace` seconds."""
        await self.health.enter_graceful_shutdown()
        await self.hub.shutdown()
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=TASKS_STOP_SECONDS)
        await self.server.stop(grace=grace)


async def start_server(app: Application, address: str | None = None) -> RunningServer:
    """Builds and starts a server over `app` on `address` (default: the configured one)."""
    settings = app.settings
    hub = WatchHub(app.watch_database, app.executor, HubLimits.from_settings(settings))
    server, port, health_servicer = await create_server(app, hub, address)
    # The hub runs before the first call arrives, so every watch stream finds it started.
    tasks = hub.start()
    try:
        await server.start()
    except BaseException:
        await hub.shutdown()
        raise
    tasks += start_background(app, health_servicer)
    return RunningServer(server, port, health_servicer, hub, tasks)


@asynccontextmanager
async def running_server(
    app: Application, address: str | None = None, grace: float = GRACE_SECONDS
) -> AsyncIterator[RunningServer]:
    """A started server for the body of the `async with`, stopped in order at its end."""
    running = await start_server(app, address)
    try:
        yield running
    finally:
        await running.stop(grace)


def start_metrics_endpoint(settings: Settings) -> None:
    """/metrics on the configured address, when a port is configured (workers: the parent)."""
    host, port = settings.metrics_endpoint
    if port is None:
        return
    try:
        serve_metrics(port, host)
    except OSError as exc:  # the port is taken: serve gRPC anyway, and say so
        log.warning("metrics_port_unavailable", address=f"{host}:{port}", error=str(exc))


async def serve_until_signalled(settings: Settings) -> None:
    """One server process (`serve`, or one worker of `serve --workers`) until SIGTERM/SIGINT."""
    # The handlers come first: a supervisor may signal while the application is still being
    # built or the port is already bound (a worker of `serve --workers` is stopped as soon as
    # its sibling dies), and the default action would kill the process with no clean stop.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    configure_tracing()
    app = await asyncio.to_thread(build_application, settings)
    try:
        async with running_server(app) as running:
            start_metrics_endpoint(settings)
            log.info("serving", address=settings.address, port=running.port)
            # After the handlers (above): its full collection takes a moment, and a SIGTERM
            # during it must stop the server cleanly, not kill it. A signal that came while
            # starting has set `stop` already: the server stops at once, in its usual order.
            tune_collector(settings.gc_gen0_threshold)
            await stop.wait()
            log.info("shutting_down")
    finally:
        app.close()
    log.info("stopped")
