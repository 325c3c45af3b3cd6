"""Hold expiry, stated once: what time has ended on a lot at a given moment.

An ACTIVE hold past its expire_time no longer counts, whatever its row says; a live lot past
its valid_until becomes EXPIRED, and every hold still on it expires with it. `due_endings`
decides what has ended, `end` applies one ending; every path goes through them: a write on
the lot (service_layer.hold_ends, each ending with its own event), the sweeper (the same
code, lot by lot), and reads (`as_of`: the lot's quantities as the sweeper will leave them,
nothing written). The SQL that finds lots to sweep (storage.holds.lots_due_for_sweep) and lists an
overdue hold as EXPIRED (storage.holds) is the database's twin of `is_overdue`/`has_lapsed`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from availability_service.domain.lifecycle import has_lapsed, lapse
from availability_service.domain.model import ZERO, Availability, HoldState, Reservation
from availability_service.domain.quantities import give_back, settle, unsold

# One ending: a hold that expires, or None for the lot itself lapsing.
Ending = Reservation | None


def is_overdue(hold: Reservation, now: datetime) -> bool:
    """An ACTIVE hold past its expire_time: it no longer counts, whatever the row says."""
    return hold.state is HoldState.ACTIVE and hold.expire_time <= now


def may_have_endings(lot: Availability, moment: datetime, *, lapse_lot: bool = True) -> bool:
    """False when nothing can have ended (no hold reserved, not lapsed): no holds to read."""
    return lot.reserved_quantity > ZERO or (lapse_lot and has_lapsed(lot, moment))


def holds_due_by(lot: Availability, moment: datetime, *, lapse_lot: bool = True) -> datetime | None:
    """Which ACTIVE holds to read as candidates: those expiring by `moment`, or all of them
    (None) when the lot itself has lapsed."""
    return None if lapse_lot and has_lapsed(lot, moment) else moment


def due_endings(
    lot: Availability,
    active_holds: Iterable[Reservation],
    moment: datetime,
    *,
    lapse_lot: bool = True,
) -> list[Ending]:
    """What has ended on `lot` at `moment`, in the order to apply it: its overdue holds
    (every ACTIVE hold when the lot has lapsed), then the lot itself (None) if it lapsed.

    With lapse_lot False only overdue holds end: a lot's lapse is a change of its state that
    readers learn from its EXPIRED event, so reads leave it to the write that records it."""
    lapsed = lapse_lot and has_lapsed(lot, moment)
    endings: list[Ending] = [
        hold
        for hold in active_holds
        if hold.state is HoldState.ACTIVE and (lapsed or is_overdue(hold, moment))
    ]
    if lapsed:
        endings.append(None)
    return endings


def expire(lot: Availability, hold: Reservation, now: datetime) -> None:
    """An ACTIVE hold timed out (or its lot lapsed): its quantity goes back to available."""
    if hold.state is not HoldState.ACTIVE:
        raise ValueError(f"{hold.name} is {hold.state.value}, not ACTIVE")
    give_back(lot, unsold(hold))
    hold.state = HoldState.EXPIRED
    hold.update_time = now
    settle(lot)


def end(lot: Availability, ending: Ending, moment: datetime) -> None:
    """Applies one ending of due_endings: the hold expires, or (None) the lot lapses."""
    if ending is None:
        lapse(lot)
        settle(lot)
    else:
        expire(lot, ending, moment)


def as_of(lot: Availability, active_holds: Iterable[Reservation], moment: datetime) -> None:
    """The lot (in memory) as reads present it at `moment`: overdue holds no longer count
    (Expired holds stop counting at once); nothing is written."""
    for ending in due_endings(lot, active_holds, moment, lapse_lot=False):
        end(lot, ending, moment)
