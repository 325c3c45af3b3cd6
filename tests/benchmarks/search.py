"""Target 3: SearchAvailabilities over a bulk-loaded data set against the raw SQL query.

The raw query is the search written by hand: the same filters (commodity, ACTIVE, public,
price ceiling, geo radius via earth_box + exact distance, minimum quantity) ordered by cosine
distance through the HNSW index, LIMIT 10. Recall@10 compares that index order with exact
scoring (the same query with index scans disabled, so every candidate is scored); the service's
own top 10 is compared with the exact list as well (weights: vector only).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import grpc

from tests.benchmarks import env
from tests.benchmarks.context import BUYER, Context, active_lot, call, metadata
from tests.benchmarks.sql import bulk_copy_lots, timed_queries
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2

NEAR = (22.3, 70.8)
RADIUS_KM = 300.0
MAX_PRICE = "2000"  # USD per t; the template costs 1650, clones spread +-30 %

RAW_SQL = """
SELECT id FROM availabilities
WHERE commodity = 'cotton' AND state = 'ACTIVE' AND delete_time IS NULL
  AND market_visibility = 'PUBLIC' AND available_quantity >= 10
  AND price_per_base_unit <= %(max_ppbu)s
  AND earth_box(ll_to_earth(%(lat)s, %(lon)s), %(radius_m)s) @> ll_to_earth(latitude, longitude)
  AND earth_distance(ll_to_earth(%(lat)s, %(lon)s), ll_to_earth(latitude, longitude))
      <= %(radius_m)s
ORDER BY ai_score_vector <=> %(vector)s::vector
LIMIT 10
"""


def _request() -> api.SearchAvailabilitiesRequest:
    request = api.SearchAvailabilitiesRequest(
        commodity="cotton",
        max_price=pb.Money(currency_code="USD", amount=MAX_PRICE),
        price_unit="t",
        radius_km=RADIUS_KM,
        min_quantity="10",
        page_size=10,
        weights=search_pb2.ScoreWeights(
            vector=1.0, quality=0.0, price=0.0, confidence=0.0, distance=0.0
        ),
    )
    request.near.latitude, request.near.longitude = NEAR
    return request


def _service_vector(request: api.SearchAvailabilitiesRequest) -> str | None:
    """The query embedding the service itself computes for this request (None if the search
    modules change shape): the raw and exact SQL then rank by the very same vector."""
    try:
        from availability_service.grpc_api.search_input import search_query
        from availability_service.intelligence import FeatureEmbedder, load_catalog
        from availability_service.service_layer.search import SearchService

        catalog = load_catalog()
        query, _ = search_query(request)
        plan = SearchService(None, catalog, FeatureEmbedder(catalog)).plan(query)[1]  # type: ignore[arg-type]  # plan() needs no database
        return "[" + ",".join(repr(float(x)) for x in plan.target_vector) + "]"
    except Exception:
        return None


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    data = sorted(values)
    return round(data[min(len(data) - 1, int(p / 100 * len(data)))], 3)


def _exact(ctx: Context, params: dict[str, object]) -> list[str]:
    conn = ctx.db.psycopg2_connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SET enable_indexscan = off")
            cur.execute("SET enable_bitmapscan = off")
            cur.execute(RAW_SQL, params)
            return [str(row[0]) for row in cur.fetchall()]
    finally:
        conn.close()


def _raw_ids(ctx: Context, params: dict[str, object]) -> list[str]:
    conn = ctx.db.psycopg2_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(RAW_SQL, params)
            return [str(row[0]) for row in cur.fetchall()]
    finally:
        conn.close()


def search(ctx: Context) -> dict[str, Any]:
    n, queries = ctx.sizes.search_lots, ctx.sizes.search_queries
    with env.service(ctx.db, ctx.folder) as server:
        template = active_lot(server.address)
        call(server.address, "SearchAvailabilities", _request(), BUYER)  # NotBuilt stops here
        load_s = bulk_copy_lots(ctx.db, template.name.split("/")[-1], n)
        conn = ctx.db.psycopg2_connect()
        with conn.cursor() as cur:
            cur.execute(
                "SELECT price_per_base_unit, ai_score_vector::text FROM availabilities "
                "WHERE id = %s",
                (template.name.split("/")[-1],),
            )
            ppbu, vector = cur.fetchone()
        conn.close()
        params = {
            "max_ppbu": ppbu * 2000 / 1650,
            "lat": NEAR[0],
            "lon": NEAR[1],
            "radius_m": RADIUS_KM * 1000,
            "vector": _service_vector(_request()) or vector,
        }
        service_ms: list[float] = []
        with grpc.insecure_channel(server.address) as channel:
            stub = api_grpc.AvailabilityServiceStub(channel)
            for _ in range(3):  # warm caches and connections on both sides alike
                stub.SearchAvailabilities(_request(), metadata=metadata(BUYER), timeout=60)
            deadline = time.monotonic() + 20 * ctx.sizes.seconds
            for _ in range(queries):
                if time.monotonic() > deadline:
                    break
                start = time.perf_counter()
                reply = stub.SearchAvailabilities(_request(), metadata=metadata(BUYER), timeout=60)
                service_ms.append((time.perf_counter() - start) * 1000)
    timed_queries(ctx.db, RAW_SQL, params, 3, 60)
    sql_ms = timed_queries(ctx.db, RAW_SQL, params, queries, 20 * ctx.sizes.seconds)
    exact = _exact(ctx, params)
    raw = _raw_ids(ctx, params)
    service_ids = [r.availability.name.split("/")[-1] for r in reply.results]
    ctx.series["search"] = {"service": service_ms, "sql": sql_ms}
    p = {
        k: _pct(v, q)
        for k, v, q in (
            ("service_p50", service_ms, 50),
            ("service_p99", service_ms, 99),
            ("sql_p50", sql_ms, 50),
            ("sql_p99", sql_ms, 99),
        )
    }
    top = set(exact[:10])
    return {
        "lots": n,
        "bulk_load_s": round(load_s, 1),
        "queries": len(service_ms),
        **p,
        "service_mean_ms": round(statistics.fmean(service_ms), 3),
        "p50_vs_sql": _div(p["service_p50"], p["sql_p50"]),
        "p99_vs_sql": _div(p["service_p99"], p["sql_p99"]),
        "exact_top10_size": len(top),
        "sql_hnsw_recall_at_10": round(len(top & set(raw)) / len(top), 3) if top else None,
        "service_recall_at_10": round(len(top & set(service_ids)) / len(top), 3) if top else None,
        "service_results": len(service_ids),
    }


def _div(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None
