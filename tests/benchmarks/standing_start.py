"""Issue 16: how fast 1,000 standing searches (WatchSearch) start, on an empty market and
over a large one.

The searches of the standing scenario (tests/benchmarks/standing.py: round-robin over the
catalog's commodities, the cotton ones each with its own price ceiling) are opened at once by
the client processes, at the head, first on the market the earlier scenarios left (a few
hundred lots), then again, on a fresh server, once the search benchmark's market is loaded
(`BENCH_STANDING_MARKET` lots, default the search scenario's size: 100,000 in full mode,
2,000 in quick mode; the search scenario reuses the load). A stream has started when its
first message arrives (a progress bookmark, every 0.1 s once it follows the hub). Reported
per market: start time p50 / p99 / max, the server's RSS before, at its peak while starting
and with every search open (KB per search), and the streams that failed.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration

from tests.benchmarks import env, market
from tests.benchmarks.context import Context, active_lot, metadata
from tests.benchmarks.standing import COMMODITIES, criteria
from tests.benchmarks.watch import _pct, open_streams, run_client_processes
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

EVERY_100_MS = Duration(nanos=100_000_000)


async def _starts(
    address: str, indexes: list[int], ready: Any, seconds: float, done: Any
) -> tuple[list[float], list[str]]:
    """Seconds from each call to its first message; the streams stay open until `done`."""
    started_s: list[float] = []
    errors: list[str] = []

    async def one(
        stub: api_grpc.AvailabilityServiceStub, index: int, started: Callable[[], None]
    ) -> None:
        request = api.WatchSearchRequest(
            search=criteria(index), progress_notify_interval=EVERY_100_MS
        )
        tok = env.token(f"bench-standing-{index}", ["BUYER"], region="IN-GJ")
        begin: float | None = time.monotonic()
        try:
            async with asyncio.timeout(seconds):
                call = stub.WatchSearch(request, metadata=metadata(tok))
                async for _ in call:
                    if begin is not None:
                        started_s.append(time.monotonic() - begin)
                        begin = None
                        started()
                    if done.is_set():
                        call.cancel()
                        return
        except (grpc.RpcError, TimeoutError) as exc:
            errors.append(exc.code().name if isinstance(exc, grpc.RpcError) else "TIMEOUT")
            if begin is not None:
                started()

    await open_streams(address, indexes, one, ready, seconds)
    return started_s, errors


def _process(
    indexes: list[int], ready: Any, results: Any, address: str, seconds: float, done: Any
) -> None:
    results.put(asyncio.run(_starts(address, indexes, ready, seconds, done)))


class _PeakRss:
    """The server's largest RSS, sampled every 0.1 s while the searches start."""

    def __init__(self, server: Any) -> None:
        self.peak = server.rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(server,), daemon=True)
        self._thread.start()

    def _run(self, server: Any) -> None:
        while not self._stop.wait(0.1):
            try:
                self.peak = max(self.peak, server.rss_bytes())
            except (OSError, AssertionError):
                return

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _start_all(ctx: Context, n: int, seconds: float) -> dict[str, Any]:
    """Opens the n searches at once on a fresh server; what starting them cost."""
    import multiprocessing

    with env.service(ctx.db, ctx.folder) as server:
        active_lot(server.address)  # the server answers: its start-up is not measured
        time.sleep(1)
        rss_before = server.rss_bytes()
        done = multiprocessing.get_context("spawn").Event()
        load_before = os.getloadavg()[0]
        peak = _PeakRss(server)
        state: dict[str, Any] = {}

        def measure() -> None:
            state["peak"] = peak.stop()
            state["rss_open"] = server.rss_bytes()
            done.set()

        parts, errors, _ = run_client_processes(
            _process, list(range(n)), (server.address, seconds, done), seconds, measure
        )
    times = [t * 1000 for t in parts]
    return {
        "started": len(times),
        "stream_errors": {c: errors.count(c) for c in set(errors)},
        "start_p50_ms": _pct(times, 50),
        "start_p99_ms": _pct(times, 99),
        "start_max_ms": round(max(times), 1) if times else None,
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_peak_mb": round(state["peak"] / 2**20, 1),
        "rss_open_mb": round(state["rss_open"] / 2**20, 1),
        "kb_per_standing_search": round((state["rss_open"] - rss_before) / n / 1024, 1),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def standing_start(ctx: Context) -> dict[str, Any]:
    n = ctx.sizes.standing_searches
    lots = int(os.environ.get("BENCH_STANDING_MARKET", ctx.sizes.search_lots))
    seconds = 120.0
    empty = _start_all(ctx, n, seconds)
    print(f"[bench] standing start, empty market: {empty}", flush=True)
    with env.service(ctx.db, ctx.folder) as server:
        template = active_lot(server.address)
        load = market.load_once(ctx.db, template.name.split("/")[-1], lots)
    large = _start_all(ctx, n, seconds)
    print(f"[bench] standing start, {lots} lots: {large}", flush=True)
    return {
        "standing_searches": n,
        "commodities": len(COMMODITIES),
        "market_lots": lots,
        "market_load_s": load,
        "empty_market": empty,
        "large_market": large,
    }
