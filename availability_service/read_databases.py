"""Read databases from settings, and their monitor: probes, metrics and health per standby.

The monitor probes every standby each PROBE_INTERVAL_SECONDS (replayed revision, lag) for
the router, and shows the result: Prometheus gauges per database and one grpc.health.v1
entry per standby, named `read-database/<host:port/db>`, SERVING while reads may use it.
The service's own health does not depend on standbys: the primary answers without them.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy import Engine

from availability_service.config import Settings
from availability_service.health import NOT_SERVING, SERVING
from availability_service.storage.read_routing import ReadDatabase, ReadRouter
from availability_service.storage.replication import make_read_engine, read_database_name

log = structlog.get_logger(__name__)

# A read's staleness bound counts the probe's age too, so probes come well within the bound.
PROBE_INTERVAL_SECONDS = 0.25
HEALTH_PREFIX = "read-database/"

READ_LAG = Gauge(
    "availability_read_database_lag_seconds",
    "Age of the oldest change a read database does not show yet (0: caught up; +Inf: down)",
    ["database"],
    # Under `serve --workers`: each process probes on its own; show the worst live view.
    multiprocess_mode="livemax",
)
READ_REPLAYED = Gauge(
    "availability_read_database_replayed_revision",
    "Newest revision a read database has replayed",
    ["database"],
    multiprocess_mode="livemax",
)
READ_UP = Gauge(
    "availability_read_database_up",
    "1 while the last probe of a read database worked",
    ["database"],
    multiprocess_mode="livemin",
)
READS_ROUTED = Counter(
    "availability_reads_routed_total",
    "Reads by the database that answered (a standby's name, or primary) and why",
    ["database", "reason"],
)


def count_route(database: str, reason: str) -> None:
    READS_ROUTED.labels(database, reason).inc()


def build_read_router(settings: Settings, primary: Engine) -> ReadRouter | None:
    """None without AVAILABILITY_READ_DATABASE_URLS: every read stays on the primary."""
    if not settings.read_database_urls:
        return None
    standbys = [
        ReadDatabase(read_database_name(url), make_read_engine(url, settings.db_pool_size))
        for url in settings.read_database_urls
    ]
    return ReadRouter(
        primary,
        standbys,
        max_lag_seconds=settings.read_max_lag_seconds,
        wait_seconds=settings.read_wait_seconds,
        observe=count_route,
    )


def publish(router: ReadRouter) -> dict[str, bool]:
    """Mirrors the router's view into the gauges; returns which standbys reads may use."""
    usable: dict[str, bool] = {}
    for db in router.standbys:
        position = db.position
        lag = position.lag_seconds if db.up and position is not None else math.inf
        READ_LAG.labels(db.name).set(lag)
        READ_UP.labels(db.name).set(1 if db.up else 0)
        if position is not None:
            READ_REPLAYED.labels(db.name).set(position.replayed_revision)
        usable[db.name] = db.up and lag <= router.max_lag_seconds
    return usable


async def monitor(router: ReadRouter, health: Any) -> None:
    """Probes forever (off the event loop); health entries follow each standby's usability."""
    shown: dict[str, bool] = {}
    while True:
        await asyncio.to_thread(router.refresh)
        for name, usable in publish(router).items():
            if health is not None and shown.get(name) != usable:
                await health.set(HEALTH_PREFIX + name, SERVING if usable else NOT_SERVING)
            shown[name] = usable
        await asyncio.sleep(PROBE_INTERVAL_SECONDS)


def start_read_monitor(router: ReadRouter, health: Any) -> asyncio.Task[None]:
    """Background task of a server with read databases (serving.py)."""
    return asyncio.get_running_loop().create_task(
        monitor(router, health), name="read-database-monitor"
    )
