"""Issue 18: search throughput and the read-your-writes wait, primary alone vs primary + standby.

Both setups run on the same machine: the standby shares the cores with the primary and the
server, so the difference is what routing costs (probes, revision checks, a second pool), not
what a standby on its own machine would gain. The read-your-writes wait is the latency of a
GetAvailability sent with x-min-revision right after the write it names.
"""

from __future__ import annotations

import random
import re
import statistics
import time
import urllib.request
from typing import Any

import grpc

from tests.benchmarks import env
from tests.benchmarks.context import BUYER, SELLER, Context, active_lot, metadata, seller_lot
from tests.benchmarks.load import grpc_body, run_load
from tests.benchmarks.search import matching
from tests.benchmarks.sql import bulk_copy_lots
from tests.support.processes import free_port
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

CONCURRENCY = 8
_ROUTED = re.compile(
    r'availability_reads_routed_total\{database="([^"]+)",reason="([^"]+)"\} (\S+)'
)


def _routed(metrics_port: int) -> dict[str, float]:
    """Reads per (database, reason) from the server's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {f"{db}:{why}": float(n) for db, why, n in _ROUTED.findall(text)}


def _read_your_writes(address: str, writes: int) -> list[float]:
    """ms of a Get naming the revision of the create just before it (the create not counted)."""
    waits: list[float] = []
    with grpc.insecure_channel(address) as channel:
        stub = api_grpc.AvailabilityServiceStub(channel)
        lot = seller_lot(address)
        for _ in range(writes):
            created = stub.CreateAvailability(
                api.CreateAvailabilityRequest(availability=lot),
                metadata=metadata(SELLER),
                timeout=30,
            ).availability
            header = [*metadata(SELLER), ("x-min-revision", str(created.revision))]
            start = time.perf_counter()
            got = stub.GetAvailability(
                api.GetAvailabilityRequest(name=created.name), metadata=header, timeout=30
            )
            waits.append((time.perf_counter() - start) * 1000)
            assert got.availability.revision >= created.revision
    return waits


def _measure(ctx: Context, extra_env: dict[str, str]) -> dict[str, Any]:
    port = free_port()
    with env.service(
        ctx.db, ctx.folder, extra_env={**extra_env, "AVAILABILITY_METRICS_PORT": str(port)}
    ) as server:
        # The search scenario's matching shape, one fixed draw (the same body every call).
        body = grpc_body(matching(random.Random(0)))
        run_load(server.address, "SearchAvailabilities", body, BUYER, 2, 1, 0, ctx.prefer_h2load)
        search = run_load(
            server.address,
            "SearchAvailabilities",
            body,
            BUYER,
            CONCURRENCY,
            ctx.sizes.seconds,
            0,
            ctx.prefer_h2load,
        ).summary()
        waits = _read_your_writes(server.address, 10 * ctx.sizes.search_queries // 4)
        routed = _routed(port)
    ordered = sorted(waits)
    return {
        "search_ok_rps": search["ok_rps"],
        "search_p50_ms": search["p50_ms"],
        "ryw_get_p50_ms": round(statistics.median(ordered), 3),
        "ryw_get_p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 3),
        "reads_routed": routed,
    }


def replicas(ctx: Context) -> dict[str, Any]:
    from availability_service.storage.embedded_standby import start_embedded_standby

    pgdata = ctx.folder / "pgdata"
    if not pgdata.exists():
        raise RuntimeError("needs the embedded database (BENCH_DATABASE_URL is set)")
    with env.service(ctx.db, ctx.folder) as server:
        template = active_lot(server.address)
    bulk_copy_lots(ctx.db, template.name.split("/")[-1], ctx.sizes.search_lots)
    standby = start_embedded_standby(pgdata, ctx.folder / "standby", delete_on_exit=True)
    try:
        alone = _measure(ctx, {})
        paired = _measure(ctx, {"AVAILABILITY_READ_DATABASE_URLS": standby.url})
    finally:
        standby.stop()
    on_standby = sum(n for k, n in paired["reads_routed"].items() if not k.startswith("primary"))
    total = sum(paired["reads_routed"].values())
    return {
        "lots": ctx.sizes.search_lots,
        "concurrency": CONCURRENCY,
        "primary_only": alone,
        "primary_and_standby": paired,
        "search_rps_ratio": round(paired["search_ok_rps"] / alone["search_ok_rps"], 3)
        if alone["search_ok_rps"]
        else None,
        "share_of_reads_on_standby": round(on_standby / total, 3) if total else None,
    }
