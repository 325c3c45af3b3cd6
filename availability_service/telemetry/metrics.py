"""Process metrics (watch, database pool, sweeper, retention) and the /metrics endpoint.

Names follow Prometheus conventions: a unit suffix, `_total` on counters. Gauges declare how
they aggregate across `serve --workers` processes (prometheus_client multiprocess mode, see
serve_metrics): counts of live things are summed over live processes, positions take the max.
"""

from __future__ import annotations

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)
from sqlalchemy import Engine, event

WATCH_STREAMS = Gauge(
    "availability_watch_streams",
    "Open WatchAvailabilities streams",
    multiprocess_mode="livesum",
)
WATCH_EVENTS_SENT = Counter(
    "availability_watch_events_sent_total", "Events offered to watch streams by the hub"
)
WATCH_SLOW_WATCHERS = Counter(
    "availability_watch_slow_watchers_total",
    "Watch streams ended because they fell a full queue behind (SLOW_WATCHER)",
)
WATCH_HUB_REVISION = Gauge(
    "availability_watch_hub_revision",
    "Newest revision the process's watch hub has fanned out",
    multiprocess_mode="max",
)
WATCH_CUTOFFS = Counter(
    "availability_watch_cutoffs_total",
    "Watch streams the server refused or ended, by reason: too_many_watchers_caller, "
    "too_many_watchers_process, slow_watcher, send_timeout, max_age, shutdown",
    ["reason"],
)
WATCH_UNREAD = Gauge(
    "availability_watch_unread_streams",
    "Streams cut off for not reading whose last message still waits in the transport",
    multiprocess_mode="livesum",
)
WATCH_OVERSIZED_EVENTS = Counter(
    "availability_watch_oversized_events_total",
    "Events sent with the lot reduced to its identity because it was too large for a message",
)
GET_CACHE = Counter(
    "availability_get_cache_total",
    "GetAvailability calls by where the lot came from: hit (the process's lot cache, "
    "current as of a probe sent after the call began) or read (the database)",
    ["result"],
)
GET_CACHE_WAITS = Counter(
    "availability_get_cache_waits_total",
    "GetAvailability calls that asked the lot cache, by what they waited for: none (a probe "
    "sent after the call arrived had already answered), out (the probe out was sent after it "
    "arrived) or next (a probe still to be sent)",
    ["wait"],
)
GET_CACHE_PROBES = Counter(
    "availability_get_cache_probes_total",
    "Probes that brought the lot cache up to date (each serves every GetAvailability call "
    "waiting when it was sent), by outcome: ok or failed",
    ["outcome"],
)
POOL_CONNECTIONS_IN_USE = Gauge(
    "availability_db_pool_connections_in_use",
    "Database connections checked out of the pool",
    multiprocess_mode="livesum",
)
POOL_CONNECTIONS_OPENED = Counter(
    "availability_db_pool_connections_opened_total", "Database connections the pool opened"
)
SWEEPER_PASSES = Counter(
    "availability_sweeper_passes_total",
    "Sweeper passes, by outcome: leader (acted), follower (another process held the lock), failed",
    ["outcome"],
)
SWEEPER_PASS_SECONDS = Histogram(
    "availability_sweeper_pass_duration_seconds",
    "Duration of the sweeper passes this process led",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30),
)
SWEEPER_EXPIRED_EVENTS = Counter(
    "availability_sweeper_expiry_events_total",
    "Events the sweeper wrote for holds and lots that expired",
)
RETENTION_DELETED = Counter(
    "availability_retention_deleted_rows_total",
    "Rows deleted by retention, by table (events, idempotency_keys)",
    ["table"],
)


def instrument_pool(engine: Engine) -> None:
    """Counts connections in and out of the engine's pool."""
    event.listen(engine, "checkout", lambda *_: POOL_CONNECTIONS_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: POOL_CONNECTIONS_IN_USE.dec())
    event.listen(engine, "connect", lambda *_: POOL_CONNECTIONS_OPENED.inc())


def serve_metrics(port: int, address: str = "127.0.0.1") -> None:
    """Starts the /metrics HTTP endpoint in a daemon thread.

    In multiprocess mode (PROMETHEUS_MULTIPROC_DIR set, as `serve --workers` does) it serves
    the sum over every worker's files, not this process's own values.
    """
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=address, registry=registry)
