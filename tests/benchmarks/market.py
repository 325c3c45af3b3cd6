"""A realistic market for the search benchmark, loaded fast straight through SQL.

Shape: every commodity of the packaged catalog, cotton (35 %) and wheat (25 %) heavy, the
rest shared evenly; positions clustered (Gaussian, about 150 km) around two to four
producing regions per commodity; every numeric quality parameter reported by 85 % of the
lots, spread over the catalog's realistic range; prices spread over the catalog's price band
(in the canonical price unit); quantities from 5 to 500 canonical units x 1000; grades from a
short list; confidence scores over [0, 1]. 90 % of the lots are ACTIVE (some partly
reserved), the rest DRAFT, SOLD or fully reserved; 90 % PUBLIC, 5 % PRIVATE (invited buyers
only) and 5 % RESTRICTED (to one region); 1 % flagged as price anomalies.

The columns the service derives (normalised quality, canonical quantity and price, the
embedding) are computed by the service's own functions (normalisation of catalog units is
the identity here since every lot is generated in its canonical units, the embedding is
FeatureEmbedder.embed); `check_against_enricher` proves that on a sample by running the
real LotEnricher on the same lots. Rows go to a staging table by COPY, then into
availabilities with one INSERT ... SELECT (the other columns from a template lot posted
through the API).
"""

from __future__ import annotations

import functools
import io
import json
import math
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from availability_service.intelligence import FeatureEmbedder, LotFeatures, load_catalog
from tests.benchmarks.env import Database

SHARES = {"cotton": 0.35, "wheat": 0.25}
CENTRES = {
    "cotton": [("IN-GJ", 22.3, 70.8), ("IN-MH", 20.7, 77.0), ("US-TX", 33.0, -101.0)],
    "wheat": [("IN-PB", 30.9, 75.8), ("US-KS", 38.5, -98.0), ("UA-71", 49.0, 32.0)],
}
OTHER_CENTRES = [
    ("BR-MT", -13.0, -56.0),
    ("AU-NSW", -33.0, 147.0),
    ("CN-XJ", 41.0, 80.0),
    ("ZA-GT", -26.2, 28.0),
]
GRADES = ["A", "B", "C", "premium", "standard"]
SPREAD_DEG = 1.4  # about 150 km
PUBLIC_BUYER_REGION = "IN-GJ"

# Staging columns: (name, PostgreSQL type); everything else comes from the template lot.
STAGED = [
    ("id", "uuid"),
    ("seller_id", "text"),
    ("company_id", "text"),
    ("commodity", "text"),
    ("grade", "text"),
    ("quantity_unit", "text"),
    ("base_quantity_unit", "text"),
    ("price_unit", "text"),
    ("base_price_currency", "text"),
    ("base_price_unit", "text"),
    ("delivery_region", "text"),
    ("market_visibility", "text"),
    ("state", "text"),
    ("total_quantity", "numeric"),
    ("available_quantity", "numeric"),
    ("reserved_quantity", "numeric"),
    ("sold_quantity", "numeric"),
    ("quantity_in_base_unit", "numeric"),
    ("base_price_amount", "numeric"),
    ("price_per_base_unit", "numeric"),
    ("ai_price_anomaly", "boolean"),
    ("quality_params", "jsonb"),
    ("normalized_quality_params", "jsonb"),
    ("latitude", "float8"),
    ("longitude", "float8"),
    ("ai_confidence_score", "float8"),
    ("restricted_buyer_ids", "text[]"),
    ("allowed_regions", "text[]"),
    ("ai_score_vector", "vector"),
    ("revision", "bigint"),
    ("create_time", "timestamptz"),
]


@functools.cache  # the catalog is parsed once: query generators call this per query
def shares() -> dict[str, float]:
    """Share of the lots per commodity code."""
    rest = [c for c in sorted(load_catalog().codes) if c not in SHARES]
    left = 1.0 - sum(SHARES.values())
    return {**SHARES, **{c: left / len(rest) for c in rest}}


def generate(count: int, seed: int = 15) -> Iterator[dict[str, Any]]:
    """`count` lots as staging rows (see the module docstring for the shape)."""
    catalog = load_catalog()
    embedder = FeatureEmbedder(catalog)
    rng = random.Random(seed)
    mix = shares()
    codes = list(mix)
    picks = rng.choices(range(len(codes)), weights=[mix[c] for c in codes], k=count)
    moment = datetime.now(UTC)
    for i in range(count):
        code = codes[picks[i]]
        commodity = catalog.get(code)
        centres = CENTRES.get(code) or [
            OTHER_CENTRES[(hash(code) + k) % len(OTHER_CENTRES)] for k in range(2)
        ]
        region, lat, lng = rng.choice(centres)
        lat = min(89.0, max(-89.0, lat + rng.gauss(0, SPREAD_DEG)))
        lng = lng + rng.gauss(0, SPREAD_DEG / max(0.2, math.cos(math.radians(lat))))
        numbers: dict[str, float] = {}
        normalized: dict[str, Any] = {}
        for name, parameter in commodity.quality.items():
            if parameter.kind != "number" or parameter.width is None or rng.random() > 0.85:
                continue
            assert parameter.minimum is not None
            position = min(1.0, max(0.0, rng.gauss(0.5, 0.18)))
            value = round(parameter.minimum + position * parameter.width, 2)
            numbers[name] = value
            normalized[name] = {"number": value, "unit": parameter.unit or ""}
        low, high = commodity.price_band or (Decimal(100), Decimal(5000))
        price = Decimal(rng.randrange(int(low * 100), int(high * 100))) / 100
        total = Decimal(rng.randrange(5, 500) * 1000)
        state, available, reserved, sold = "ACTIVE", total, Decimal(0), Decimal(0)
        roll = rng.random()
        if roll < 0.03:
            state = "DRAFT"
        elif roll < 0.06:
            state, available, sold = "SOLD", Decimal(0), total
        elif roll < 0.08:
            available, reserved = Decimal(0), total
        elif roll < 0.2:
            reserved = Decimal(rng.randrange(1, int(total)))
            available = total - reserved
        roll = rng.random()
        visibility, invited, allowed = "PUBLIC", "{}", "{}"
        if roll < 0.05:
            visibility, invited = "PRIVATE", "{someone-invited}"
        elif roll < 0.1:
            visibility, allowed = "RESTRICTED", "{" + region + "}"
        grade = rng.choice(GRADES)
        vector = embedder.embed(LotFeatures(code, commodity.family, numbers, grade, region))
        currency, per = commodity.price_unit.split("/", 1)
        yield {
            "id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "seller_id": f"market-seller-{rng.randrange(2000)}",
            "company_id": f"market-co-{rng.randrange(400)}",
            "commodity": code,
            "grade": grade,
            "quantity_unit": commodity.quantity_unit,
            "base_quantity_unit": commodity.quantity_unit,
            "price_unit": per,
            "base_price_currency": currency,
            "base_price_unit": commodity.price_unit,
            "delivery_region": region,
            "market_visibility": visibility,
            "state": state,
            "total_quantity": total,
            "available_quantity": available,
            "reserved_quantity": reserved,
            "sold_quantity": sold,
            "quantity_in_base_unit": total,
            "base_price_amount": price,
            "price_per_base_unit": price,
            "ai_price_anomaly": bool(rng.random() < 0.01),
            "quality_params": normalized,
            "normalized_quality_params": normalized,
            "latitude": lat,
            "longitude": lng,
            "ai_confidence_score": round(rng.betavariate(4, 2), 3),
            "restricted_buyer_ids": invited,
            "allowed_regions": allowed,
            "ai_score_vector": vector,
            "revision": i + 1,
            "create_time": moment - timedelta(days=200, seconds=i),
        }


def _copy_text(value: Any) -> str:
    if isinstance(value, dict):
        text = json.dumps(value)
    elif isinstance(value, list):
        text = "[" + ",".join(repr(float(x)) for x in value) + "]"
    elif isinstance(value, datetime):
        text = value.isoformat()
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def drop_graphs(cur: Any) -> list[str]:
    """Drops the HNSW graphs on availabilities (whichever the migrations define: one per
    commodity since 0009) and returns their definitions: a bulk load then builds each
    once at the end, much faster than maintaining HNSW row by row."""
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE tablename = 'availabilities' AND indexdef LIKE '%USING hnsw%'"
    )
    graphs = cur.fetchall()
    for name, _ in graphs:
        cur.execute(f"DROP INDEX {name}")
    return [definition for _, definition in graphs]


def build_graphs(cur: Any, definitions: list[str]) -> None:
    # The whole graph in memory: at 1M lots it outgrows 512 MB and the build slows
    # several-fold once pgvector spills (its NOTICE "graph no longer fits").
    cur.execute("SET maintenance_work_mem = '2GB'")
    cur.execute("SET max_parallel_maintenance_workers = 1")
    for definition in definitions:
        cur.execute(definition)


def load(db: Database, template_id: str, count: int, seed: int = 15) -> dict[str, float]:
    """Generates and loads `count` lots; seconds spent generating, copying, inserting, and
    building the HNSW graphs (dropped during the load, built once at the end)."""
    timings: dict[str, float] = {}
    conn = db.psycopg2_connect()
    try:
        with conn.cursor() as cur:
            columns = ", ".join(f"{name} {kind}" for name, kind in STAGED)
            cur.execute(f"CREATE UNLOGGED TABLE IF NOT EXISTS market_staging ({columns})")
            cur.execute("TRUNCATE market_staging")
            generating = copying = 0.0
            rows = generate(count, seed)
            while True:
                start = time.monotonic()
                buffer = io.StringIO()
                n = 0
                for row in rows:
                    buffer.write("\t".join(_copy_text(row[name]) for name, _ in STAGED) + "\n")
                    n += 1
                    if n == 50_000:
                        break
                generating += time.monotonic() - start
                if n == 0:
                    break
                start = time.monotonic()
                buffer.seek(0)
                cur.copy_expert("COPY market_staging FROM STDIN", buffer)
                copying += time.monotonic() - start
            timings["generate_s"], timings["copy_s"] = generating, copying
            start = time.monotonic()
            graphs = drop_graphs(cur)
            cur.execute(_insert_sql(cur), {"template": template_id})
            cur.execute("DROP TABLE market_staging")
            timings["insert_s"] = time.monotonic() - start
            start = time.monotonic()
            build_graphs(cur, graphs)
            timings["vector_index_s"] = time.monotonic() - start
            start = time.monotonic()
            cur.execute("ANALYZE availabilities")
            timings["analyze_s"] = time.monotonic() - start
        conn.commit()
    finally:
        conn.close()
    return {k: round(v, 1) for k, v in timings.items()}


def load_once(db: Database, template_id: str, count: int, seed: int = 15) -> dict[str, float]:
    """`load`, unless this database already holds the market (BENCH_DATABASE_URL pointing
    at a database loaded by an earlier run): then the timings that load recorded."""
    conn = db.psycopg2_connect()
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS market_loads (lots int, timings jsonb)")
            cur.execute("SELECT timings FROM market_loads WHERE lots = %s", (count,))
            done = cur.fetchone()
        conn.commit()
    finally:
        conn.close()
    if done is not None:
        return {**done[0], "reused": 1.0}
    timings = load(db, template_id, count, seed)
    conn = db.psycopg2_connect()
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO market_loads VALUES (%s, %s)", (count, json.dumps(timings)))
        conn.commit()
    finally:
        conn.close()
    return timings


def _insert_sql(cur: Any) -> str:
    cur.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'availabilities' ORDER BY ordinal_position"
    )
    staged = {name for name, _ in STAGED}
    names = [r[0] for r in cur.fetchall()]
    values = [f"s.{n}" if n in staged else f"t.{n}" for n in names]
    return (
        f"INSERT INTO availabilities ({', '.join(names)}) "
        f"SELECT {', '.join(values)} FROM market_staging s, "
        "(SELECT * FROM availabilities WHERE id = %(template)s) t"
    )


def similar_picks(conn: Any, count: int) -> list[Any]:
    """The lots ListSimilar is asked about: ACTIVE, PUBLIC cotton and wheat, by id."""
    from sqlalchemy import text

    query = text(
        "SELECT id FROM availabilities WHERE state = 'ACTIVE' AND "
        "market_visibility = 'PUBLIC' AND commodity IN ('cotton', 'wheat') "
        "ORDER BY id LIMIT :n"
    )
    return list(conn.execute(query, {"n": count}).scalars())


def similar_lots(
    conn: Any, lot_id: Any, viewer: Any, limit: int, *, exact: bool, ef_search: int | None = None
) -> list[Any]:
    """Ids of the same-commodity lots ListSimilar's read returns for this lot; with `exact`,
    index scans off, so every lot of the commodity is compared (the brute-force order)."""
    from sqlalchemy import select, text

    from availability_service.storage import similar
    from availability_service.storage.tables import availabilities as t
    from availability_service.storage.viewing import visibility_params

    row = conn.execute(select(t.c.commodity, t.c.ai_score_vector).where(t.c.id == lot_id)).one()
    if exact:
        conn.execute(text("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off"))
    found = similar.nearest_lots(
        conn,
        vector=list(row.ai_score_vector),
        commodities=[row.commodity],
        exclude_id=lot_id,
        visibility=visibility_params(viewer),
        limit=limit,
        ef_search=ef_search or similar.EF_SEARCH,
    )
    return [lot.id for lot, _ in found]
