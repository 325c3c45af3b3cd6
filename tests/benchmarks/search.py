"""Target 3: SearchAvailabilities and ListSimilarAvailabilities over a realistic market.

The market (tests.benchmarks.market) is loaded straight through SQL. Three query shapes, each
drawn afresh per call from producing regions and catalog ranges so no two calls are alike:
(a) matching: commodity, two quality targets with tolerances, a max price, 500 km around a
point, default weights; (b) commodity only, default weights; (c) vector weight only. Each is
timed at concurrency 1 (p50, p99) and its throughput taken at concurrency 8. Exactness:
on sampled queries of each shape the service's first page (10) is compared with brute force
(tests.support.search_oracle: every lot of the commodity scored by score_lot): recall@10
and the share of queries whose page is identical (same lots, order and scores).
ListSimilarAvailabilities: p50 at concurrency 1, recall@10 against the same query with
index scans off (exact nearest neighbours).
"""

from __future__ import annotations

import functools
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from tests.benchmarks import env, market
from tests.benchmarks.context import BUYER, Context, active_lot, call, metadata
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2

GOAL_P50_MS, GOAL_P99_MS = 50.0, 150.0
GOAL_SIMILAR_P50_MS, GOAL_SIMILAR_RECALL = 20.0, 0.95
PAGE = 10
TARGETS = {
    "cotton": ("staple_length", 2.0, "micronaire", 0.6),
    "wheat": ("protein", 1.5, "moisture", 1.5),
}
VECTOR_ONLY = search_pb2.ScoreWeights(
    vector=1.0, quality=0.0, price=0.0, confidence=0.0, distance=0.0
)


@functools.cache  # parsed once: the throughput callers draw queries while timed
def _catalog() -> Any:
    return market.load_catalog()


def matching(rng: random.Random) -> api.SearchAvailabilitiesRequest:
    code = rng.choice(list(TARGETS))
    commodity = _catalog().get(code)
    first, first_tol, second, second_tol = TARGETS[code]
    request = api.SearchAvailabilitiesRequest(commodity=code, page_size=PAGE, radius_km=500)
    for name, tolerance in ((first, first_tol), (second, second_tol)):
        parameter = commodity.parameter(name)
        assert parameter is not None and parameter.minimum is not None and parameter.width
        value = round(parameter.minimum + rng.uniform(0.3, 0.7) * parameter.width, 2)
        target = search_pb2.QualityTarget(tolerance=tolerance)
        target.value.CopyFrom(pb.QualityValue(number=value, unit=parameter.unit or ""))
        request.quality_targets[name].CopyFrom(target)
    low, high = commodity.price_band or (1000, 3000)
    price = float(low) + rng.uniform(0.5, 0.9) * float(high - low)
    request.max_price.CopyFrom(pb.Money(currency_code="USD", amount=f"{price:.2f}"))
    _, lat, lng = rng.choice(market.CENTRES[code])
    request.near.CopyFrom(
        pb.LatLng(latitude=lat + rng.gauss(0, 1), longitude=lng + rng.gauss(0, 1))
    )
    return request


def commodity_only(rng: random.Random) -> api.SearchAvailabilitiesRequest:
    codes = list(market.shares())
    code = rng.choices(codes, weights=[market.shares()[c] for c in codes])[0]
    return api.SearchAvailabilitiesRequest(commodity=code, page_size=PAGE)


def vector_only(rng: random.Random) -> api.SearchAvailabilitiesRequest:
    request = commodity_only(rng)
    request.weights.CopyFrom(VECTOR_ONLY)
    return request


SHAPES: dict[str, Callable[[random.Random], api.SearchAvailabilitiesRequest]] = {
    "a_matching": matching,
    "b_commodity_only": commodity_only,
    "c_vector_only": vector_only,
}


def _engine(ctx: Context) -> Any:
    from availability_service.storage.database import make_engine

    return make_engine(ctx.db.url, 2)


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    data = sorted(values)
    return round(data[min(len(data) - 1, int(p / 100 * len(data)))], 2)


def _timed(stub: Any, method: str, requests: list[Any], seconds: float = 600) -> list[float]:
    """Latencies (ms) of the requests one after the other, until `seconds` have passed."""
    out: list[float] = []
    deadline = time.monotonic() + seconds
    for request in requests:
        if out and time.monotonic() > deadline:
            break
        start = time.perf_counter()
        getattr(stub, method)(request, metadata=metadata(BUYER), timeout=120)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _throughput(address: str, make: Callable[[random.Random], Any], seconds: float) -> float:
    """Completed searches per second with 8 callers, each on its own channel."""

    def caller(seed: int) -> int:
        rng, done = random.Random(seed), 0
        with grpc.insecure_channel(address) as channel:
            stub = api_grpc.AvailabilityServiceStub(channel)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                stub.SearchAvailabilities(make(rng), metadata=metadata(BUYER), timeout=120)
                done += 1
        return done

    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(caller, range(8)))
    return round(total / (time.monotonic() - start), 1)


def _exactness(
    ctx: Context, stub: Any, make: Callable[[random.Random], Any], samples: int
) -> dict[str, Any]:
    """Recall@10 and identical-page rate of the service against brute force."""
    from availability_service.auth.principal import Principal, Role
    from availability_service.intelligence import FeatureEmbedder, load_catalog
    from availability_service.service_layer.search import SearchService
    from availability_service.storage.tables import availabilities as t
    from tests.support.search_oracle import brute_force

    engine = _engine(ctx)
    catalog = load_catalog()
    planner = SearchService(None, catalog, FeatureEmbedder(catalog))  # type: ignore[arg-type]  # plan() only
    principal = Principal("bench-buyer", "bench-buyer-co", frozenset({Role.BUYER}), "IN-GJ")
    rng = random.Random(4242)
    recalls, identical, seconds = [], 0, []
    for _ in range(samples):
        request = make(rng)
        reply = stub.SearchAvailabilities(request, metadata=metadata(BUYER), timeout=300)
        got = [(r.availability.name, r.score) for r in reply.results]
        start = time.monotonic()
        expected = brute_force(
            engine, planner, principal, request, t.c.commodity == request.commodity
        )[:PAGE]
        seconds.append(time.monotonic() - start)
        names = {name for name, _ in expected}
        recalls.append(len(names & {name for name, _ in got}) / len(names) if names else 1.0)
        # Names first: the scores are zipped only when both pages hold the same lots.
        identical += [n for n, _ in got] == [n for n, _ in expected] and all(
            abs(a - b) <= 1e-12 * max(1.0, abs(b))
            for (_, a), (_, b) in zip(got, expected, strict=True)
        )
    engine.dispose()
    return {
        "samples": samples,
        "recall_at_10": round(min(recalls), 3) if recalls else None,
        "mean_recall_at_10": round(statistics.fmean(recalls), 3) if recalls else None,
        "identical_rate": round(identical / samples, 3) if samples else None,
        "brute_force_s_each": round(statistics.fmean(seconds), 1) if seconds else None,
    }


def _similar(ctx: Context, stub: Any, count: int) -> dict[str, Any]:
    """ListSimilarAvailabilities p50 and recall@10 (same commodity) against exact order."""
    from availability_service.auth.principal import Principal, Role

    engine = _engine(ctx)
    with engine.connect() as conn:
        picks = market.similar_picks(conn, count)
    requests = [
        api.ListSimilarAvailabilitiesRequest(name=f"availabilities/{i}", page_size=PAGE)
        for i in picks
    ]
    _timed(stub, "ListSimilarAvailabilities", requests[:3])
    latencies = _timed(stub, "ListSimilarAvailabilities", requests, 60)
    principal = Principal("bench-buyer", "bench-buyer-co", frozenset({Role.BUYER}), "IN-GJ")
    recalls = []
    for request, lot_id in list(zip(requests, picks, strict=True))[: min(20, len(picks))]:
        reply = stub.ListSimilarAvailabilities(request, metadata=metadata(BUYER), timeout=60)
        got = {r.availability.name for r in reply.results if r.same_commodity}
        with engine.begin() as conn:
            exact = market.similar_lots(conn, lot_id, principal.viewer, PAGE, exact=True)
        names = {f"availabilities/{lot_id}" for lot_id in exact}
        recalls.append(len(names & got) / len(names) if names else 1.0)
    engine.dispose()
    return {
        "calls": len(latencies),
        "p50_ms": _pct(latencies, 50),
        "p99_ms": _pct(latencies, 99),
        "recall_at_10": round(statistics.fmean(recalls), 3) if recalls else None,
        "min_recall_at_10": round(min(recalls), 3) if recalls else None,
    }


SEARCH_MEMORY_ON = {"AVAILABILITY_SEARCH_MEMORY": "true"}


def search(ctx: Context) -> dict[str, Any]:
    n, queries = ctx.sizes.search_lots, ctx.sizes.search_queries
    with env.service(ctx.db, ctx.folder) as server:
        template = active_lot(server.address)
        call(server.address, "SearchAvailabilities", commodity_only(random.Random(1)), BUYER)
        load = market.load_once(ctx.db, template.name.split("/")[-1], n)
    result: dict[str, Any] = {
        "lots": n,
        "data_set": market.__doc__.split("\n\n")[1].replace("\n", " "),
        "load_s": load,
        "load_total_s": round(sum(v for k, v in load.items() if k != "reused"), 1),
        "search_memory": True,
        "shapes": {},
    }
    # The market went in by SQL, with no events, so the measured server starts after it: it
    # reads its search memory before serving (AVAILABILITY_SEARCH_MEMORY, on as a deployment
    # whose every write goes through the service runs it; docs/search.md).
    with (
        env.service(ctx.db, ctx.folder, extra_env=SEARCH_MEMORY_ON) as server,
        grpc.insecure_channel(
            server.address, options=[("grpc.max_receive_message_length", 64 << 20)]
        ) as channel,
    ):
        stub = api_grpc.AvailabilityServiceStub(channel)
        for shape, make in SHAPES.items():
            rng = random.Random(shape)
            _timed(stub, "SearchAvailabilities", [make(rng) for _ in range(3)])  # warm up
            batch = [make(rng) for _ in range(queries)]
            latencies = _timed(stub, "SearchAvailabilities", batch, 10 * ctx.sizes.seconds)
            ctx.series.setdefault("search", {})[shape] = latencies
            result["shapes"][shape] = {
                "queries": len(latencies),
                "p50_ms": _pct(latencies, 50),
                "p99_ms": _pct(latencies, 99),
                "mean_ms": round(statistics.fmean(latencies), 2),
                "rps_c8": _throughput(server.address, make, ctx.sizes.seconds),
                **_exactness(ctx, stub, make, ctx.sizes.search_exact_samples),
            }
            print(f"[bench] search {shape}: {result['shapes'][shape]}", flush=True)
        result["similar"] = _similar(ctx, stub, queries)
    return result
