"""Target 5: many concurrent WatchAvailabilities streams on one server process.

Client processes (grpc.aio, 50 streams per connection) open the watchers; once every stream has
received its first message (a progress bookmark), the server's RSS growth gives memory per idle
watcher. A writer then creates lots as fast as it can through a SECOND server process on the
same database (as a write in another process of the service would arrive), so the measured
process does the fan-out alone: its only cost per event is reading it once and sending it to
every stream. Each watcher stamps every event it receives, and the writer stamps each commit
(when CreateAvailability returned), so delay = delivery - commit. The baseline is the echo
server pushing the same event message the same number of times to the same number of streams
through the same client code.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration

from tests.benchmarks import env
from tests.benchmarks.context import SELLER, Context, NotBuilt, call, seller_lot
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc
from tradedesk.availability.v1 import watch_pb2

STREAMS_PER_CONNECTION = 50
PROCESSES = 4


async def open_streams(
    address: str,
    jobs: list[Any],
    one: Callable[
        [api_grpc.AvailabilityServiceStub, Any, Callable[[], None]], Coroutine[Any, Any, None]
    ],
    ready: Any,
    seconds: float,
) -> None:
    """Runs one(stub, job, started) per job, STREAMS_PER_CONNECTION streams per connection;
    reports ready once every stream called started() (or after `seconds`), then waits for all."""
    started = asyncio.Event()
    pending = len(jobs)

    def one_started() -> None:
        nonlocal pending
        pending -= 1
        if pending == 0:
            started.set()

    channels = [
        grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(0, len(jobs), STREAMS_PER_CONNECTION)
    ]
    stubs = [api_grpc.AvailabilityServiceStub(ch) for ch in channels]
    tasks = [
        asyncio.create_task(one(stubs[i // STREAMS_PER_CONNECTION], job, one_started))
        for i, job in enumerate(jobs)
    ]
    try:
        async with asyncio.timeout(seconds):
            await started.wait()
    except TimeoutError:
        pass
    ready.put("ready")
    await asyncio.gather(*tasks)
    for ch in channels:
        await ch.close()


async def _watchers(
    address: str, tokens: list[str], expected: int, ready: Any, seconds: float
) -> tuple[list[tuple[str, float]], list[str]]:
    request = api.WatchAvailabilitiesRequest(
        commodities=["cotton"], progress_notify_interval=Duration(seconds=1)
    )
    received: list[tuple[str, float]] = []
    errors: list[str] = []

    async def one(
        stub: api_grpc.AvailabilityServiceStub, tok: str, started: Callable[[], None]
    ) -> None:
        got, first = 0, True
        try:
            async with asyncio.timeout(seconds):
                stream = stub.WatchAvailabilities(
                    request, metadata=[("authorization", f"Bearer {tok}")]
                )
                async for reply in stream:
                    if first:
                        first = False
                        started()
                    now = time.time()
                    for event in reply.events:
                        received.append((event.availability.name, now))
                        got += 1
                    if got >= expected:
                        stream.cancel()
                        return
        except (grpc.RpcError, TimeoutError) as exc:
            code = exc.code().name if isinstance(exc, grpc.RpcError) else "TIMEOUT"
            errors.append(code)
            if first:
                started()

    await open_streams(address, tokens, one, ready, seconds)
    return received, errors


def _process(
    tokens: list[str], ready: Any, results: Any, address: str, expected: int, seconds: float
) -> None:
    results.put(asyncio.run(_watchers(address, tokens, expected, ready, seconds)))


def run_client_processes(
    target: Callable[..., None],
    jobs: list[Any],
    args: tuple[Any, ...],
    seconds: float,
    between: Any,
) -> tuple[list[Any], list[str], Any]:
    """Spreads `jobs` over PROCESSES spawned client processes, each running
    target(jobs_slice, ready, results, *args); calls between() once all are ready; gathers
    what each put in `results` (received items, error codes)."""
    ctx = multiprocessing.get_context("spawn")
    ready, results = ctx.Queue(), ctx.Queue()
    n = min(PROCESSES, len(jobs))
    procs = [ctx.Process(target=target, args=(jobs[i::n], ready, results, *args)) for i in range(n)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=seconds + 30)
    middle = between()
    received: list[Any] = []
    errors: list[str] = []
    for _ in procs:
        try:
            part, errs = results.get(timeout=seconds + 60)
        except queue.Empty:
            break
        received += part
        errors += errs
    for p in procs:
        p.join(10)
        if p.is_alive():
            p.kill()
    return received, errors, middle


def _run_watchers(
    address: str, watchers: int, expected: int, seconds: float, between: Any
) -> tuple[list[tuple[str, float]], list[str], Any]:
    """Starts the client processes, calls between() once all are ready, gathers the events."""
    tokens = [env.token(f"bench-watcher-{i}", ["ADMIN"]) for i in range(watchers)]
    return run_client_processes(_process, tokens, (address, expected, seconds), seconds, between)


def _write(address: str, count: int) -> dict[str, float]:
    """Creates `count` lots from 8 threads; name -> commit time (when the reply came back)."""
    stub_channel = grpc.insecure_channel(address)
    stub = api_grpc.AvailabilityServiceStub(stub_channel)
    request = api.CreateAvailabilityRequest(availability=seller_lot(address))

    def one(_: int) -> tuple[str, float]:
        reply = stub.CreateAvailability(
            request, metadata=[("authorization", f"Bearer {SELLER}")], timeout=30
        )
        return reply.availability.name, time.time()

    with ThreadPoolExecutor(8) as pool:
        commits = dict(pool.map(one, range(count)))
    stub_channel.close()
    return commits


def _pct(values: list[float], p: float) -> float | None:
    data = sorted(values)
    return round(data[min(len(data) - 1, int(p / 100 * len(data)))], 2) if data else None


def _rate(received: list[tuple[str, float]]) -> float:
    times = [t for _, t in received]
    span = max(times) - min(times) if len(times) > 1 else 0.0
    return round(len(times) / span, 1) if span else 0.0


def watch(ctx: Context) -> dict[str, Any]:
    w, e, seconds = ctx.sizes.watchers, ctx.sizes.watch_events, 60.0 + ctx.sizes.seconds
    # Every open stream holds one of the server's concurrent-RPC slots (default 512).
    slots = {"AVAILABILITY_MAX_CONCURRENT_RPCS": str(2 * w + 100)}
    with (
        env.service(ctx.db, ctx.folder, extra_env=slots) as server,
        env.service(ctx.db, ctx.folder) as writer,
    ):
        probe = api.WatchAvailabilitiesRequest(commodities=["cotton"])
        with grpc.insecure_channel(server.address) as channel:
            stream = api_grpc.AvailabilityServiceStub(channel).WatchAvailabilities(
                probe,
                metadata=[("authorization", f"Bearer {env.token('probe', ['ADMIN'])}")],
                timeout=2,
            )
            try:
                next(iter(stream), None)
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                    raise NotBuilt("WatchAvailabilities") from exc
        sample_lot = call(
            writer.address,
            "CreateAvailability",
            api.CreateAvailabilityRequest(availability=seller_lot(writer.address)),
            SELLER,
        ).availability
        time.sleep(1)
        rss_before = server.rss_bytes()
        state: dict[str, Any] = {}

        def idle_then_write() -> dict[str, float]:
            time.sleep(1)
            state["rss_idle"] = server.rss_bytes()
            start = time.time()
            commits = _write(writer.address, e)
            state["write_s"] = time.time() - start
            return commits

        received, errors, commits = _run_watchers(server.address, w, e, seconds, idle_then_write)
    delays = [(t - commits[name]) * 1000 for name, t in received if name in commits]
    event = watch_pb2.AvailabilityEvent(type=watch_pb2.EVENT_TYPE_CREATED, availability=sample_lot)
    reply_file = ctx.folder / "watch-reply.bin"
    reply_file.write_bytes(api.WatchAvailabilitiesResponse(events=[event]).SerializeToString())
    with env.echo(ctx.folder, reply_file, stream_count=e) as echo:
        bare, bare_errors, _ = _run_watchers(echo.address, w, e, seconds, lambda: None)
    ctx.series["watch"] = {"delays_ms": delays}
    delivered, bare_rate = _rate([r for r in received if r[0] in commits]), _rate(bare)
    return {
        "watchers": w,
        "events_written": e,
        "write_s": round(state.get("write_s", 0), 2),
        # What keeping up with the writer would take: above the delivered rate, the fan-out
        # (not the writer) set the pace.
        "offered_events_per_s": round(e * w / state["write_s"], 1)
        if state.get("write_s")
        else None,
        "deliveries": len(delays),
        "expected_deliveries": w * e,
        "stream_errors": {c: errors.count(c) for c in set(errors)},
        "delay_p50_ms": _pct(delays, 50),
        "delay_p99_ms": _pct(delays, 99),
        "delivered_events_per_s": delivered,
        "bare_events_per_s": bare_rate,
        "bare_deliveries": len(bare),
        "bare_errors": len(bare_errors),
        "delivered_vs_bare": round(delivered / bare_rate, 3) if bare_rate else None,
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_idle_mb": round(state.get("rss_idle", 0) / 2**20, 1),
        "kb_per_idle_watcher": round((state.get("rss_idle", 0) - rss_before) / w / 1024, 1),
    }
