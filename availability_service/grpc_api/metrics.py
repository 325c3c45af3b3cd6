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
# The labelled children by (method path, code): labels() takes a lock and builds its key on
# every call, and the set of methods and codes is small and fixed.
_CHILDREN: dict[tuple[str, str], tuple[Counter, Histogram]] = {}


def observe(method: str, code: str, seconds: float) -> None:
    children = _CHILDREN.get((method, code))
    if children is None:
        short = method.rsplit("/", 1)[-1]
        children = _CHILDREN[method, code] = (
            RPC_TOTAL.labels(short, code),
            RPC_SECONDS.labels(short),
        )
    total, duration = children
    total.inc()
    duration.observe(seconds)
