"""Searches with a point read their score bounds from memory instead of the covering index.

At 1,000,000 lots the index-only scan of storage.search_bounds visits every lot of the
radius's box (125,000 entries for a cotton search in Gujarat) and costs 150 to 350 ms: the
work per entry, not the reads. This keeps, per process and commodity, the same columns as
typed arrays (a `Market`: one statement reads them, quality numbers as
search_score.quality_number reads them) and computes the filters and bounds with numpy
(storage.search_memory_bound): a few milliseconds. The table is then read for the batch only,
with every filter, exactly as before.

Exact at the reader's snapshot: a Market holds the lots as of revision R0 (read in the same
statement). Revisions commit in order (the counter row stays locked to commit), and every lot
write goes through storage.lot_writes with its event at its revision, so a snapshot at
revision R1 >= R0 sees exactly the lots of the Market except those named by the events in
(R0, R1]: those (the `changed`) are left out of the arrays and bounded by the SQL of
storage.search_bounds, restricted to their ids, and both are merged by (bound, id). A
snapshot older than the Market (R1 < R0), or events compacted above R0, fall back to the SQL
(or rebuild). Writes that bypass the service (SQL straight into the table) are invisible to
this, which is why it is a setting (AVAILABILITY_SEARCH_MEMORY, off by default).

Markets are read at start-up, before the server serves, and again in a background thread
when more than REBUILD_AFTER lots changed since one was read (or its events were
compacted); meanwhile searches use the SQL. Each transaction pins the Market and changes
it first used, so every read of one search orders a lot by the same bound.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Connection, Engine, Float, cast, func, select, true
from sqlalchemy.dialects.postgresql import BIT

from availability_service.domain.model import LotState
from availability_service.intelligence.catalog import Commodity
from availability_service.service_layer.ports.search import BoundedRows, BoundRead, CandidateFilter
from availability_service.storage import search_bounds
from availability_service.storage.search import radius_m
from availability_service.storage.search_memory_bound import (
    Columns,
    passing,
    score_bound,
    supports,
)
from availability_service.storage.search_score import not_nan, quality_number
from availability_service.storage.tables import availabilities as t
from availability_service.storage.tables import events, revision_counter

# More lots changed since a Market was read than this: read it again (seconds at 300,000
# lots of a commodity) rather than bound them all in SQL on every search.
REBUILD_AFTER = 2000
_LOW = 0xFFFFFFFFFFFFFFFF  # an id's last 8 bytes


@dataclass(frozen=True)
class Market:
    """One commodity's searchable lots with a position, as of `revision`."""

    revision: int
    # An id's 16 bytes as two uint64 (ids order as their bytes, as uuid does in SQL).
    id_high: Any
    id_low: Any
    # The indexes in id order and their first halves, to find a lot by id (a dict of
    # 300,000 ids cost 40 MB).
    by_id: Any
    high_by_id: Any
    columns: Columns

    def id_at(self, index: int) -> uuid.UUID:
        return uuid.UUID(int=(int(self.id_high[index]) << 64) | int(self.id_low[index]))

    def index_of(self, lot_id: uuid.UUID) -> int | None:
        """Where the lot is in the arrays, or None (not searchable when read)."""
        high, low = np.uint64(lot_id.int >> 64), np.uint64(lot_id.int & _LOW)
        start = np.searchsorted(self.high_by_id, high, "left")
        end = np.searchsorted(self.high_by_id, high, "right")
        for at in self.by_id[start:end]:
            if self.id_low[at] == low:
                return int(at)
        return None


@dataclass
class Pinned:
    """What one transaction reads a commodity from: a Market and the lots changed since."""

    market: Market
    changed: list[uuid.UUID]
    skip: Any = field(default=None)  # bool mask of the Market's changed lots


def numeric_parameters(commodity: Commodity) -> list[str]:
    return [name for name, p in commodity.quality.items() if p.kind == "number"]


def _id_half(start: int) -> Any:
    """8 bytes of the lot's id as a bigint (reading 300,000 uuids into Python objects took
    longer than the whole statement)."""
    raw = func.substring(func.uuid_send(t.c.id), start, 8)
    return cast(cast(func.concat("x", func.encode(raw, "hex")), BIT(64)), BigInteger)


def read_market(conn: Connection, commodity: Commodity) -> Market:
    """The Market of `commodity` at the snapshot of ONE statement (its revision included)."""
    names = numeric_parameters(commodity)
    lots = (
        select(
            _id_half(1).label("high"),
            _id_half(9).label("low"),
            t.c.latitude,
            t.c.longitude,
            cast(t.c.price_per_base_unit, Float).label("price"),
            t.c.base_price_unit,
            not_nan(t.c.ai_confidence_score).label("confidence"),
            t.c.ai_price_anomaly,
            *(quality_number(name).label(f"q{i}") for i, name in enumerate(names)),
        )
        .where(
            t.c.commodity == commodity.code,
            t.c.state == LotState.ACTIVE.value,
            t.c.delete_time.is_(None),
            t.c.available_quantity > 0,
            t.c.latitude.is_not(None),
            t.c.longitude.is_not(None),
        )
        .subquery("lots")
    )
    # The counter LEFT JOIN the lots: one statement, so the revision and the lots agree.
    query = select(revision_counter.c.value.label("revision"), lots).select_from(
        revision_counter.outerjoin(lots, true())
    )
    compiled = query.compile(dialect=conn.dialect)
    driver: Any = conn.connection.driver_connection
    cursor = driver.cursor()  # plain tuples: no Row per lot
    try:
        cursor.execute(str(compiled), compiled.params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    revision = int(rows[0][0])
    # Column by column (the query's order): revision, id halves, latitude, longitude, price,
    # unit, confidence, anomaly, then the quality numbers.
    width = 9 + len(names)
    by_column: list[Any] = list(zip(*(r for r in rows if r[1] is not None), strict=True))
    by_column = by_column or [()] * width
    count = len(by_column[1])

    def floats(values: tuple[Any, ...]) -> Any:
        return np.array(values, dtype=np.float64).reshape(count)

    def halves(values: tuple[Any, ...]) -> Any:
        return np.array(values, dtype=np.int64).reshape(count).view(np.uint64)

    units: dict[str, int] = {}
    unit = [-1 if not u else units.setdefault(u, len(units)) for u in by_column[6]]
    high, low = halves(by_column[1]), halves(by_column[2])
    by_id = np.lexsort((low, high))
    return Market(
        revision=revision,
        id_high=high,
        id_low=low,
        by_id=by_id,
        high_by_id=high[by_id],
        columns=Columns(
            latitude=floats(by_column[3]),
            longitude=floats(by_column[4]),
            price=floats(by_column[5]),
            unit=np.array(unit, dtype=np.int32).reshape(count),
            units=units,
            confidence=floats(by_column[7]),
            anomaly=np.array(by_column[8], dtype=bool).reshape(count),
            quality={name: floats(by_column[9 + i]) for i, name in enumerate(names)},
        ),
    )


_CHANGES = select(
    select(revision_counter.c.value).scalar_subquery().label("head"),
    select(func.min(events.c.revision)).scalar_subquery().label("oldest"),
)


def changed_since(conn: Connection, revision: int) -> tuple[int, int | None, list[uuid.UUID]]:
    """(the snapshot's revision, its oldest kept event, the lots written after `revision`)."""
    row = conn.execute(_CHANGES).one()
    head = int(row.head)
    oldest = None if row.oldest is None else int(row.oldest)
    if head <= revision:
        return head, oldest, []
    lots: list[uuid.UUID] = list(
        conn.execute(
            select(events.c.availability_id)
            .where(events.c.revision > revision)
            .distinct()
            .limit(REBUILD_AFTER + 1)
        ).scalars()
    )
    return head, oldest, lots


class SearchMemory:
    """The Markets of one process (one per commodity), shared by its threads. Markets are
    read on `engine` at start-up (`warm`) and later in a background thread, never in a
    search: while one is missing or read again, searches use the SQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._markets: dict[str, Market] = {}
        self._reading: set[str] = set()
        self._lock = threading.Lock()

    def warm(self, commodities: Iterable[Commodity]) -> None:
        """Reads every commodity's Market now, one at a time (at start-up, before serving:
        the first searches are then served from memory too)."""
        for commodity in commodities:
            self.refresh(commodity)

    def refresh(self, commodity: Commodity) -> None:
        """Reads `commodity`'s Market now (unless another thread is reading it)."""
        with self._lock:
            if commodity.code in self._reading:
                return
            self._reading.add(commodity.code)
        try:
            with self._engine.connect() as conn:
                self._markets[commodity.code] = read_market(conn, commodity)
        finally:
            with self._lock:
                self._reading.discard(commodity.code)

    def _refresh_later(self, commodity: Commodity) -> None:
        with self._lock:
            if commodity.code in self._reading:
                return
        threading.Thread(
            target=self.refresh, args=(commodity,), name="search-memory", daemon=True
        ).start()

    def pin(self, conn: Connection, commodity: Commodity) -> Pinned | None:
        """The Market to read `commodity` from in this transaction and the lots changed
        since it; None: use the SQL (no Market yet, or an older snapshot than it)."""
        market = self._markets.get(commodity.code)
        if market is None:
            self._refresh_later(commodity)
            return None
        head, oldest, changed = changed_since(conn, market.revision)
        if head < market.revision:
            return None  # an older snapshot than the Market's (a standby behind, a race)
        compacted = oldest is not None and oldest > market.revision + 1
        if compacted or len(changed) > REBUILD_AFTER:
            self._refresh_later(commodity)
            return None
        return self._pinned(market, changed)

    @staticmethod
    def _pinned(market: Market, changed: list[uuid.UUID]) -> Pinned:
        skip = np.zeros(len(market.id_high), dtype=bool)
        for lot_id in changed:
            at = market.index_of(lot_id)
            if at is not None:
                skip[at] = True
        return Pinned(market, changed, skip)


def bounded_from_memory(
    conn: Connection, pinned: Pinned, f: CandidateFilter, read: BoundRead
) -> BoundedRows | None:
    """SearchReads.bounded from the pinned Market (and the SQL for its changed lots), or
    None when the search names a parameter the Market has no column for."""
    ranking = f.ranking
    assert ranking is not None and f.near is not None
    market, columns = pinned.market, pinned.market.columns
    if not supports(columns, f, ranking.criteria):
        return None
    index, km = passing(columns, f, radius_m(f))
    keep = ~pinned.skip[index]
    index, km = index[keep], km[keep]
    bound = score_bound(columns, index, km, ranking.criteria, ranking.commodity)
    high, low = market.id_high[index], market.id_low[index]
    keep = np.ones(len(index), dtype=bool)
    if read.floor is not None:
        keep &= bound >= read.floor
    if read.after is not None:
        last, last_id = read.after
        last_high, last_low = (
            np.uint64(last_id.int >> 64),
            np.uint64(last_id.int & _LOW),
        )
        later_id = (high > last_high) | ((high == last_high) & (low > last_low))
        keep &= (bound < last) | ((bound == last) & later_id)
    index, bound, high, low = index[keep], bound[keep], high[keep], low[keep]
    if len(index) > read.limit:
        # Every lot whose bound reaches the limit-th largest, then exactly ordered.
        kth = -np.partition(-bound, read.limit - 1)[read.limit - 1]
        top = bound >= kth
        index, bound, high, low = index[top], bound[top], high[top], low[top]
    order = np.lexsort((low, high, -bound))[: read.limit]
    found = [(float(bound[i]), market.id_at(index[i])) for i in order]
    if pinned.changed:
        sql = search_bounds.bounds_of(conn, f, read, pinned.changed)
        found = sorted(found + sql, key=lambda item: (-item[0], item[1]))[: read.limit]
    return search_bounds.rows_of_batch(conn, f, found)
