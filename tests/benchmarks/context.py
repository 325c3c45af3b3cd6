"""What every scenario shares: the database, the temp folder, sizes, callers and a result log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from tests.benchmarks.env import Database, token
from tests.support.lots import cotton_lot
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc
from tradedesk.availability.v1 import resources_pb2 as pb


class NotBuilt(Exception):
    """The RPC answered UNIMPLEMENTED: another engineer has not landed it yet."""


@dataclass(frozen=True)
class Sizes:
    seconds: float  # one load run
    concurrencies: tuple[int, ...]  # throughput-against-concurrency sweep
    search_lots: int
    search_queries: int
    hold_stock: int  # quantity of the oversell lot
    watchers: int
    watch_events: int
    search_exact_samples: int = 5  # queries per shape checked against brute force
    create_concurrency: int = 16
    hold_concurrency: int = 64
    # Issue 16: standing searches open at once, changes written per second, for how long.
    standing_searches: int = 1000
    standing_changes_per_s: float = 100.0
    standing_seconds: float = 30.0


QUICK = Sizes(
    seconds=2,
    concurrencies=(4, 16),
    search_lots=2_000,
    search_queries=20,
    search_exact_samples=2,
    hold_stock=40,
    watchers=40,
    watch_events=20,
    standing_seconds=10.0,
)
FULL = Sizes(
    seconds=8,
    concurrencies=(1, 4, 16, 64),
    search_lots=100_000,
    search_queries=200,
    hold_stock=200,
    watchers=1000,
    watch_events=100,
)


@dataclass
class Context:
    db: Database
    folder: Path
    sizes: Sizes
    prefer_h2load: bool
    results: dict[str, Any] = field(default_factory=dict)
    series: dict[str, Any] = field(default_factory=dict)  # raw data for the plots


def metadata(tok: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {tok}")]


SELLER = token("bench-seller", ["SELLER"], company="bench-co", region="IN-GJ")
ADMIN = token("bench-admin", ["ADMIN"])
# Holds are placed by the negotiation engine (a SERVICE principal) on behalf of a buyer.
HOLDER = token("bench-negotiation", ["SERVICE"])
BUYER = token("bench-buyer", ["BUYER"], company="bench-buyer-co", region="IN-GJ")


def call(address: str, method: str, request: Any, tok: str, timeout: float = 30) -> Any:
    """One real gRPC call; UNIMPLEMENTED becomes NotBuilt."""
    with grpc.insecure_channel(address) as channel:
        stub = api_grpc.AvailabilityServiceStub(channel)
        try:
            return getattr(stub, method)(request, metadata=metadata(tok), timeout=timeout)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                raise NotBuilt(method) from exc
            raise


def status_of(address: str, method: str, request: Any, tok: str) -> str:
    """grpc-status of one call, checked with a real client (h2load sees only HTTP 200)."""
    try:
        call(address, method, request, tok)
        return "OK"
    except NotBuilt:
        return "UNIMPLEMENTED"
    except grpc.RpcError as exc:
        return str(exc.code().name)


LOCATION = "loc-bench-seller"


def seller_lot(address: str, **overrides: Any) -> pb.Availability:
    """A cotton lot posted from the bench seller's registered location (registered here)."""
    place = pb.Location(
        location_id=LOCATION,
        owner_id="bench-seller",
        display_name="Rajkot",
        point=pb.LatLng(latitude=22.3, longitude=70.8),
        region="IN-GJ",
    )
    try:
        call(address, "UpsertLocation", api.UpsertLocationRequest(location=place), ADMIN)
    except NotBuilt:
        pass  # before locations existed, lots needed no location
    else:
        overrides.setdefault("location_id", LOCATION)
    return cotton_lot(**overrides)


def active_lot(address: str, **overrides: Any) -> pb.Availability:
    """A cotton lot created by the seller and approved by an admin (so buyers can see it)."""
    lot = call(
        address,
        "CreateAvailability",
        api.CreateAvailabilityRequest(availability=seller_lot(address, **overrides)),
        SELLER,
    ).availability
    return call(
        address,
        "ApproveAvailability",
        api.ApproveAvailabilityRequest(name=lot.name, etag=lot.etag),
        ADMIN,
    ).availability


def guarded(name: str, ctx: Context, scenario: Callable[[Context], dict[str, Any]]) -> None:
    """Runs one scenario; a missing RPC is 'not built', any other failure is recorded."""
    import time

    started = time.monotonic()
    try:
        ctx.results[name] = {"status": "measured", **scenario(ctx)}
    except NotBuilt as exc:
        ctx.results[name] = {"status": "not built", "detail": f"{exc} answers UNIMPLEMENTED"}
    except Exception as exc:
        ctx.results[name] = {"status": "error", "detail": f"{type(exc).__name__}: {exc}"[:500]}
    ctx.results[name]["elapsed_s"] = round(time.monotonic() - started, 1)
    print(
        f"[bench] {name}: {ctx.results[name]['status']} ({ctx.results[name]['elapsed_s']} s)",
        flush=True,
    )
