"""Writing a lot and its one event at the next revision, with the counter held briefly.

Taking the next revision (next_revision(), migration 0004) locks the revision counter row
until commit; every writing transaction waits for that lock, so the time from the bump to
the commit is the service's serial section. The bump, the lot's revision, its event row and
the watchers' wake-up (pg_notify, delivered at commit) therefore go in ONE statement: a
data-modifying CTE writes the lot's revision and hands it to the event's INSERT, which sets
it in the snapshots too (`after`, and the hold's for hold events), so no Python runs and no
second round trip is made while the counter is held. Only the COMMIT follows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Insert, Text, bindparam, cast, func, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB

from availability_service.domain.model import AVAILABILITY_FIELDS, Availability
from availability_service.domain.stored_event import NewEvent
from availability_service.storage.tables import availabilities, events
from availability_service.storage.write_transaction import DriverStatement, FinalWrites

NOTIFY_CHANNEL = "availability_events"

_LOT = availabilities.c
_EVENT = events.c
# Event parameters are prefixed: the lot's own columns take their plain names.
_EVENT_PARAMS = (
    "event_type",
    "event_types",
    "actor",
    "changed_fields",
    "before",
    "after",
    "reservation_id",
    "reservation",
)


# RETURNING evaluates it once, for the one row; delivered at commit, a wake-up only (the
# watch always reads the table).
_WAKE_UP = func.pg_notify(literal(NOTIFY_CHANNEL), cast(_EVENT.revision, Text))


def _lot_columns(*, skip: str) -> dict[str, Any]:
    """Every lot column but the revision and `skip`, bound by name."""
    return {
        name: bindparam(name, type_=_LOT[name].type)
        for name in AVAILABILITY_FIELDS
        if name not in ("revision", skip)
    }


def _with_revision(param: str, revision: Any) -> Any:
    """A snapshot parameter with the written revision set in it (jsonb `||` replaces a key)."""
    return cast(bindparam(param, type_=JSONB), JSONB).op("||")(
        func.jsonb_build_object("revision", revision)
    )


def _statement(lot_write: Any, *, with_hold: bool) -> Insert:
    written = lot_write.returning(_LOT.id, _LOT.revision).cte("written")
    columns = {
        _EVENT.revision: written.c.revision,
        _EVENT.availability_id: written.c.id,
        _EVENT.event_type: bindparam("ev_event_type", type_=_EVENT.event_type.type),
        _EVENT.event_types: bindparam("ev_event_types", type_=_EVENT.event_types.type),
        _EVENT.actor: bindparam("ev_actor", type_=_EVENT.actor.type),
        _EVENT.event_time: func.clock_timestamp(),
        _EVENT.changed_fields: bindparam("ev_changed_fields", type_=_EVENT.changed_fields.type),
        _EVENT.before: bindparam("ev_before", type_=_EVENT.before.type),
        _EVENT.after: _with_revision("ev_after", written.c.revision),
        _EVENT.reservation_id: bindparam("ev_reservation_id", type_=_EVENT.reservation_id.type),
        # Without a hold, bound as before (None) so the row stores what it always stored.
        _EVENT.reservation: _with_revision("ev_reservation", written.c.revision)
        if with_hold
        else bindparam("ev_reservation", type_=_EVENT.reservation.type),
    }
    return (
        events.insert()
        .from_select(list(columns), select(*columns.values()).select_from(written))
        .returning(_EVENT.revision, _WAKE_UP)
    )


_THIS_LOT = _LOT.id == bindparam("lot_key", type_=_LOT.id.type)
# A new lot's row goes in first, with no revision yet (0: seen by nobody else before the
# commit, and stamped below in the same transaction): its heap and index entries (the HNSW
# graph insert above all) cost milliseconds and need no counter lock. The stamp that takes
# the revision then changes one column that no index covers, so PostgreSQL can write it
# as a heap-only tuple, without touching an index, while the counter is held.
_INSERT = availabilities.insert().values({**_lot_columns(skip=""), "revision": 0})
_STAMP = availabilities.update().where(_THIS_LOT).values(revision=func.next_revision())
_UPDATE = (
    availabilities.update()
    .where(_THIS_LOT)
    .values({**_lot_columns(skip="id"), "revision": func.next_revision()})
)
# Built and compiled once each: (new lot or existing) x (hold event or not).
_STATEMENTS = {
    (is_new, with_hold): _statement(_STAMP if is_new else _UPDATE, with_hold=with_hold)
    for is_new in (True, False)
    for with_hold in (True, False)
}


# The stamp sent with the COMMIT (storage.write_transaction): what _STATEMENTS[(True, False)]
# writes, as the function stamp_new_lot (migration 0013: planned once per connection), which
# also leaves the revision in the session setting the commit message reads back.
_STAMP_AT_COMMIT = text(
    "SELECT stamp_new_lot(:lot_key, :ev_event_type, :ev_event_types, :ev_actor,"
    " :ev_changed_fields, :ev_before, :ev_after)"
).bindparams(
    bindparam("lot_key", type_=_LOT.id.type),
    bindparam("ev_event_types", type_=_EVENT.event_types.type),
    bindparam("ev_changed_fields", type_=_EVENT.changed_fields.type),
    bindparam("ev_before", type_=_EVENT.before.type),
    bindparam("ev_after", type_=_EVENT.after.type),
)
# Both compiled once for the driver (storage.write_transaction.DriverStatement).
_DRIVER_INSERT = DriverStatement(_INSERT)
_DRIVER_STAMP = DriverStatement(_STAMP_AT_COMMIT)
# The stamp's event parameters (a new lot's event has no hold).
_STAMP_PARAMS = ("event_type", "event_types", "actor", "changed_fields", "before", "after")


def add_lot_stamped_at_commit(
    conn: Connection, lot: Availability, event: NewEvent, final: FinalWrites
) -> None:
    """Leaves a new lot's INSERT, then its revision stamp and event, to the transaction's
    COMMIT message: one round trip for all three, the row and its index entries (the HNSW
    graph insert above all) written before the stamp takes the counter's lock, as in
    write_lot. lot.revision is set once the COMMIT is through."""
    values = {f"ev_{name}": getattr(event, name) for name in _STAMP_PARAMS}
    values["lot_key"] = lot.id

    def took(revision: int) -> None:
        lot.revision = revision

    final.stamp(
        lot.id,
        [
            _DRIVER_INSERT.render(conn.dialect, _lot_values(lot)),
            _DRIVER_STAMP.render(conn.dialect, values),
        ],
        took,
    )


def write_lot(conn: Connection, lot: Availability, event: NewEvent, *, is_new: bool) -> int:
    """Inserts (`is_new`) or updates the lot at the next revision with its event; returns that
    revision. The counter row stays locked until commit, so call this after every other lock
    the transaction needs on lots: lock order is always lots, then the counter."""
    values = _lot_values(lot)
    params = {f"ev_{name}": getattr(event, name) for name in _EVENT_PARAMS}
    params["lot_key"] = lot.id
    if is_new:
        conn.execute(_INSERT, values)
    else:
        del values["id"]
        params.update(values)
    row = conn.execute(_STATEMENTS[(is_new, event.reservation is not None)], params).one()
    return int(row[0])


def _lot_values(lot: Availability) -> dict[str, Any]:
    values = {name: getattr(lot, name) for name in AVAILABILITY_FIELDS if name != "revision"}
    for key in ("state", "market_visibility", "price_type"):
        values[key] = values[key].value
    return values
