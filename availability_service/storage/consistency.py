"""The consistency query: every lot's counters against each other and against its holds.

For operators (`availability-service check`) and tests. A lot is reported when any of these
fail: total = available + reserved + sold; each part >= 0; reserved = the unsold quantity of
its ACTIVE holds; sold >= what its SOLD holds sold (direct sales may add more).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, func, or_, select

from availability_service.domain.model import HoldState
from availability_service.storage.tables import availabilities, reservations

ZERO = Decimal(0)


@dataclass(frozen=True)
class LotViolation:
    """One inconsistent lot and the numbers that show it."""

    lot_id: uuid.UUID
    total: Decimal
    available: Decimal
    reserved: Decimal
    sold: Decimal
    held_by_active_holds: Decimal
    sold_by_holds: Decimal

    def describe(self) -> str:
        return (
            f"availabilities/{self.lot_id}: total {self.total}, available {self.available}, "
            f"reserved {self.reserved}, sold {self.sold}; active holds hold "
            f"{self.held_by_active_holds}, sold holds sold {self.sold_by_holds}"
        )


def find_violations(
    conn: Connection, lot_ids: Sequence[uuid.UUID] | None = None
) -> list[LotViolation]:
    """Every lot breaking a rule (only among lot_ids when given); empty means consistent."""
    a, r = availabilities, reservations
    held = func.coalesce(
        func.sum(r.c.quantity - r.c.sold_quantity).filter(r.c.state == HoldState.ACTIVE.value), ZERO
    )
    sold_by_holds = func.coalesce(
        func.sum(r.c.sold_quantity).filter(r.c.state == HoldState.SOLD.value), ZERO
    )
    per_lot = (
        select(r.c.availability_id, held.label("held"), sold_by_holds.label("sold_by_holds"))
        .group_by(r.c.availability_id)
        .subquery()
    )
    held_col = func.coalesce(per_lot.c.held, ZERO)
    sold_col = func.coalesce(per_lot.c.sold_by_holds, ZERO)
    broken = or_(
        a.c.total_quantity != a.c.available_quantity + a.c.reserved_quantity + a.c.sold_quantity,
        a.c.available_quantity < 0,
        a.c.reserved_quantity < 0,
        a.c.sold_quantity < 0,
        a.c.reserved_quantity != held_col,
        a.c.sold_quantity < sold_col,
    )
    query = select(
        a.c.id,
        a.c.total_quantity,
        a.c.available_quantity,
        a.c.reserved_quantity,
        a.c.sold_quantity,
        held_col.label("held"),
        sold_col.label("sold_by_holds"),
    ).select_from(a.outerjoin(per_lot, per_lot.c.availability_id == a.c.id))
    conditions = [broken]
    if lot_ids is not None:
        conditions.append(a.c.id.in_(list(lot_ids)))
    rows = conn.execute(query.where(*conditions).order_by(a.c.id))
    return [
        LotViolation(
            lot_id=row.id,
            total=row.total_quantity,
            available=row.available_quantity,
            reserved=row.reserved_quantity,
            sold=row.sold_quantity,
            held_by_active_holds=row.held,
            sold_by_holds=row.sold_by_holds,
        )
        for row in rows
    ]
