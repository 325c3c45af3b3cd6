"""Market figures: Prometheus metrics of the business, counted only once a change commits.

Every change passes through changes.record, which hands it here; what it means for the
market (a lot posted, a hold placed, quantity sold, ...) is queued on the transaction and
counted after the commit, so a rolled-back attempt or an idempotent replay counts nothing.
Labels are bounded: commodities come from the catalog, units from its canonical units.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from prometheus_client import Counter, Histogram

from availability_service.domain.model import Availability, EventType, Reservation
from availability_service.service_layer.ports import Transaction

# From a minute to a quarter: lots are held within hours, sold within days or weeks.
_DURATION_BUCKETS = (
    60,
    300,
    900,
    3600,
    4 * 3600,
    12 * 3600,
    86400,
    3 * 86400,
    7 * 86400,
    30 * 86400,
    90 * 86400,
)

LOTS_POSTED = Counter("availability_lots_posted_total", "Lots created", ["commodity"])
LOTS_APPROVED = Counter("availability_lots_approved_total", "Lots approved", ["commodity"])
HOLDS_PLACED = Counter("availability_holds_placed_total", "Holds placed", ["commodity"])
HOLDS_RELEASED = Counter(
    "availability_holds_released_total", "Holds released (wholly or in part)", ["commodity"]
)
HOLDS_EXPIRED = Counter("availability_holds_expired_total", "Holds that timed out", ["commodity"])
HOLDS_SOLD = Counter("availability_holds_sold_total", "Holds turned into a sale", ["commodity"])
DIRECT_SALES = Counter(
    "availability_direct_sales_total", "Sales straight from a lot, without a hold", ["commodity"]
)
QUANTITY_SOLD = Counter(
    "availability_quantity_sold_total",
    "Quantity sold, in the commodity's canonical quantity unit (label unit)",
    ["commodity", "unit"],
)
APPROVAL_TO_FIRST_HOLD = Histogram(
    "availability_approval_to_first_hold_seconds",
    "Time from a lot's approval to the first hold placed on it",
    ["commodity"],
    buckets=_DURATION_BUCKETS,
)
APPROVAL_TO_SALE = Histogram(
    "availability_approval_to_sale_seconds",
    "Time from a lot's approval to its first sale",
    ["commodity"],
    buckets=_DURATION_BUCKETS,
)

_COUNTED: dict[EventType, Counter] = {
    EventType.CREATED: LOTS_POSTED,
    EventType.APPROVED: LOTS_APPROVED,
    EventType.RESERVED: HOLDS_PLACED,
    EventType.RELEASED: HOLDS_RELEASED,
}


def _quantity(snapshot: dict[str, Any] | None, name: str) -> Decimal:
    return Decimal(str((snapshot or {}).get(name) or 0))


def canonical_sold(before: dict[str, Any] | None, lot: Availability) -> Decimal:
    """What this change sold, in the canonical quantity unit (0 when it sold nothing)."""
    if before is None or lot.quantity_in_base_unit is None or not lot.total_quantity:
        return Decimal(0)
    sold = lot.sold_quantity - _quantity(before, "sold_quantity")
    return sold * lot.quantity_in_base_unit / lot.total_quantity


def note_change(
    tx: Transaction,
    lot: Availability,
    event_type: EventType,
    before: dict[str, Any] | None,
    reservation: Reservation | None,
    moment: datetime,
) -> None:
    """Queues the market figures of one recorded change, to count after the commit."""
    commodity = lot.commodity
    actions: list[Callable[[], None]] = []
    counter = _COUNTED.get(event_type)
    if counter is not None:
        actions.append(counter.labels(commodity).inc)
    since_approval = None
    if lot.approve_time is not None:
        since_approval = max(0.0, (moment - lot.approve_time).total_seconds())
    # The new hold's row is written after its event: no hold row yet means the first hold
    # (a lot with something reserved or sold before had one, so it needs no query).
    first_hold = (
        event_type is EventType.RESERVED
        and since_approval is not None
        and _quantity(before, "reserved_quantity") == 0
        and _quantity(before, "sold_quantity") == 0
        and not tx.holds.any_on(lot.id)
    )
    if first_hold and since_approval is not None:
        actions.append(partial(APPROVAL_TO_FIRST_HOLD.labels(commodity).observe, since_approval))
    if event_type is EventType.EXPIRED and reservation is not None:
        actions.append(HOLDS_EXPIRED.labels(commodity).inc)
    if event_type is EventType.SOLD:
        # A direct sale carries its own SOLD record (direct_sale), never a hold.
        from_hold = reservation is not None and not reservation.direct_sale
        sales = HOLDS_SOLD if from_hold else DIRECT_SALES
        actions.append(sales.labels(commodity).inc)
        sold = canonical_sold(before, lot)
        if sold > 0:
            unit = lot.base_quantity_unit
            actions.append(partial(QUANTITY_SOLD.labels(commodity, unit).inc, float(sold)))
        first_sale = before is not None and _quantity(before, "sold_quantity") == 0
        if first_sale and since_approval is not None:
            actions.append(partial(APPROVAL_TO_SALE.labels(commodity).observe, since_approval))
    for action in actions:
        tx.after_commit(action)
