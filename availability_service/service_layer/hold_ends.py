"""Ending a lot's holds inside a transaction that has locked the lot: expiry and withdrawal.

Both the hold use cases and the lot use cases (a forced DeleteAvailability) end holds, so the
rules live here, below both, each ended hold with its own event through changes.record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from availability_service.domain import holds as rules
from availability_service.domain.model import Availability, EventType
from availability_service.service_layer.changes import lot_snapshot, record
from availability_service.storage import holds

# Actor of expiries, whether the sweeper or a write on the lot noticed them first.
EXPIRY_ACTOR = "system:expiry"


def expire_due(conn: Connection, lot: Availability, moment: datetime) -> int:
    """Expires the locked lot's overdue holds, or all of them and the lot when it has lapsed.

    Each expired hold and the lapsed lot get one EXPIRED event each. Returns how many events.
    """
    lapsed = rules.has_lapsed(lot, moment)
    if not lapsed and lot.reserved_quantity <= 0:
        # reserved_quantity is what the lot's ACTIVE holds hold (the locked row is current):
        # nothing reserved, no hold to expire, and no query under the lock.
        return 0
    due = holds.active_holds(conn, lot.id, lot.quantity_unit, due_by=None if lapsed else moment)
    for hold in due:
        before = lot_snapshot(lot)
        rules.expire(lot, hold, moment)
        record(conn, lot, EventType.EXPIRED, EXPIRY_ACTOR, before, reservation=hold)
        holds.update_hold(conn, hold)
    if lapsed:
        before = lot_snapshot(lot)
        rules.lapse(lot)
        record(conn, lot, EventType.EXPIRED, EXPIRY_ACTOR, before)
    return len(due) + int(lapsed)


def withdraw_holds(conn: Connection, lot: Availability, actor: str, moment: datetime) -> int:
    """Releases every ACTIVE hold of the locked lot with reason LOT_WITHDRAWN, one event each.

    Overdue holds expire first (as on any write), so only live holds are called withdrawn.
    Returns how many holds were released.
    """
    expire_due(conn, lot, moment)
    live = holds.active_holds(conn, lot.id, lot.quantity_unit)
    for hold in live:
        before = lot_snapshot(lot)
        rules.release(lot, hold, rules.LOT_WITHDRAWN, moment)
        record(conn, lot, EventType.RELEASED, actor, before, reservation=hold)
        holds.update_hold(conn, hold)
    return len(live)
