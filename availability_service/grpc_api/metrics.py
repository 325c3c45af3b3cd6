"""Prometheus metrics per RPC, served on /metrics (telemetry/metrics.py) when configured."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RPC_TOTAL = Counter(
    "availability_rpc_total", "RPCs handled, by method and status code", ["method", "code"]
)
RPC_SECONDS = Histogram(
    "availability_rpc_duration_seconds",
    "RPC handling time (for streams: the stream's lifetime), by method",
    ["method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)


def observe(method: str, code: str, seconds: float) -> None:
    short = method.rsplit("/", 1)[-1]
    RPC_TOTAL.labels(short, code).inc()
    RPC_SECONDS.labels(short).observe(seconds)
