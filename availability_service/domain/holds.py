"""Hold arithmetic on one lot: reserve, release, sell (expiry: expiry.py).

Every function mutates the lot (and the hold) in memory and ends with settle(), which checks
total = available + reserved + sold (each >= 0) and moves the lot state to what the
quantities imply. The service layer locks the lot row before calling any of them, so what
they see is the only copy that may change.

The remainder rule: an amount below the lot's min_order_quantity is accepted only when it is
exactly everything still available. Leaving a remainder smaller than the minimum is allowed;
that remainder can then only be taken whole, so a lot never ends with a tail nobody may buy.

An ACTIVE hold never has sold quantity: a sale (whole or partial) ends the hold as SOLD and
gives the unsold rest back to available at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from availability_service.domain.errors import FailedPrecondition
from availability_service.domain.expiry import is_overdue
from availability_service.domain.hold_terms import check_option, new_row
from availability_service.domain.lifecycle import require_holdable
from availability_service.domain.model import Availability, HoldState, Reservation
from availability_service.domain.quantities import give_back, settle, unsold

# Why a forced withdrawal (DeleteAvailability with force) released a hold.
LOT_WITHDRAWN = "LOT_WITHDRAWN"


def _fail(message: str, reason: str, subject: str, **metadata: object) -> FailedPrecondition:
    details = {key: str(value) for key, value in metadata.items()}
    details["subject"] = subject
    return FailedPrecondition(message, reason=reason, metadata=details)


def quantity_refusal(
    available: Decimal, quantity: Decimal, allow_partial: bool, minimum: Decimal | None
) -> str | None:
    """The reason `quantity` may not be taken from `available`, or None when it may.

    The one statement of the quantity rules (available quantity, partial orders, minimum
    order and its remainder rule), shared by reserve, direct sale and search's
    `order_quantity`. Only comparisons are made, so every quantity may be scaled by the same
    positive factor (search compares in the canonical unit without dividing).
    """
    if quantity > available:
        return "INSUFFICIENT_QUANTITY"
    if not allow_partial and quantity != available:
        return "PARTIAL_NOT_ALLOWED"
    if minimum is not None and quantity < minimum and quantity != available:
        return "BELOW_MINIMUM_ORDER"
    return None


def check_take(lot: Availability, quantity: Decimal) -> None:
    """May `quantity` be taken from what is available (a new hold or a direct sale)?"""
    require_holdable(lot)
    available = lot.available_quantity
    minimum = lot.min_order_quantity
    reason = quantity_refusal(available, quantity, lot.allow_partial_order, minimum)
    if reason == "INSUFFICIENT_QUANTITY":
        raise _fail(
            f"{lot.name} has {available} {lot.quantity_unit} available; {quantity} requested",
            reason,
            lot.name,
            available_quantity=available,
        )
    if reason == "PARTIAL_NOT_ALLOWED":
        raise _fail(
            f"{lot.name} does not allow partial orders: take all {available} or nothing",
            reason,
            lot.name,
            available_quantity=available,
        )
    if reason == "BELOW_MINIMUM_ORDER":
        raise _fail(
            f"{quantity} is below the minimum order of {minimum} {lot.quantity_unit} "
            "(a smaller remainder may only be taken whole)",
            reason,
            lot.name,
            min_order_quantity=minimum,
            available_quantity=available,
        )


class Timed(Protocol):
    """The fields of a lot that say when it takes orders (a lot, or a search candidate)."""

    @property
    def available_from(self) -> datetime | None: ...
    @property
    def available_until(self) -> datetime | None: ...
    @property
    def eod_cutoff(self) -> str: ...


def timing_refusal(lot: Timed, moment: datetime) -> str | None:
    """Why no hold may be placed on the lot at `moment` (its availability window or daily
    cut-off), or None.

    The window is [available_from, available_until); the cut-off is "HH:MM" in UTC, and from
    it until 00:00 UTC the day's orders are closed. Zero-padded "HH:MM" texts order like
    times, which lets search state the same rule in SQL.
    """
    if lot.available_from is not None and moment < lot.available_from:
        return "OUTSIDE_AVAILABILITY_WINDOW"
    if lot.available_until is not None and moment >= lot.available_until:
        return "OUTSIDE_AVAILABILITY_WINDOW"
    if lot.eod_cutoff and clock_text(moment) >= lot.eod_cutoff:
        return "PAST_DAILY_CUTOFF"
    return None


def clock_text(moment: datetime) -> str:
    """The UTC time of day of `moment` as "HH:MM", the form eod_cutoff is stored in."""
    return moment.astimezone(UTC).strftime("%H:%M")


def check_timing(lot: Availability, moment: datetime) -> None:
    reason = timing_refusal(lot, moment)
    if reason == "OUTSIDE_AVAILABILITY_WINDOW":
        raise _fail(
            f"{lot.name} is available from {lot.available_from} until {lot.available_until}",
            reason,
            lot.name,
            available_from=lot.available_from,
            available_until=lot.available_until,
        )
    if reason == "PAST_DAILY_CUTOFF":
        raise _fail(
            f"{lot.name} takes no more orders today after its cut-off {lot.eod_cutoff} UTC",
            reason,
            lot.name,
            eod_cutoff=lot.eod_cutoff,
        )


def place_hold(
    lot: Availability,
    *,
    quantity: Decimal,
    buyer_id: str,
    negotiation_id: str,
    expire_time: datetime,
    now: datetime,
    request_id: str = "",
    option_label: str = "",
) -> Reservation:
    """Moves quantity from available to reserved and returns the new ACTIVE hold."""
    check_option(lot, option_label, "price_option_label")
    check_take(lot, quantity)
    check_timing(lot, now)
    lot.available_quantity -= quantity
    lot.reserved_quantity += quantity
    settle(lot)
    return new_row(
        lot,
        HoldState.ACTIVE,
        quantity,
        buyer_id,
        now,
        option_label,
        expire_time=expire_time,
        negotiation_id=negotiation_id,
        request_id=request_id,
    )


def release(lot: Availability, hold: Reservation, reason: str, now: datetime) -> bool:
    """Returns the hold's quantity to available; False (a no-op) when it is already gone.

    A RELEASED or EXPIRED hold no longer holds anything, so releasing it again changes
    nothing. A SOLD hold cannot be undone by a release.
    """
    if hold.state in (HoldState.RELEASED, HoldState.EXPIRED):
        return False
    if hold.state is HoldState.SOLD:
        raise _fail(
            f"{hold.name} is SOLD; a sale cannot be released",
            "INVALID_STATE",
            hold.name,
            state=hold.state.value,
        )
    give_back(lot, unsold(hold))
    hold.state = HoldState.RELEASED
    hold.release_reason = reason
    hold.update_time = now
    settle(lot)
    return True


def release_part(
    lot: Availability, hold: Reservation, quantity: Decimal, reason: str, now: datetime
) -> None:
    """Gives back part of an ACTIVE hold; the rest stays held until its expire_time.

    Releasing all that is held is a whole release. A lot that takes no partial orders must be
    taken whole, so its holds cannot shrink either.
    """
    held = _check_part(lot, hold, quantity, "release", now)
    if quantity == held:
        release(lot, hold, reason, now)
        return
    lot.reserved_quantity -= quantity
    lot.available_quantity += quantity
    hold.quantity -= quantity
    hold.release_reason = reason
    hold.update_time = now
    settle(lot)


def _require_active(hold: Reservation, verb: str) -> None:
    if hold.state is HoldState.EXPIRED:
        raise _fail(f"{hold.name} has expired", "HOLD_EXPIRED", hold.name)
    if hold.state is not HoldState.ACTIVE:
        raise _fail(
            f"{hold.name} is {hold.state.value}; only ACTIVE holds can be {verb}",
            "INVALID_STATE",
            hold.name,
            state=hold.state.value,
        )


def extend(hold: Reservation, expire_time: datetime, now: datetime) -> None:
    """Sets a new expiry for an ACTIVE hold (counted from now by the caller)."""
    if is_overdue(hold, now):
        raise _fail(f"{hold.name} has expired", "HOLD_EXPIRED", hold.name)
    _require_active(hold, "extended")
    hold.expire_time = expire_time
    hold.update_time = now


_DONE = {"sell": "sold", "release": "released"}


def _check_part(
    lot: Availability, hold: Reservation, amount: Decimal, verb: str, now: datetime
) -> Decimal:
    """May `amount` be sold or released out of this ACTIVE hold? Returns what it holds.

    A part smaller than the hold is refused on a lot that takes no partial orders: such a lot
    is taken (and given back) only whole.
    """
    if is_overdue(hold, now):
        raise _fail(f"{hold.name} has expired", "HOLD_EXPIRED", hold.name)
    _require_active(hold, _DONE[verb])
    held = unsold(hold)
    if amount > held:
        raise _fail(
            f"{hold.name} holds {held} {lot.quantity_unit}; cannot {verb} {amount}",
            "INSUFFICIENT_QUANTITY",
            hold.name,
            held_quantity=held,
        )
    if amount < held and not lot.allow_partial_order:
        raise _fail(
            f"{lot.name} does not allow partial orders: {verb} the whole hold",
            "PARTIAL_NOT_ALLOWED",
            hold.name,
            held_quantity=held,
        )
    return held


def sell_hold(
    lot: Availability,
    hold: Reservation,
    quantity: Decimal | None,
    trade_id: str,
    now: datetime,
    sold_price: tuple[Decimal, str] | None = None,
) -> None:
    """Sells all (quantity None) or part of an ACTIVE hold; the unsold rest becomes available.

    Part of a hold is a smaller order, so the lot's partial-order and minimum rules apply to
    it; the whole hold was checked when it was placed and is always sellable.
    """
    amount = unsold(hold) if quantity is None else quantity
    held = _check_part(lot, hold, amount, "sell", now)
    minimum = lot.min_order_quantity
    if amount < held and minimum is not None and amount < minimum:
        raise _fail(
            f"{amount} is below the minimum order of {minimum} {lot.quantity_unit}",
            "BELOW_MINIMUM_ORDER",
            hold.name,
            min_order_quantity=minimum,
        )
    lot.reserved_quantity -= held
    lot.sold_quantity += amount
    lot.available_quantity += held - amount
    hold.sold_quantity += amount
    hold.state = HoldState.SOLD
    hold.trade_id = trade_id
    hold.update_time = now
    if sold_price is not None:
        hold.sold_price_amount, hold.sold_price_currency = sold_price
    settle(lot)


def sell_direct(
    lot: Availability,
    quantity: Decimal,
    *,
    buyer_id: str,
    trade_id: str,
    now: datetime,
    sold_price: tuple[Decimal, str] | None = None,
    request_id: str = "",
) -> Reservation:
    """A sale without a hold: straight from available to sold, under the same rules.

    Returns the sale's record, a SOLD reservation row of its own, so a direct sale keeps its
    buyer, trade id and prices like a sale from a hold (and lists with the holds).
    """
    check_take(lot, quantity)
    lot.available_quantity -= quantity
    lot.sold_quantity += quantity
    settle(lot)
    amount, currency = sold_price if sold_price is not None else (None, "")
    return new_row(
        lot,
        HoldState.SOLD,
        quantity,
        buyer_id,
        now,
        "",
        expire_time=now,
        direct_sale=True,
        sold_quantity=quantity,
        trade_id=trade_id,
        request_id=request_id,
        sold_price_amount=amount,
        sold_price_currency=currency,
    )
