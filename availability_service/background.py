"""Background tasks of a server (sweepers, monitors), started and stopped by serving.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from availability_service.app import Application
from availability_service.grpc_api.server import SERVICE_NAME
from availability_service.health import start_health_monitor
from availability_service.read_databases import start_read_monitor
from availability_service.service_layer.price_review import start_price_review
from availability_service.service_layer.sweeper import start_sweeper

# Features register a starter here: each gets the app and returns the asyncio tasks it made.
STARTERS: list[Callable[[Application], list[object]]] = [
    start_sweeper,
    start_price_review,
]


def start_background(app: Application, health: Any) -> list[asyncio.Task[Any]]:
    """The server's tasks: the starters', and the monitors that drive its health servicer."""
    tasks: list[Any] = [task for starter in STARTERS for task in starter(app)]
    # The service's own health follows the primary; each standby gets an entry of its own.
    tasks.append(start_health_monitor(app.engine, health, [SERVICE_NAME, ""]))
    if app.reads is not None:
        tasks.append(start_read_monitor(app.reads, health))
    return tasks
