"""Ending a lot's holds inside a transaction that has locked the lot: expiry and withdrawal.

Both the hold use cases and the lot use cases (a forced DeleteAvailability) end holds, so the
rules live here, below both, each ended hold with its own event through changes.record.
What has ended is the domain's decision (domain.expiry); this records it.
"""

from __future__ import annotations

from datetime import datetime

from availability_service.domain import expiry
from availability_service.domain import holds as rules
from availability_service.domain.model import Availability, EventType
from availability_service.service_layer.changes import lot_snapshot, record
from availability_service.service_layer.ports import Transaction

# Actor of expiries, whether the sweeper or a write on the lot noticed them first.
EXPIRY_ACTOR = "system:expiry"


def expire_due(tx: Transaction, lot: Availability, moment: datetime) -> int:
    """Expires the locked lot's overdue holds, or all of them and the lot when it has lapsed.

    Each expired hold and the lapsed lot get one EXPIRED event each. Returns how many events.
    """
    if not expiry.may_have_endings(lot, moment):
        # reserved_quantity is what the lot's ACTIVE holds hold (the locked row is current):
        # nothing reserved and not lapsed, so no query under the lock.
        return 0
    candidates = tx.holds.active(lot.id, lot.quantity_unit, due_by=expiry.holds_due_by(lot, moment))
    endings = expiry.due_endings(lot, candidates, moment)
    for ending in endings:
        before = lot_snapshot(lot)
        expiry.end(lot, ending, moment)
        record(tx, lot, EventType.EXPIRED, EXPIRY_ACTOR, before, reservation=ending)
        if ending is not None:
            tx.holds.save(ending)
    return len(endings)


def withdraw_holds(tx: Transaction, lot: Availability, actor: str, moment: datetime) -> int:
    """Releases every ACTIVE hold of the locked lot with reason LOT_WITHDRAWN, one event each.

    Overdue holds expire first (as on any write), so only live holds are called withdrawn.
    Returns how many holds were released.
    """
    expire_due(tx, lot, moment)
    live = tx.holds.active(lot.id, lot.quantity_unit)
    for hold in live:
        before = lot_snapshot(lot)
        rules.release(lot, hold, rules.LOT_WITHDRAWN, moment)
        record(tx, lot, EventType.RELEASED, actor, before, reservation=hold)
        tx.holds.save(hold)
    return len(live)
