"""Issue 16: standing searches (WatchSearch) on one server process.

`standing_searches` streams are opened by client processes (grpc.aio, 50 per connection),
spread evenly over the catalog's commodities, each a buyer's search with its own price
ceiling; once each has received its first message, the server's RSS growth gives memory per
standing search. A writer then reprices a pool of approved cotton lots at
`standing_changes_per_s` for `standing_seconds` through a second server process (as other
engines' calls would arrive), cycling each lot's price through values inside and outside the
ceilings, so lots enter, move within and leave the cotton searches.
The writer stamps each change's revision when UpdateAvailability returns (its commit); every
stream stamps each change it receives; delay = delivery - commit, per delivered change.
The searching process's CPU time over the same span, per change written, says what it can
follow on one core, whatever else the shared machine runs meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask

from tests.benchmarks import env
from tests.benchmarks.context import SELLER, Context, NotBuilt, active_lot, metadata
from tests.benchmarks.watch import _pct, open_streams, run_client_processes
from tests.support.processes import child_pids
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc
from tradedesk.availability.v1 import resources_pb2 as pb

COMMODITIES = (
    "cotton",
    "wheat",
    "corn",
    "soybeans",
    "gold",
    "silver",
    "crude_oil",
    "coffee",
    "copper_cathode",
)
POOL = 50  # cotton lots being repriced
PRICES = ("1550", "1650", "1750", "1850")  # USD/t, against ceilings of 1600..1800
WRITERS = 8
IDLE_SECONDS = 3.0  # measuring the searching process's CPU with no change
# Server processes serving the standing searches (`serve --workers N`, each with its own hub
# and index; the kernel spreads the client connections over them). 1: one process.
WORKERS = int(os.environ.get("BENCH_STANDING_WORKERS", "1"))


def criteria(index: int) -> api.SearchAvailabilitiesRequest:
    """Search `index`: its commodity round-robin, a ceiling between 1600 and 1800 for cotton."""
    commodity = COMMODITIES[index % len(COMMODITIES)]
    search = api.SearchAvailabilitiesRequest(commodity=commodity)
    if commodity == "cotton":
        ceiling = 1600 + (index * 37) % 201
        search.max_price.CopyFrom(pb.Money(currency_code="USD", amount=str(ceiling)))
    return search


async def _streams(
    address: str, indexes: list[int], ready: Any, seconds: float, done_after: Any
) -> tuple[list[tuple[int, float, tuple[int, int]]], list[str]]:
    # (revision of the change, arrival time, the message that carried it: pid, number)
    received: list[tuple[int, float, tuple[int, int]]] = []
    errors: list[str] = []

    async def one(
        stub: api_grpc.AvailabilityServiceStub, index: int, started: Callable[[], None]
    ) -> None:
        request = api.WatchSearchRequest(
            search=criteria(index), progress_notify_interval=Duration(seconds=1)
        )
        tok = env.token(f"bench-standing-{index}", ["BUYER"], region="IN-GJ")
        first = True
        try:
            async with asyncio.timeout(seconds):
                async for reply in stub.WatchSearch(request, metadata=metadata(tok)):
                    if first:
                        first = False
                        started()
                    now = time.time()
                    message = (os.getpid(), len(received))  # unique: len grows per change
                    received.extend((change.revision, now, message) for change in reply.changes)
                    if reply.HasField("bookmark") and done_after.is_set():
                        return  # a bookmark after the writer stopped: caught up
        except (grpc.RpcError, TimeoutError) as exc:
            errors.append(exc.code().name if isinstance(exc, grpc.RpcError) else "TIMEOUT")
            if first:
                started()

    await open_streams(address, indexes, one, ready, seconds)
    return received, errors


def _process(
    indexes: list[int], ready: Any, results: Any, address: str, seconds: float, done: Any
) -> None:
    results.put(asyncio.run(_streams(address, indexes, ready, seconds, done)))


def _reprice(address: str, names: list[str], rate: float, seconds: float) -> dict[int, float]:
    """Changes at `rate` per second for `seconds`; revision -> commit time."""
    channel = grpc.insecure_channel(address)
    stub = api_grpc.AvailabilityServiceStub(channel)
    count = int(rate * seconds)
    start = time.time() + 0.2

    def one(i: int) -> tuple[int, float]:
        time.sleep(max(0.0, start + i / rate - time.time()))
        lot = pb.Availability(
            name=names[i % len(names)],
            base_price=pb.Money(currency_code="USD", amount=PRICES[(i // len(names)) % 4]),
        )
        reply = stub.UpdateAvailability(
            api.UpdateAvailabilityRequest(
                availability=lot, update_mask=FieldMask(paths=["base_price"])
            ),
            metadata=metadata(SELLER),
            timeout=30,
        )
        return reply.availability.revision, time.time()

    with ThreadPoolExecutor(WRITERS) as pool:
        commits = dict(pool.map(one, range(count)))
    channel.close()
    return commits


def _by_third(delays: list[tuple[float, float]]) -> list[list[float]]:
    """(commit time, delay) pairs split by commit time into the first, middle and last third
    of the span of the writes: a queue that builds up shows as delays growing across them."""
    if not delays:
        return [[], [], []]
    first = min(c for c, _ in delays)
    span = max(c for c, _ in delays) - first or 1.0
    thirds: list[list[float]] = [[], [], []]
    for commit, delay in delays:
        thirds[min(2, int(3 * (commit - first) / span))].append(delay)
    return thirds


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its children (`serve --workers`), from
    /proc/PID/stat, fields 14 and 15."""
    total = 0
    for one in [pid, *child_pids(pid)]:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def standing(ctx: Context) -> dict[str, Any]:
    n, rate = ctx.sizes.standing_searches, ctx.sizes.standing_changes_per_s
    seconds = ctx.sizes.standing_seconds
    limit = 120.0 + seconds
    load_before = os.getloadavg()[0]
    # The changes come through a second server process, as they would from other engines'
    # calls: the measured process only follows the events and serves the standing searches.
    with (
        env.service(ctx.db, ctx.folder, workers=WORKERS) as server,
        env.service(ctx.db, ctx.folder) as writer,
    ):
        names = [active_lot(writer.address).name for _ in range(POOL)]
        probe = api.WatchSearchRequest(search=criteria(0))
        with grpc.insecure_channel(server.address) as channel:
            try:
                stream = api_grpc.AvailabilityServiceStub(channel).WatchSearch(
                    probe, metadata=metadata(env.token("probe", ["BUYER"])), timeout=2
                )
                next(iter(stream), None)
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                    raise NotBuilt("WatchSearch") from exc
        time.sleep(1)
        rss_before = server.rss_bytes()
        done = multiprocessing.get_context("spawn").Event()
        state: dict[str, Any] = {}

        def idle_then_write() -> dict[int, float]:
            time.sleep(1)
            state["rss_idle"] = server.rss_bytes()
            assert server.proc is not None
            # What the open streams cost with no change (their progress bookmarks).
            idle_start = cpu_seconds(server.proc.pid)
            time.sleep(IDLE_SECONDS)
            state["idle_cpu_per_s"] = (cpu_seconds(server.proc.pid) - idle_start) / IDLE_SECONDS
            cpu_start = cpu_seconds(server.proc.pid)
            write_start = time.time()
            commits = _reprice(writer.address, names, rate, seconds)
            state["write_s"] = time.time() - write_start
            time.sleep(2)  # the last changes' deliveries
            state["cpu_s"] = cpu_seconds(server.proc.pid) - cpu_start
            state["span_s"] = time.time() - write_start
            done.set()
            return commits

        received, errors, commits = run_client_processes(
            _process, list(range(n)), (server.address, limit, done), limit, idle_then_write
        )
    rss_idle, write_s, cpu_s = state["rss_idle"], state["write_s"], state["cpu_s"]
    delays = [(t - commits[rev]) * 1000 for rev, t, _ in received if rev in commits]
    messages = len({message for rev, _, message in received if rev in commits})
    # What the searching process kept up with: the changes over the time from the first
    # commit to the last delivery (below the rate asked when a queue builds up).
    arrivals = [t for rev, t, _ in received if rev in commits]
    followed_s = max(arrivals) - min(commits.values()) if arrivals else 0.0
    ctx.series["standing"] = {"delays_ms": delays}
    thirds = _by_third(
        [(commits[rev], (t - commits[rev]) * 1000) for rev, t, _ in received if rev in commits]
    )
    return {
        "standing_searches": n,
        "server_processes": WORKERS,
        "commodities": len(COMMODITIES),
        "cotton_searches": sum(1 for i in range(n) if i % len(COMMODITIES) == 0),
        "changes_written": len(commits),
        "changes_per_s_asked": rate,
        "changes_per_s_written": round(len(commits) / write_s, 1) if write_s else None,
        "changes_per_s_followed": round(len(commits) / followed_s, 1) if followed_s else None,
        # The searching process's CPU per change (progress bookmarks of every stream over
        # the 2 s after the last write included), and the rate that allows on one core.
        "cpu_ms_per_change": round(cpu_s * 1000 / len(commits), 2) if commits else None,
        "idle_cpu_percent": round(100 * state["idle_cpu_per_s"], 1),
        # What the changes themselves cost: the CPU over the same span less what the open
        # searches cost with no change (their bookmarks), per change. Unlike the figure above
        # it does not grow when the writer offers fewer changes over the same span.
        "changes_cpu_ms_per_change": round(
            (cpu_s - state["idle_cpu_per_s"] * state["span_s"]) * 1000 / len(commits), 2
        )
        if commits
        else None,
        "changes_per_s_per_core": round(len(commits) / cpu_s, 1) if cpu_s else None,
        "deliveries": len(delays),
        "messages_with_changes": messages,
        "stream_errors": {c: errors.count(c) for c in set(errors)},
        "delay_p50_ms": _pct(delays, 50),
        "delay_p99_ms": _pct(delays, 99),
        # Stable or growing: the delays of the changes committed in each third of the writes.
        "delay_p50_ms_by_third": [_pct(third, 50) for third in thirds],
        "delay_p99_ms_by_third": [_pct(third, 99) for third in thirds],
        # The machine's 1-minute load average before and after (2 cores: above 2 is a queue).
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_with_searches_mb": round(rss_idle / 2**20, 1),
        "kb_per_standing_search": round((rss_idle - rss_before) / n / 1024, 1),
    }
