"""Background tasks of a server process (sweepers, event fan-out), started with the server."""

from __future__ import annotations

from collections.abc import Callable

from availability_service.app import Application

# Features register a starter here: each gets the app and returns the asyncio tasks it made.
STARTERS: list[Callable[[Application], list[object]]] = []


def start_background(app: Application) -> None:
    for starter in STARTERS:
        app.background.extend(starter(app))
