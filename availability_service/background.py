"""Background tasks of a server process (sweepers, event fan-out), started with the server."""

from __future__ import annotations

from collections.abc import Callable

from availability_service.app import Application
from availability_service.health import start_health_monitor
from availability_service.read_databases import start_read_monitor
from availability_service.service_layer.sweeper import start_sweeper
from availability_service.watch.hub import start_watch_hub, stop_watch_hub

# Features register a starter here: each gets the app and returns the asyncio tasks it made.
STARTERS: list[Callable[[Application], list[object]]] = [
    start_sweeper,
    start_health_monitor,
    start_watch_hub,
    start_read_monitor,
]


def start_background(app: Application) -> None:
    for starter in STARTERS:
        app.background.extend(starter(app))


async def stop_background(app: Application) -> None:
    """Before server.stop: watch streams get their final bookmark, then tasks are cancelled."""
    await stop_watch_hub(app)
    for task in app.background:
        task.cancel()
