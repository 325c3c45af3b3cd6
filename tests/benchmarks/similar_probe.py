"""ListSimilar's read in-process, by `hnsw.ef_search`, with and without its group branch.

    BENCH_DATABASE_URL=... python -m tests.benchmarks.similar_probe [--lots 60]
        [--ef 40,100] [--walk-only-too]

ListSimilarAvailabilities' read in-process on a loaded search market (market.py), without
gRPC: for each hnsw.ef_search given, the p50/p99 of InsightService.similar (the lot read
and its nearest) and recall@10 of the same-commodity page against the exact order (the
same statement with index scans off), and with `--walk-only-too` the same without the
group branch (migration 0014: the walks alone, as the read was before); then, for one
lot, what the walk read (EXPLAIN ANALYZE BUFFERS) and the sizes of the HNSW indexes.
Run it under the bench lock.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

from sqlalchemy import Connection, event, text

from availability_service.auth.principal import Principal, Role
from availability_service.intelligence import load_catalog
from availability_service.service_layer.insight import InsightService
from availability_service.storage import similar
from availability_service.storage.database import make_engine
from availability_service.storage.unit_of_work import SqlUnitOfWork
from tests.benchmarks import market

BUYER = Principal("bench-buyer", "bench-buyer-co", frozenset({Role.BUYER}), "IN-GJ")
PAGE = 10


def _nearest(conn: Connection, lot_id: Any, exact: bool, ef: int) -> list[Any]:
    return market.similar_lots(conn, lot_id, BUYER.viewer, PAGE, exact=exact, ef_search=ef)


def _pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))], 2)


@contextlib.contextmanager
def _walk_only() -> Iterator[None]:
    """ListSimilar's read without its group branch (migration 0014): the graphs' walks alone,
    the read as it was before, to compare in the same sitting."""
    walk = similar._walk
    nothing = walk(0, False).replace(" ORDER BY ", " AND false ORDER BY ", 1)
    similar._statement.cache_clear()
    with mock.patch.object(similar, "_group", lambda commodities, visible: nothing):
        yield
    similar._statement.cache_clear()


def probe_ef(
    engine: Any, picks: list[Any], ef: int, exact: dict[Any, list[Any]], walk_only: bool = False
) -> dict:
    service = InsightService(SqlUnitOfWork(engine), load_catalog())
    latencies, recalls = [], []
    real = similar.nearest_lots
    with (
        mock.patch.object(
            similar, "nearest_lots", lambda conn, **kw: real(conn, **kw, ef_search=ef)
        ),
        _walk_only() if walk_only else contextlib.nullcontext(),
    ):
        for lot_id in [*picks[:3], *picks]:  # the first three warm the caches up
            start = time.perf_counter()
            page = service.similar(BUYER, f"availabilities/{lot_id}", PAGE)
            latencies.append((time.perf_counter() - start) * 1000)
            got = {s.availability.id for s in page if s.same_commodity}
            want = set(exact[lot_id])
            recalls.append(len(got & want) / len(want) if want else 1.0)
    latencies, recalls = latencies[3:], recalls[3:]
    return {
        "ef_search": ef,
        "groups": not walk_only,
        "p50_ms": _pct(latencies, 50),
        "p99_ms": _pct(latencies, 99),
        "recall_at_10": round(statistics.fmean(recalls), 3),
        "min_recall_at_10": round(min(recalls), 3),
    }


def walk_buffers(engine: Any, lot_id: Any, ef: int) -> dict[str, Any]:
    """EXPLAIN ANALYZE BUFFERS of the same-commodity walk for one lot."""
    captured: list[bytes] = []  # psycopg2's cursor.query: the statement as sent
    with engine.begin() as conn:
        event.listen(conn, "after_cursor_execute", lambda c, cur, *a: captured.append(cur.query))
        _nearest(conn, lot_id, False, ef)
        *settings, query = captured[-1].decode().split("; ")
        for setting in settings:
            conn.execute(text(setting))
        plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query)).scalar()
    top = (plan if isinstance(plan, list) else json.loads(plan))[0]
    scans: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        if "Index Name" in node:
            scans.append(
                {
                    k: node.get(k)
                    for k in (
                        "Index Name",
                        "Actual Rows",
                        "Rows Removed by Filter",
                        "Shared Hit Blocks",
                        "Shared Read Blocks",
                        "Actual Total Time",
                    )
                }
            )
        for child in node.get("Plans", []):
            walk(child)

    walk(top["Plan"])
    return {"execution_ms": top.get("Execution Time"), "scans": scans}


def index_sizes(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT indexname, pg_relation_size(indexname::regclass) FROM pg_indexes "
                "WHERE tablename = 'availabilities' AND indexdef LIKE '%USING hnsw%' "
                "ORDER BY 1"
            )
        )
        return {name: size for name, size in rows}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.similar_probe")
    parser.add_argument("--lots", type=int, default=60)
    parser.add_argument("--ef", default=str(similar.EF_SEARCH))
    parser.add_argument(
        "--walk-only-too",
        action="store_true",
        help="also measure each ef_search without the group branch (the walks alone)",
    )
    args = parser.parse_args()
    engine = make_engine(os.environ["BENCH_DATABASE_URL"], 2)
    with engine.connect() as conn:
        picks = market.similar_picks(conn, args.lots)
    exact: dict[Any, list[Any]] = {}
    started = time.perf_counter()
    for lot_id in picks:
        with engine.begin() as conn:
            exact[lot_id] = _nearest(conn, lot_id, True, similar.EF_SEARCH)
    exact_ms = (time.perf_counter() - started) * 1000 / max(1, len(picks))
    print(json.dumps({"lots": len(picks), "exact_ms_each": round(exact_ms, 1)}), flush=True)
    for ef in (int(x) for x in args.ef.split(",")):
        print(json.dumps(probe_ef(engine, picks, ef, exact)), flush=True)
        if args.walk_only_too:
            print(json.dumps(probe_ef(engine, picks, ef, exact, walk_only=True)), flush=True)
    print(json.dumps(walk_buffers(engine, picks[0], similar.EF_SEARCH)), flush=True)
    print(json.dumps({"hnsw_index_bytes": index_sizes(engine)}), flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
