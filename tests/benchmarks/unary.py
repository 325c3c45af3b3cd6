"""Targets 1, 2, 4 and 6: GetAvailability against the echo server, CreateAvailability and
ReserveAvailability against pgbench, and `serve --workers 2` against one worker.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from tests.benchmarks import env
from tests.benchmarks.context import (
    ADMIN,
    BUYER,
    HOLDER,
    SELLER,
    Context,
    active_lot,
    call,
    metadata,
    seller_lot,
    status_of,
)
from tests.benchmarks.cpu import cpu_meter
from tests.benchmarks.load import LoadResult, grpc_body, run_load
from tests.benchmarks.sql import CREATE_SCRIPT, RESERVE_SCRIPT, pgbench
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


# The Get scenarios' load generator runs two threads. With one, on two cores kept fully busy by
# two workers and PostgreSQL, the kernel parks h2load's only thread now and then, and in a
# closed loop every connection (both workers') then waits: measured 07:22 UTC, two workers
# served 2,865 and 2,801 req/s with two threads against 2,358 and 1,498 with one, in
# alternating runs (one worker 1,783 to 1,111 either way; h2load itself used 0.08 of a core).
# Every side of these ratios (echo, one worker, two) gets the same client.
GET_LOAD_THREADS = 2


def _load(
    ctx: Context,
    address: str,
    method: str,
    request: Any,
    tok: str,
    concurrency: int,
    reply_size: int,
) -> LoadResult:
    threads = GET_LOAD_THREADS if method == "GetAvailability" else 1
    return run_load(
        address,
        method,
        grpc_body(request),
        tok,
        concurrency,
        ctx.sizes.seconds,
        reply_size,
        ctx.prefer_h2load,
        threads,
    )


# The load comes from one token standing for many callers: past the default read limit of
# 2,000/s per caller the limiter would refuse the rest. Raised, it is still checked per call.
READS_UNLIMITED = {"AVAILABILITY_RATE_LIMITS": "read=1000000/1000000"}


def get_and_workers(ctx: Context) -> dict[str, Any]:
    """Target 1 (sweep over concurrency, service vs echo) and target 6 (2 workers vs 1)."""
    top = max(ctx.sizes.concurrencies)
    sweep: dict[str, list[dict[str, Any]]] = {"service": [], "echo": []}
    with env.service(ctx.db, ctx.folder, extra_env=READS_UNLIMITED) as server:
        lot = active_lot(server.address)
        request = api.GetAvailabilityRequest(name=lot.name)
        reply = call(server.address, "GetAvailability", request, BUYER).SerializeToString()
        reply_file = ctx.folder / "get-reply.bin"
        reply_file.write_bytes(reply)
        for c in ctx.sizes.concurrencies:
            sweep["service"].append(
                _load(
                    ctx, server.address, "GetAvailability", request, BUYER, c, len(reply)
                ).summary()
            )
        after = status_of(server.address, "GetAvailability", request, BUYER)
    with env.echo(ctx.folder, reply_file) as echo:
        for c in ctx.sizes.concurrencies:
            sweep["echo"].append(
                _load(ctx, echo.address, "GetAvailability", request, BUYER, c, len(reply)).summary()
            )
    rounds = _get_rounds(ctx, request, reply_file, top, len(reply))
    ctx.series["get_sweep"] = sweep
    one, bare = sweep["service"][-1], sweep["echo"][-1]
    middle = rounds[_median_index([r["get_vs_echo"] for r in rounds])]
    scaling = rounds[_median_index([r["workers_2_vs_1"] for r in rounds])]
    return {
        "reply_bytes": len(reply),
        "sample_status_after_load": after,
        "concurrency": top,
        # The headline figures: the median over alternating rounds at `top` (each ratio from
        # runs a few seconds apart), with every round's ratio beside it; the sweep's figures
        # at `top` (service and echo minutes apart) are kept for the plot and for reference.
        "rounds": rounds,
        "service": middle["service"],
        "echo": middle["echo"],
        "get_vs_echo": middle["get_vs_echo"],
        "get_vs_echo_rounds": [r["get_vs_echo"] for r in rounds],
        "get_vs_echo_sweep": _ratio(one["ok_rps"], bare["ok_rps"]),
        "service_2_workers": scaling["service_2_workers"],
        "service_1_worker_again": scaling["service"],
        "echo_2_workers": scaling["echo_2_workers"],
        "workers_2_vs_1": scaling["workers_2_vs_1"],
        "workers_2_vs_1_rounds": [r["workers_2_vs_1"] for r in rounds],
        "echo_2_vs_1_rounds": [r["echo_2_vs_1"] for r in rounds],
        "cpu": scaling["cpu"],
    }


# Alternating rounds at the top concurrency: this machine's speed drifts by tens of percent
# within minutes (other sessions' work), and a ratio of two runs minutes apart carries that
# drift; runs seconds apart, in reversed order every other round, cancel a trend, and the
# median of the rounds drops a round a burst of other load hit.
ROUNDS = 5


def _median_index(values: list[float | None]) -> int:
    ranked = sorted(range(len(values)), key=lambda i: values[i] or 0.0)
    return ranked[len(ranked) // 2]


def _get_rounds(
    ctx: Context, request: Any, reply_file: Any, top: int, size: int
) -> list[dict[str, Any]]:
    """Per round: one worker, two workers, the echo with one process and with two, each a
    fresh process under the same load; the server's CPU and the machine's busy share with
    each worker count (on two cores a second worker adds throughput only while cores sit
    idle)."""
    kinds = ("service", "service_2_workers", "echo", "echo_2_workers")
    rounds = []
    for n in range(ROUNDS):
        got: dict[str, dict[str, Any]] = {}
        cpu: dict[str, dict[str, Any]] = {"service_1_worker": {}, "service_2_workers": {}}
        for kind in kinds if n % 2 == 0 else kinds[::-1]:
            workers = 2 if kind.endswith("2_workers") else 1
            if kind.startswith("echo"):
                with env.echo(ctx.folder, reply_file, workers=workers) as echo:
                    got[kind] = _load(
                        ctx, echo.address, "GetAvailability", request, BUYER, top, size
                    ).summary()
                continue
            meter = cpu["service_2_workers" if workers == 2 else "service_1_worker"]
            with (
                env.service(ctx.db, ctx.folder, workers=workers, extra_env=READS_UNLIMITED) as s,
                cpu_meter(s.pid, meter),
            ):
                got[kind] = _load(
                    ctx, s.address, "GetAvailability", request, BUYER, top, size
                ).summary()
        rps = {kind: got[kind]["ok_rps"] for kind in kinds}
        rounds.append(
            {
                **got,
                "cpu": cpu,
                "get_vs_echo": _ratio(rps["service"], rps["echo"]),
                "workers_2_vs_1": _ratio(rps["service_2_workers"], rps["service"]),
                "echo_2_vs_1": _ratio(rps["echo_2_workers"], rps["echo"]),
            }
        )
    return rounds


def create(ctx: Context) -> dict[str, Any]:
    """Target 2: CreateAvailability vs the same insert transaction through pgbench, with one
    worker and with `serve --workers 2`, in alternating rounds.

    pgbench runs between the rounds with no server process up (a running server LISTENs and
    reads each event), and each round's ratio is to the mean of the pgbench runs before and
    after it: the baseline drifts with this shared machine's load within a minute, and
    bracketing cancels a trend rather than charging it to one side. The headline is the
    median round.
    """
    c = ctx.sizes.create_concurrency
    with env.service(ctx.db, ctx.folder) as server:
        request = api.CreateAvailabilityRequest(availability=seller_lot(server.address))
        sample = call(server.address, "CreateAvailability", request, SELLER)
    script = CREATE_SCRIPT.format(template=sample.availability.name.split("/")[-1])
    size = len(sample.SerializeToString())
    sql = [pgbench(ctx.db, script, c, ctx.sizes.seconds)]
    rounds: list[dict[str, Any]] = []
    after = ""
    for n in range(ROUNDS):
        got: dict[str, Any] = {"cpu": {}}
        for workers in (1, 2) if n % 2 == 0 else (2, 1):
            # Two workers: the deployed shape on two cores (one worker per core,
            # docs/deployment.md). One process runs a create's Python under one GIL, which
            # caps it near 1 / (its CPU per create) whatever the cores; pgbench's side is
            # PostgreSQL's many backends.
            kind = "service_2_workers" if workers == 2 else "service"
            meter: dict[str, Any] = {}
            got["cpu"]["service_2_workers" if workers == 2 else "service_1_worker"] = meter
            with env.service(ctx.db, ctx.folder, workers=workers) as server:
                with cpu_meter(server.pid, meter):
                    load = _load(
                        ctx, server.address, "CreateAvailability", request, SELLER, c, size
                    )
                got[kind] = load.summary()
                if workers == 1:
                    after = status_of(server.address, "CreateAvailability", request, SELLER)
                    ctx.series["create"] = {"service": load.latencies_ms}
        sql.append(pgbench(ctx.db, script, c, ctx.sizes.seconds))
        sql_rps = (sql[-2].rps + sql[-1].rps) / 2
        got["sql_ok_rps"] = round(sql_rps, 1)
        got["create_vs_sql"] = _ratio(got["service"]["ok_rps"], sql_rps)
        got["create_2_workers_vs_sql"] = _ratio(got["service_2_workers"]["ok_rps"], sql_rps)
        rounds.append(got)
    ctx.series["create"]["sql"] = sql[-1].latencies_ms
    one = rounds[_median_index([r["create_vs_sql"] for r in rounds])]
    two = rounds[_median_index([r["create_2_workers_vs_sql"] for r in rounds])]
    return {
        "concurrency": c,
        "sample_status_after_load": after,
        "rounds": rounds,
        "sql_runs_ok_rps": [round(run.rps, 1) for run in sql],
        "service": one["service"],
        "sql": {"ok_rps": one["sql_ok_rps"]},
        "create_vs_sql": one["create_vs_sql"],
        "create_vs_sql_rounds": [r["create_vs_sql"] for r in rounds],
        "service_2_workers": two["service_2_workers"],
        "sql_2_workers": {"ok_rps": two["sql_ok_rps"]},
        "create_2_workers_vs_sql": two["create_2_workers_vs_sql"],
        "create_2_workers_vs_sql_rounds": [r["create_2_workers_vs_sql"] for r in rounds],
        "cpu": {
            "service_1_worker": one["cpu"]["service_1_worker"],
            "service_2_workers": two["cpu"]["service_2_workers"],
        },
    }


def _reserve_once(address: str, name: str) -> str:
    with grpc.insecure_channel(address) as channel:
        stub = api_grpc.AvailabilityServiceStub(channel)
        try:
            stub.ReserveAvailability(
                api.ReserveAvailabilityRequest(name=name, quantity="1", buyer_id="bench-buyer"),
                metadata=metadata(HOLDER),
                timeout=30,
            )
            return "OK"
        except grpc.RpcError as exc:
            return str(exc.code().name)


def _oversell(ctx: Context, address: str) -> dict[str, Any]:
    """2 x stock attempts of one unit from 64 threads: exactly `stock` may succeed."""
    stock = ctx.sizes.hold_stock
    lot = active_lot(address, total_quantity=str(stock))
    with ThreadPoolExecutor(ctx.sizes.hold_concurrency) as pool:
        codes = list(pool.map(lambda _: _reserve_once(address, lot.name), range(2 * stock)))
    row = call(address, "GetAvailability", api.GetAvailabilityRequest(name=lot.name), ADMIN)
    ok = codes.count("OK")
    violations = _consistency(ctx, lot.name.split("/")[-1])
    return {
        "stock": stock,
        "attempts": len(codes),
        "granted": ok,
        "codes": {code: codes.count(code) for code in set(codes)},
        "available_after": row.availability.available_quantity,
        "reserved_after": row.availability.reserved_quantity,
        "consistency_violations": violations,
        "oversold": ok > stock or (violations or 0) > 0,
    }


def _consistency(ctx: Context, lot_id: str) -> int | None:
    """The consistency query (storage/consistency.py) when it exists; None otherwise."""
    try:
        from availability_service.storage import consistency
    except ImportError:
        return None
    import uuid

    from availability_service.storage.database import make_engine

    engine = make_engine(ctx.db.url, 1)
    try:
        with engine.connect() as conn:
            return len(consistency.find_violations(conn, [uuid.UUID(lot_id)]))
    finally:
        engine.dispose()


def reserve(ctx: Context) -> dict[str, Any]:
    """Target 4: 64 callers on one hot lot: no oversell; throughput vs pgbench's hold tx."""
    c = ctx.sizes.hold_concurrency
    with env.service(ctx.db, ctx.folder) as server:
        hot = active_lot(server.address, total_quantity="1000000000")
        request = api.ReserveAvailabilityRequest(
            name=hot.name, quantity="1", buyer_id="bench-buyer"
        )
        sample = call(server.address, "ReserveAvailability", request, HOLDER)  # or NotBuilt
        oversell = _oversell(ctx, server.address)
        size = len(sample.SerializeToString())
        result = _load(ctx, server.address, "ReserveAvailability", request, HOLDER, c, size)
        after = status_of(server.address, "ReserveAvailability", request, HOLDER)
        sql_lot = active_lot(server.address, total_quantity="1000000000").name.split("/")[-1]
    sql = pgbench(ctx.db, RESERVE_SCRIPT.format(lot=sql_lot), c, ctx.sizes.seconds)
    ctx.series["reserve"] = {"service": result.latencies_ms, "sql": sql.latencies_ms}
    return {
        "concurrency": c,
        "oversell_check": oversell,
        "sample_status_after_load": after,
        "service": result.summary(),
        "sql": sql.summary(),
        "reserve_vs_sql": _ratio(result.summary()["ok_rps"], sql.rps),
    }
