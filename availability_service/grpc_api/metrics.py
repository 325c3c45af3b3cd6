"""Prometheus metrics per RPC, served on /metrics when a metrics port is configured."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

RPC_TOTAL = Counter(
    "availability_rpc_total", "RPCs handled, by method and status code", ["method", "code"]
)
RPC_SECONDS = Histogram(
    "availability_rpc_duration_seconds",
    "RPC handling time (for streams: the stream's lifetime), by method",
    ["method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)

WATCH_STREAMS = Gauge(
    "availability_watch_streams",
    "Watch streams holding a slot in this process, by caller class (privileged: ADMIN, SERVICE)",
    ["caller"],
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
)
WATCH_OVERSIZED_EVENTS = Counter(
    "availability_watch_oversized_events_total",
    "Events sent with the lot reduced to its identity because it was too large for a message",
)


def observe(method: str, code: str, seconds: float) -> None:
    short = method.rsplit("/", 1)[-1]
    RPC_TOTAL.labels(short, code).inc()
    RPC_SECONDS.labels(short).observe(seconds)


def serve_metrics(port: int, address: str = "127.0.0.1") -> None:
    """Starts the /metrics HTTP endpoint in a daemon thread."""
    start_http_server(port, addr=address)
