"""Hold use cases: reserve, get, extend, release, sell; and expiring what time has run out on.

Each mutation is one transaction that locks the lot row first (SELECT ... FOR UPDATE), then
expires the lot's overdue holds (each with its EXPIRED event), then checks and writes, with
exactly one event per transition through changes.record. A failed check rolls those expiries
back too; the sweeper redoes them within one sweep interval.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from availability_service.auth.principal import Principal
from availability_service.domain import holds as rules
from availability_service.domain.deadline import Deadline
from availability_service.domain.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Violations,
)
from availability_service.domain.model import Availability, EventType, Reservation
from availability_service.domain.validation import check_text, parse_decimal, parse_money
from availability_service.domain.viewer import SYSTEM
from availability_service.service_layer.changes import lot_snapshot, now, record
from availability_service.service_layer.hold_ends import expire_due
from availability_service.service_layer.hold_list import HoldPage, HoldQuery, list_holds, present
from availability_service.service_layer.idempotent import Outcome, RequestKey, run_once
from availability_service.service_layer.lots import lock_lot, lot_id_from_name
from availability_service.service_layer.ports import Transaction, UnitOfWork

MIN_TTL = timedelta(seconds=1)
MAX_REASON = 1000
_HOLD_NAME = "must look like 'availabilities/{uuid}/reservations/{uuid}'"


def is_hold_name(name: str) -> bool:
    return "/reservations/" in name


def hold_ids_from_name(name: str, field: str = "name") -> tuple[uuid.UUID, uuid.UUID]:
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "availabilities" or parts[2] != "reservations":
        raise InvalidArgument.one(field, _HOLD_NAME)
    try:
        return uuid.UUID(parts[1]), uuid.UUID(parts[3])
    except ValueError as exc:
        raise InvalidArgument.one(field, _HOLD_NAME) from exc


class HoldService:
    """The hold use cases; grpc_api calls exactly one method per RPC."""

    def __init__(self, uow: UnitOfWork, *, default_ttl: timedelta, max_ttl: timedelta) -> None:
        self.uow = uow
        self.default_ttl = default_ttl
        self.max_ttl = max_ttl

    def _ttl(self, ttl: timedelta | None, v: Violations) -> timedelta:
        if ttl is None:
            return self.default_ttl
        if ttl < MIN_TTL:
            v.add("ttl", "must be at least 1 second")
        elif ttl > self.max_ttl:
            v.add("ttl", f"must be at most {int(self.max_ttl.total_seconds())} seconds")
        return ttl

    @staticmethod
    def _lock_current(
        tx: Transaction, principal: Principal, lot_id: uuid.UUID, name: str
    ) -> tuple[Availability, datetime]:
        """Locks the lot (or NOT_FOUND) and first records what time has ended on it."""
        lot = lock_lot(tx, principal.viewer, lot_id, name)
        moment = now()
        expire_due(tx, lot, moment)
        return lot, moment

    def _load_hold(
        self, tx: Transaction, principal: Principal, name: str
    ) -> tuple[Availability, Reservation, datetime]:
        lot_id, hold_id = hold_ids_from_name(name)
        lot, moment = self._lock_current(tx, principal, lot_id, name)
        hold = tx.holds.get(lot_id, hold_id, lot.quantity_unit)
        if hold is None:
            raise NotFound(f"{name} not found")
        return lot, hold, moment

    def reserve(
        self,
        principal: Principal,
        name: str,
        quantity: str,
        ttl: timedelta | None,
        buyer_id: str,
        negotiation_id: str,
        key: RequestKey | None,
        deadline: Deadline | None = None,
        price_option_label: str = "",
    ) -> Outcome:
        lot_id = lot_id_from_name(name)
        v = Violations()
        amount = parse_decimal(quantity, "quantity", v)
        life = self._ttl(ttl, v)
        if not buyer_id.strip():
            v.add("buyer_id", "is required")
        check_text(buyer_id, "buyer_id", v)
        check_text(negotiation_id, "negotiation_id", v)
        check_text(price_option_label, "price_option_label", v)
        v.raise_if_any()
        assert amount is not None

        def body(tx: Transaction) -> Outcome:
            lot, moment = self._lock_current(tx, principal, lot_id, name)
            before = lot_snapshot(lot)
            hold = rules.place_hold(
                lot,
                quantity=amount,
                buyer_id=buyer_id,
                negotiation_id=negotiation_id,
                expire_time=moment + life,
                now=moment,
                request_id="" if key is None else key.request_id,
                option_label=price_option_label,
            )
            record(tx, lot, EventType.RESERVED, principal.subject, before, reservation=hold)
            tx.holds.add(hold)
            return Outcome(availability=lot, reservation=hold)

        return run_once(self.uow, key, body, deadline)

    def get(self, principal: Principal, name: str, deadline: Deadline | None = None) -> Reservation:
        lot_id, hold_id = hold_ids_from_name(name)
        with self.uow.read(deadline) as tx:
            lot = tx.lots.get(lot_id, principal.viewer)
            hold = None if lot is None else tx.holds.get(lot_id, hold_id, lot.quantity_unit)
        if hold is None:
            raise NotFound(f"{name} not found")
        return present(hold, now())

    def extend(
        self,
        principal: Principal,
        name: str,
        ttl: timedelta | None,
        key: RequestKey | None,
        deadline: Deadline | None = None,
    ) -> Outcome:
        hold_ids_from_name(name)
        v = Violations()
        life = self._ttl(ttl, v)
        v.raise_if_any()

        def body(tx: Transaction) -> Outcome:
            lot, hold, moment = self._load_hold(tx, principal, name)
            before = lot_snapshot(lot)
            rules.extend(hold, moment + life, moment)
            # Not a quantity change, but still a change: one UPDATED event carries the hold.
            record(tx, lot, EventType.UPDATED, principal.subject, before, reservation=hold)
            tx.holds.save(hold)
            return Outcome(availability=lot, reservation=hold)

        return run_once(self.uow, key, body, deadline)

    def release(
        self,
        principal: Principal,
        name: str,
        reason: str,
        key: RequestKey | None,
        deadline: Deadline | None = None,
        quantity: str = "",
    ) -> Outcome:
        hold_ids_from_name(name)
        v = Violations()
        check_text(reason, "reason", v, MAX_REASON)
        # Empty releases the whole hold; a quantity releases that part of an ACTIVE hold.
        part = parse_decimal(quantity, "quantity", v, required=False)
        v.raise_if_any()

        def body(tx: Transaction) -> Outcome:
            lot, hold, moment = self._load_hold(tx, principal, name)
            before = lot_snapshot(lot)
            if part is not None:
                rules.release_part(lot, hold, part, reason, moment)
            elif not rules.release(lot, hold, reason, moment):
                return Outcome(availability=lot, reservation=hold)  # already over: no event
            record(tx, lot, EventType.RELEASED, principal.subject, before, reservation=hold)
            tx.holds.save(hold)
            return Outcome(availability=lot, reservation=hold)

        return run_once(self.uow, key, body, deadline)

    def mark_sold(
        self,
        principal: Principal,
        name: str,
        quantity: str,
        trade_id: str,
        buyer_id: str,
        key: RequestKey | None,
        deadline: Deadline | None = None,
        sold_price: tuple[str, str] | None = None,
    ) -> Outcome:
        from_hold = is_hold_name(name)
        lot_id = hold_ids_from_name(name)[0] if from_hold else lot_id_from_name(name)
        v = Violations()
        # For a hold an empty quantity means all of it; a direct sale must say how much.
        amount = parse_decimal(quantity, "quantity", v, required=not from_hold)
        check_text(trade_id, "trade_id", v)
        check_text(buyer_id, "buyer_id", v)
        price = None if sold_price is None else parse_money(*sold_price, "sold_price", v)
        v.raise_if_any()

        def sell_from_hold(tx: Transaction) -> Outcome:
            lot, hold, moment = self._load_hold(tx, principal, name)
            if buyer_id and buyer_id != hold.buyer_id:
                # One buyer can never consume another buyer's hold.
                raise FailedPrecondition(
                    f"{name} is held for another buyer",
                    reason="BUYER_MISMATCH",
                    metadata={"subject": name},
                )
            before = lot_snapshot(lot)
            rules.sell_hold(lot, hold, amount, trade_id, moment, price)
            record(tx, lot, EventType.SOLD, principal.subject, before, reservation=hold)
            tx.holds.save(hold)
            return Outcome(availability=lot, reservation=hold)

        def sell_direct(tx: Transaction) -> Outcome:
            assert amount is not None
            lot, moment = self._lock_current(tx, principal, lot_id, name)
            before = lot_snapshot(lot)
            sale = rules.sell_direct(
                lot,
                amount,
                buyer_id=buyer_id,
                trade_id=trade_id,
                now=moment,
                sold_price=price,
                request_id="" if key is None else key.request_id,
            )
            record(tx, lot, EventType.SOLD, principal.subject, before, reservation=sale)
            tx.holds.add(sale)
            return Outcome(availability=lot, reservation=sale)

        return run_once(self.uow, key, sell_from_hold if from_hold else sell_direct, deadline)

    def list(
        self, principal: Principal, query: HoldQuery, deadline: Deadline | None = None
    ) -> HoldPage:
        return list_holds(self.uow, principal, query, deadline)

    def expire_due_on(self, lot_id: uuid.UUID, deadline: Deadline | None = None) -> int:
        """The sweeper's unit of work: one lot, one transaction. Returns how many events."""
        with self.uow.transaction(deadline) as tx:
            lot = tx.lots.lock(lot_id, SYSTEM)
            if lot is None:
                return 0
            return expire_due(tx, lot, now())
