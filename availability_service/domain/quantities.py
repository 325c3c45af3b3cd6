"""Quantity arithmetic and the state the quantities imply.

Invariant on every lot: total = available + reserved + sold, each >= 0. Every mutation goes
through these functions, which check it before anything is written; the database CHECK
constraints are the second line.
"""

from __future__ import annotations

from decimal import Decimal

from availability_service.domain.errors import FailedPrecondition
from availability_service.domain.lifecycle import derive_state
from availability_service.domain.model import ZERO, Availability, Reservation


class InvariantViolation(AssertionError):
    """A bug: the arithmetic would break total = available + reserved + sold."""


def check_invariant(lot: Availability) -> None:
    parts = (lot.available_quantity, lot.reserved_quantity, lot.sold_quantity)
    if any(p < ZERO for p in parts) or lot.total_quantity != sum(parts, ZERO):
        raise InvariantViolation(
            f"{lot.name}: total {lot.total_quantity} != available {lot.available_quantity}"
            f" + reserved {lot.reserved_quantity} + sold {lot.sold_quantity}"
        )


def settle(lot: Availability) -> None:
    """Checks the invariant and moves the state to what the quantities imply (the lifecycle's
    ACTIVE / RESERVED / SOLD transitions)."""
    check_invariant(lot)
    lot.state = derive_state(lot)


def unsold(hold: Reservation) -> Decimal:
    """What a hold still holds: its quantity less what was sold out of it."""
    return hold.quantity - hold.sold_quantity


def give_back(lot: Availability, quantity: Decimal) -> None:
    """Held quantity returns to available (a release or an expiry)."""
    lot.reserved_quantity -= quantity
    lot.available_quantity += quantity


def change_total(lot: Availability, new_total: Decimal) -> None:
    """A seller corrects the lot size: the difference goes to (or comes from) available."""
    delta = new_total - lot.total_quantity
    if lot.available_quantity + delta < ZERO:
        raise FailedPrecondition(
            f"total_quantity {new_total} is below what is already reserved and sold "
            f"({lot.reserved_quantity + lot.sold_quantity})",
            reason="INSUFFICIENT_QUANTITY",
        )
    if lot.min_order_quantity is not None and lot.min_order_quantity > new_total:
        raise FailedPrecondition(
            "min_order_quantity would exceed total_quantity", reason="BELOW_MINIMUM_ORDER"
        )
    lot.total_quantity = new_total
    lot.available_quantity += delta
    settle(lot)
