"""The read side of the in-memory unit of work (fake_uow.py): lot selections, event reads,
the location registry and the search reads, over the same Store, with the same rules.

Each restates what the PostgreSQL repository promises in plain Python (visibility is the one
rule of auth.visibility); the search's candidate read keeps the lots passing the filters and
orders them as the database does, with the exact score as its order key (the real key is
within SCORE_SLACK of it, which is all the search relies on).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from availability_service.auth.visibility import can_see_lot
from availability_service.domain.locations import Location
from availability_service.domain.model import Availability, LotState
from availability_service.domain.stored_event import StoredEvent
from availability_service.domain.viewer import Viewer
from availability_service.intelligence import score_lot
from availability_service.service_layer.ports.events import LotChanges
from availability_service.service_layer.ports.lots import LotSelection
from availability_service.service_layer.ports.search import (
    EARTH_RADIUS_SLACK_M,
    BoundedRows,
    BoundRead,
    CandidateFilter,
    CandidateRow,
    FactorList,
    ListRead,
    ListRow,
    OrderTerms,
    QualityRange,
    ScoreOrder,
    widen,
)
from availability_service.service_layer.search import candidate_of
from availability_service.watch.standing import earth_distance_m
from tests.support.fake_factor_lists import factor_list
from tests.support.fake_repositories import (
    FakeEvents,
    FakeHolds,
    FakeLocations,
    FakeLots,
    Store,
    _as_principal,
)


def _sees(viewer: Viewer, lot: Availability) -> bool:
    return can_see_lot(_as_principal(viewer), lot)


class FakeLotReads(FakeLots):
    def by_ids(self, lot_ids: Sequence[uuid.UUID], viewer: Viewer) -> dict[uuid.UUID, Availability]:
        lots = (self._store.lots.get(lot_id) for lot_id in lot_ids)
        return {
            lot.id: copy.deepcopy(lot) for lot in lots if lot is not None and _sees(viewer, lot)
        }

    def searchable_of_commodity(self, commodity: str) -> list[Availability]:
        return [
            copy.deepcopy(lot)
            for lot in self._store.lots.values()
            if lot.commodity == commodity
            and lot.state is LotState.ACTIVE
            and lot.delete_time is None
            and lot.available_quantity > 0
        ]

    def selection_page(
        self,
        viewer: Viewer,
        selection: LotSelection,
        *,
        unchanged_since: int,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Availability]:
        def selected(lot: Availability) -> bool:
            return (
                lot.delete_time is None
                and _sees(viewer, lot)
                and (not selection.commodities or lot.commodity.lower() in selection.commodities)
                and (not selection.seller_ids or lot.seller_id in selection.seller_ids)
                and (
                    not selection.delivery_regions
                    or (lot.delivery_region or "").lower() in selection.delivery_regions
                )
                and (not selection.lot_ids or lot.id in selection.lot_ids)
            )

        found = sorted(
            (
                lot
                for lot in self._store.lots.values()
                if (after is None or lot.id > after)
                and (lot.revision > unchanged_since or selected(lot))
            ),
            key=lambda lot: lot.id,
        )
        return copy.deepcopy(found[:limit])


class FakeEventReads(FakeEvents):
    def _stored(self, event: dict[str, Any]) -> StoredEvent:
        types = tuple(event.get("event_types") or (event["event_type"],))
        return StoredEvent(
            revision=event["revision"],
            availability_id=event["availability_id"],
            event_type=event["event_type"],
            types=types,
            actor=event["actor"],
            event_time=event["event_time"],
            changed_fields=tuple(event["changed_fields"]),
            before=copy.deepcopy(event["before"]),
            after=copy.deepcopy(event["after"]),
            reservation=copy.deepcopy(event.get("reservation")),
        )

    def read_after(self, after_revision: int, limit: int) -> list[StoredEvent]:
        return self.read_until(after_revision, self._store.revision, limit)

    def read_until(self, after_revision: int, until_revision: int, limit: int) -> list[StoredEvent]:
        found = [e for e in self._store.events if after_revision < e["revision"] <= until_revision]
        return [self._stored(e) for e in found[:limit]]

    def oldest_revision(self) -> int | None:
        return self._store.events[0]["revision"] if self._store.events else None

    def changes_since(self, after_revision: int, limit: int) -> LotChanges:
        head = self._store.revision
        oldest = self.oldest_revision()
        if head == after_revision:
            return LotChanges(head, frozenset())
        found = [e["availability_id"] for e in self._store.events if e["revision"] > after_revision]
        if oldest is None or oldest > after_revision + 1 or len(found) > limit:
            return LotChanges(head, None)
        return LotChanges(head, frozenset(found))

    def lot_events(self, lot_id: uuid.UUID, after_revision: int, limit: int) -> list[StoredEvent]:
        found = [
            e
            for e in self._store.events
            if e["availability_id"] == lot_id and e["revision"] > after_revision
        ]
        return [self._stored(e) for e in found[:limit]]

    def states_at(
        self, revision: int, lot_ids: Sequence[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, dict[str, Any] | None]:
        states: dict[uuid.UUID, dict[str, Any] | None] = {}
        for e in self._store.events:  # in revision order: the first later event wins
            lot_id = e["availability_id"]
            later = e["revision"] > revision and lot_id not in states
            if later and (lot_ids is None or lot_id in lot_ids):
                states[lot_id] = copy.deepcopy(e["before"])
        return states


class FakeHoldReads(FakeHolds):
    def seller_open_ratio(
        self, seller_id: str, since: datetime, moment: datetime, viewer: Viewer
    ) -> float:
        opened = total = Decimal(0)
        for hold in self._store.holds.values():
            lot = self._store.lots[hold.availability_id]
            if (
                lot.seller_id != seller_id
                or hold.create_time < since
                or hold.direct_sale
                or lot.quantity_in_base_unit is None
                or not lot.total_quantity > 0
                or not _sees(viewer, lot)
            ):
                continue
            canonical = hold.quantity * lot.quantity_in_base_unit / lot.total_quantity
            total += canonical
            if hold.state.value == "ACTIVE" and hold.expire_time > moment:
                opened += canonical
        return float(opened / total) if total else 0.0


class FakeLocationRegistry(FakeLocations):
    def upsert(self, location: Location) -> Location:
        self._store.writes += 1
        stored = copy.deepcopy(location)
        stored.update_time = datetime.now(UTC)
        self._store.locations[stored.location_id] = stored
        return copy.deepcopy(stored)

    def page(
        self, *, owner_id: str = "", after: str | None = None, limit: int = 100
    ) -> list[Location]:
        found = sorted(
            (
                location
                for location in self._store.locations.values()
                if (not owner_id or location.owner_id == owner_id)
                and (after is None or location.location_id > after)
            ),
            key=lambda location: location.location_id,
        )
        return copy.deepcopy(found[:limit])


def _cosine_distance(a: Sequence[float], b: Sequence[float]) -> float | None:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    return None if norms == 0 else 1.0 - max(-1.0, min(1.0, dot / norms))


def _in_range(lot: Availability, q: QualityRange) -> bool:
    number = (lot.normalized_quality_params.get(q.name) or {}).get("number")
    if number is None:
        return True
    return (q.low is None or float(number) >= widen(q.low, -1)) and (
        q.high is None or float(number) <= widen(q.high, 1)
    )


def _passes(lot: Availability, f: CandidateFilter) -> bool:
    """storage.search's SQL filters, on one lot."""
    canonical = lot.quantity_in_base_unit
    price = lot.price_per_base_unit
    checks = [
        lot.commodity == f.commodity and lot.state is LotState.ACTIVE,
        lot.delete_time is None and lot.available_quantity > 0 and _sees(f.viewer, lot),
        f.include_anomalies or not lot.ai_price_anomaly,
        all(_in_range(lot, q) for q in f.quality),
        f.price_limit is None
        or (lot.base_price_unit == f.price_unit and price is not None and price <= f.price_limit),
        f.price_floor is None
        or (lot.base_price_unit == f.price_unit and price is not None and price >= f.price_floor),
        f.min_quantity is None
        or (
            canonical is not None
            and lot.available_quantity * canonical >= f.min_quantity * lot.total_quantity
        ),
        f.delivery_window_end is None
        or lot.delivery_window_start is None
        or lot.delivery_window_start <= f.delivery_window_end,
        f.delivery_window_start is None
        or lot.delivery_window_end is None
        or lot.delivery_window_end >= f.delivery_window_start,
        not f.incoterm or f.incoterm == lot.incoterm or f.incoterm in lot.supported_incoterms,
        not f.delivery_regions or lot.delivery_region.lower() in f.delivery_regions,
        f.moment is None
        or (
            (lot.available_from is None or lot.available_from <= f.moment)
            and (lot.available_until is None or lot.available_until > f.moment)
        ),
    ]
    if f.near is not None and f.radius_km is not None:
        radius_m = widen(f.radius_km * 1000.0, 1) + EARTH_RADIUS_SLACK_M
        checks.append(
            lot.latitude is not None
            and lot.longitude is not None
            and earth_distance_m(f.near, (lot.latitude, lot.longitude)) <= radius_m
        )
    if f.order is not None:
        checks.append(
            canonical is not None
            and lot.available_quantity * canonical >= f.order.quantity * lot.total_quantity
            and (lot.valid_until is None or lot.valid_until > f.order.moment)
        )
    return all(checks)


def _row(lot: Availability, f: CandidateFilter) -> CandidateRow:
    km = None
    if f.near is not None and lot.latitude is not None and lot.longitude is not None:
        km = earth_distance_m(f.near, (lot.latitude, lot.longitude)) / 1000.0
    vector = lot.ai_score_vector
    terms = None
    if f.order is not None:
        terms = OrderTerms(
            lot.available_quantity,
            lot.total_quantity,
            lot.quantity_in_base_unit,
            lot.min_order_quantity,
            lot.allow_partial_order,
            lot.valid_until,
            lot.available_from,
            lot.available_until,
            lot.eod_cutoff,
        )
    row = CandidateRow(
        id=lot.id,
        normalized_quality_params=copy.deepcopy(lot.normalized_quality_params),
        price_per_base_unit=lot.price_per_base_unit,
        ai_confidence_score=lot.ai_confidence_score,
        cosine_distance=None if vector is None else _cosine_distance(vector, f.target_vector),
        distance_km=km,
        order_terms=terms,
    )
    if f.ranking is None:
        return row
    exact = score_lot(f.ranking.criteria, candidate_of(row), f.ranking.commodity).score
    return CandidateRow(**{**row.__dict__, "approximate_score": exact})


def best_first(rows: list[CandidateRow], ranking: ScoreOrder, limit: int) -> list[CandidateRow]:
    """The candidate query's order and keyset over rows with their approximate scores: best
    first (then id), within [floor, ceiling], after the last row of the previous read."""
    kept = []
    for r in sorted(rows, key=lambda r: (-(r.approximate_score or 0.0), r.id)):
        score = r.approximate_score or 0.0
        if (ranking.floor is not None and score < ranking.floor) or (
            ranking.ceiling is not None and score > ranking.ceiling
        ):
            continue
        if ranking.after is not None and (-score, r.id) <= (-ranking.after[0], ranking.after[1]):
            continue
        kept.append(r)
    return kept[:limit]


class FakeSearch:
    def __init__(self, store: Store) -> None:
        self._store = store

    def candidates(self, flt: CandidateFilter) -> list[CandidateRow]:
        rows = [_row(lot, flt) for lot in self._store.lots.values() if _passes(lot, flt)]
        ranking = flt.ranking
        if ranking is None:
            rows.sort(key=lambda r: (r.cosine_distance is None, r.cosine_distance or 0.0, r.id))
            return rows[: flt.limit]
        return best_first(rows, ranking, flt.limit)

    def factor_lists(
        self, flt: CandidateFilter, reads: Sequence[ListRead]
    ) -> dict[FactorList, list[ListRow]]:
        """storage.search_lists' reads: each list's rows in (key, id) order (key descending
        for the confidence lists), after the last one read."""
        plain = dataclasses.replace(flt, ranking=None)
        lots = [lot for lot in self._store.lots.values() if _passes(lot, plain)]
        rows = [(lot, _row(lot, plain)) for lot in lots]
        return {read.factor: factor_list(rows, plain, read) for read in reads}

    def bounded(self, flt: CandidateFilter, read: BoundRead) -> BoundedRows:
        """storage.search_bounds' read over every filter (the fake has no index to split
        them by): the lots by their score with the vector factor at 1, then id."""
        assert flt.ranking is not None
        criteria, commodity = flt.ranking.criteria, flt.ranking.commodity
        bounded = []
        for lot in self._store.lots.values():
            if _passes(lot, flt):
                row = _row(lot, flt)
                best = dataclasses.replace(candidate_of(row), cosine_similarity=1.0)
                bounded.append((score_lot(criteria, best, commodity).score, row))
        bounded.sort(key=lambda item: (-item[0], item[1].id))
        if read.floor is not None:
            bounded = [item for item in bounded if item[0] >= read.floor]
        if read.after is not None:
            last = (-read.after[0], read.after[1])
            bounded = [item for item in bounded if (-item[0], item[1].id) > last]
        batch = bounded[: read.limit]
        last_read = (batch[-1][0], batch[-1][1].id) if batch else None
        return BoundedRows([row for _, row in batch], len(batch), last_read)

    def nearest(
        self,
        *,
        vector: list[float],
        commodities: Sequence[str],
        exclude_id: uuid.UUID,
        viewer: Viewer,
        limit: int,
    ) -> list[tuple[Availability, float]]:
        found = []
        for lot in self._store.lots.values():
            if (
                lot.id != exclude_id
                and lot.commodity in commodities
                and lot.state in (LotState.ACTIVE, LotState.RESERVED)
                and lot.delete_time is None
                and lot.ai_score_vector is not None
                and _sees(viewer, lot)
            ):
                distance = _cosine_distance(lot.ai_score_vector, vector)
                if distance is not None:
                    found.append((copy.deepcopy(lot), distance))
        found.sort(key=lambda item: (item[1], str(item[0].id)))
        return found[: max(0, limit)]

    def cosine_distances(
        self, pairs: Sequence[tuple[Sequence[float], Sequence[float]]]
    ) -> list[float]:
        return [_cosine_distance(a, b) or 0.0 for a, b in pairs]
