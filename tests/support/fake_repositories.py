"""The repositories of the in-memory unit of work (fake_uow.py), each over one Store.

Each hands out copies and counts its writes, so a use case's changes count only once written
through the port, and a transaction that wrote nothing commits nothing.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from availability_service.auth.principal import Principal, Role
from availability_service.auth.visibility import can_see_lot
from availability_service.domain.errors import RequestIdReused
from availability_service.domain.expiry import is_overdue
from availability_service.domain.lifecycle import has_lapsed
from availability_service.domain.locations import Location
from availability_service.domain.market import (
    ComparablePrice,
    MarketBaseline,
    is_usable,
    spread_of,
)
from availability_service.domain.model import (
    MARKET_STATES,
    Availability,
    HoldState,
    LotState,
    Reservation,
)
from availability_service.domain.stored_event import NewEvent
from availability_service.domain.viewer import Viewer
from availability_service.service_layer.price_check import SCOPES


@dataclass
class Store:
    """Everything the fake database holds; a transaction works on a deep copy of it."""

    revision: int = 0
    lots: dict[uuid.UUID, Availability] = field(default_factory=dict)
    holds: dict[uuid.UUID, Reservation] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    # (principal, request_id) -> (method, request_hash, response or None until complete)
    keys: dict[tuple[str, str], tuple[str, str, dict[str, Any] | None]] = field(
        default_factory=dict
    )
    key_times: dict[tuple[str, str], datetime] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    # Turns another process holds (Transaction.takes_turn refuses them).
    turns_elsewhere: set[int] = field(default_factory=set)
    # Writes made in this copy: a transaction that wrote nothing commits nothing.
    writes: int = 0

    def append_event(self, event: NewEvent, lot_id: uuid.UUID) -> None:
        """The event of a lot write at the current revision, set in its snapshots as the
        database sets it (storage/lot_writes.py)."""
        row = {f: copy.deepcopy(getattr(event, f)) for f in event.__slots__}
        row["after"]["revision"] = self.revision
        if row["reservation"] is not None:
            row["reservation"]["revision"] = self.revision
        row.update(revision=self.revision, availability_id=lot_id, event_time=datetime.now(UTC))
        self.events.append(row)


def _as_principal(viewer: Viewer) -> Principal:
    roles = frozenset({Role.ADMIN}) if viewer.sees_all else frozenset()
    return Principal(viewer.subject, viewer.company_id, roles, viewer.region)


class FakeLots:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _write(self, lot: Availability, event: NewEvent) -> int:
        self._store.writes += 1
        self._store.revision += 1
        stored = copy.deepcopy(lot)
        stored.revision = self._store.revision
        self._store.lots[lot.id] = stored
        self._store.append_event(event, lot.id)
        return self._store.revision

    def add(self, lot: Availability, event: NewEvent) -> None:
        assert lot.id not in self._store.lots, "add() of a lot that exists"
        lot.revision = self._write(lot, event)

    def save(self, lot: Availability, event: NewEvent) -> int:
        assert lot.id in self._store.lots, "save() of a lot never added"
        return self._write(lot, event)

    def get(self, lot_id: uuid.UUID, viewer: Viewer) -> Availability | None:
        lot = self._store.lots.get(lot_id)
        if lot is None or not can_see_lot(_as_principal(viewer), lot):
            return None
        return copy.deepcopy(lot)

    def lock(self, lot_id: uuid.UUID, viewer: Viewer) -> Availability | None:
        return self.get(lot_id, viewer)

    def page(
        self,
        viewer: Viewer,
        *,
        seller_id: str = "",
        commodity: str = "",
        states: Sequence[LotState] = (),
        show_deleted: bool = False,
        after: tuple[datetime, uuid.UUID] | None = None,
        limit: int = 50,
    ) -> list[Availability]:
        found = [
            lot
            for lot in self._store.lots.values()
            if (not seller_id or lot.seller_id == seller_id)
            and (not commodity or lot.commodity == commodity)
            and (not states or lot.state in states)
            and (show_deleted or lot.delete_time is None)
            and (after is None or (lot.create_time, lot.id) < after)
            and can_see_lot(_as_principal(viewer), lot)
        ]
        found.sort(key=lambda lot: (lot.create_time, lot.id), reverse=True)
        return copy.deepcopy(found[:limit])


class FakeHolds:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, hold: Reservation) -> None:
        assert hold.id not in self._store.holds, "add() of a hold that exists"
        self._store.writes += 1
        self._store.holds[hold.id] = copy.deepcopy(hold)

    def save(self, hold: Reservation) -> None:
        assert hold.id in self._store.holds, "save() of a hold never added"
        self._store.writes += 1
        self._store.holds[hold.id] = copy.deepcopy(hold)

    def get(
        self, lot_id: uuid.UUID, hold_id: uuid.UUID, quantity_unit: str = ""
    ) -> Reservation | None:
        hold = self._store.holds.get(hold_id)
        if hold is None or hold.availability_id != lot_id:
            return None
        return copy.deepcopy(hold)

    def active(
        self, lot_id: uuid.UUID, quantity_unit: str = "", *, due_by: datetime | None = None
    ) -> list[Reservation]:
        found = [
            hold
            for hold in self._store.holds.values()
            if hold.availability_id == lot_id
            and hold.state is HoldState.ACTIVE
            and (due_by is None or hold.expire_time <= due_by)
        ]
        found.sort(key=lambda hold: (hold.create_time, hold.id))
        return copy.deepcopy(found)

    def lots_due(self, moment: datetime, limit: int) -> list[uuid.UUID]:
        due = {h.availability_id for h in self._store.holds.values() if is_overdue(h, moment)}
        due |= {lot.id for lot in self._store.lots.values() if has_lapsed(lot, moment)}
        return sorted(due)[:limit]

    def any_on(self, lot_id: uuid.UUID) -> bool:
        return any(h.availability_id == lot_id for h in self._store.holds.values())

    def page(
        self,
        *,
        now: datetime,
        lot_id: uuid.UUID | None,
        seller_id: str | None,
        buyer_id: str,
        negotiation_id: str,
        states: Collection[HoldState],
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Reservation]:
        def shown_state(hold: Reservation) -> HoldState:
            return HoldState.EXPIRED if is_overdue(hold, now) else hold.state

        found = [
            hold
            for hold in self._store.holds.values()
            if (lot_id is None or hold.availability_id == lot_id)
            and (seller_id is None or self._store.lots[hold.availability_id].seller_id == seller_id)
            and (not buyer_id or hold.buyer_id == buyer_id)
            and (not negotiation_id or hold.negotiation_id == negotiation_id)
            and (not states or shown_state(hold) in states)
            and (after is None or (hold.create_time, hold.id) > after)
        ]
        found.sort(key=lambda hold: (hold.create_time, hold.id))
        return copy.deepcopy(found[:limit])


class FakeEvents:
    def __init__(self, store: Store) -> None:
        self._store = store

    def current_revision(self) -> int:
        return self._store.revision

    def compact_before(self, moment: datetime, limit: int) -> int:
        # The fake keeps no event times: it never has events old enough to compact.
        return 0


class FakeIdempotency:
    def __init__(self, store: Store) -> None:
        self._store = store

    def claim(
        self, *, principal: str, request_id: str, method: str, request_hash: str
    ) -> dict[str, Any] | None:
        stored = self._store.keys.get((principal, request_id))
        if stored is None:
            self._store.writes += 1
            self._store.keys[(principal, request_id)] = (method, request_hash, None)
            return None
        if stored[:2] != (method, request_hash):
            raise RequestIdReused(
                f"request_id {request_id!r} was already used with a different request",
                metadata={"request_id": request_id},
            )
        return copy.deepcopy(stored[2])

    def complete(self, *, principal: str, request_id: str, response: dict[str, Any]) -> None:
        self._store.writes += 1
        method, request_hash, _ = self._store.keys[(principal, request_id)]
        self._store.keys[(principal, request_id)] = (method, request_hash, copy.deepcopy(response))

    def expire_before(self, moment: datetime, limit: int) -> int:
        return 0


def narrowest(rows: list[ComparablePrice], grade: str, region: str, minimum: int) -> MarketBaseline:
    """The rule the database applies (storage.comparables), over prices in memory: the
    narrowest scope with at least `minimum` prices, summed up."""
    scopes = (
        (lambda r: r.grade == grade and r.delivery_region == region, bool(grade and region)),
        (lambda r: r.grade == grade, bool(grade)),
        (lambda r: r.delivery_region == region, bool(region)),
    )
    chosen, scope = [r.price for r in rows], len(SCOPES) - 1
    for index, (keep, possible) in enumerate(scopes):
        if possible:
            prices = [r.price for r in rows if keep(r)]
            if len(prices) >= minimum:
                chosen, scope = prices, index
                break
    usable = [p for p in chosen if is_usable(p)]
    return MarketBaseline(
        scope,
        spread_of(chosen) if chosen else None,
        spread_of(usable) if usable else None,
    )


class FakeMarket:
    """The comparable-price rule of storage.comparables, restated over the lots in memory."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def baseline(
        self,
        *,
        grade: str,
        region: str,
        minimum: int,
        **query: Any,
    ) -> MarketBaseline:
        return narrowest(self.recent_prices(**query), grade, region, minimum)

    def recent_prices(
        self,
        *,
        commodity: str,
        base_price_unit: str,
        exclude_id: uuid.UUID,
        exclude_seller: str,
        since: datetime,
        limit: int,
        per_seller: int,
        scan: int,
    ) -> list[ComparablePrice]:
        """The comparable prices, newest first."""
        recent = sorted(
            (
                lot
                for lot in self._store.lots.values()
                if lot.commodity == commodity
                and lot.base_price_unit == base_price_unit
                and not lot.ai_price_anomaly
                and lot.price_per_base_unit is not None
                and lot.delete_time is None
                and lot.state in MARKET_STATES
                and lot.create_time >= since
                and lot.id != exclude_id
                and lot.seller_id != exclude_seller
            ),
            key=lambda lot: lot.create_time,
            reverse=True,
        )[:scan]
        taken: dict[str, int] = {}
        prices = []
        for lot in recent:
            taken[lot.seller_id] = taken.get(lot.seller_id, 0) + 1
            if taken[lot.seller_id] <= per_seller and lot.price_per_base_unit is not None:
                prices.append(
                    ComparablePrice(lot.price_per_base_unit, lot.grade, lot.delivery_region)
                )
        return prices[:limit]

    def flagged(self, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        ids = sorted(
            lot.id
            for lot in self._store.lots.values()
            if lot.ai_price_anomaly
            and lot.delete_time is None
            and (after is None or lot.id > after)
        )
        return ids[:limit]


class FakeLocations:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, location_id: str) -> Location | None:
        location = self._store.locations.get(location_id)
        return None if location is None else copy.deepcopy(location)
