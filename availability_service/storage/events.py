"""The event store: revision counter, reads, compaction. Events are written with their lot, in
one statement with the wake-up notification (storage/lot_writes.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import distinct_on

from availability_service.storage import driver_read
from availability_service.storage.tables import events, revision_counter


def current_revision(conn: Connection) -> int:
    return int(conn.execute(select(revision_counter.c.value)).scalar_one())


def read_events(conn: Connection, after_revision: int, limit: int = 500) -> list[Any]:
    query = (
        select(events)
        .where(events.c.revision > after_revision)
        .order_by(events.c.revision)
        .limit(limit)
    )
    return list(conn.execute(query))


def oldest_revision(conn: Connection) -> int | None:
    value = conn.execute(select(func.min(events.c.revision))).scalar()
    return None if value is None else int(value)


# Revisions commit in order (the counter row's lock), so in one statement's snapshot every
# event up to the counter is there; the oldest kept event tells whether any were compacted.
# Driver SQL on the driver's cursor (storage.driver_read), as GetAvailability's read: under
# load this probe runs back to back, and SQLAlchemy's execution path costs more than it.
_CHANGES_SINCE = (
    "SELECT (SELECT value FROM revision_counter),"
    " (SELECT min(revision) FROM events),"
    " ARRAY(SELECT availability_id::text FROM events WHERE revision > %(after)s"
    "       ORDER BY revision LIMIT %(limit)s)"
)
# Keyed by "a statement timeout applies" (the same message as the query; see read_lot).
_CHANGES = {
    False: _CHANGES_SINCE,
    True: "SET LOCAL statement_timeout = %(statement_timeout_ms)s; " + _CHANGES_SINCE,
}


def changes_statement(
    after_revision: int, limit: int, statement_timeout_ms: int | None = None
) -> tuple[str, dict[str, int]]:
    """changes_since's driver SQL and parameters (also sent by storage.loop_probe)."""
    params = {"after": after_revision, "limit": limit + 1}
    if statement_timeout_ms is not None:
        params["statement_timeout_ms"] = statement_timeout_ms
    return _CHANGES[statement_timeout_ms is not None], params


def changes_since(
    conn: Connection, after_revision: int, limit: int, statement_timeout_ms: int | None = None
) -> tuple[int, frozenset[uuid.UUID] | None]:
    """(head, the lots changed after `after_revision`, or None when the log cannot tell)."""
    statement, params = changes_statement(after_revision, limit, statement_timeout_ms)
    row, _ = driver_read.fetch_one(conn, statement, params)
    return changes_from_row(row, after_revision, limit)


def changes_from_row(
    row: Sequence[Any] | None, after_revision: int, limit: int
) -> tuple[int, frozenset[uuid.UUID] | None]:
    """changes_since's answer from the row of its statement (`changes_statement`)."""
    assert row is not None  # an aggregate row always comes back
    head, oldest, lots = int(row[0]), row[1], row[2]
    if head == after_revision:
        return head, frozenset()
    if oldest is None or oldest > after_revision + 1 or len(lots) > limit:
        return head, None
    return head, frozenset(uuid.UUID(lot) for lot in lots)


def count_events(conn: Connection, availability_id: uuid.UUID | None = None) -> int:
    query = select(func.count()).select_from(events)
    if availability_id is not None:
        query = query.where(events.c.availability_id == availability_id)
    return int(conn.execute(query).scalar_one())


def read_events_until(
    conn: Connection, after_revision: int, until_revision: int, limit: int = 500
) -> list[Any]:
    """Events with after_revision < revision <= until_revision, in revision order."""
    query = (
        select(events)
        .where(events.c.revision > after_revision, events.c.revision <= until_revision)
        .order_by(events.c.revision)
        .limit(limit)
    )
    return list(conn.execute(query))


def compact_events(conn: Connection, below_revision: int) -> int:
    """Deletes events with a revision below `below_revision`; returns how many went.

    The newest event is always kept, so the oldest retained revision stays known and a watcher
    resuming from below it is told REVISION_COMPACTED instead of silently missing events.
    """
    newest = conn.execute(select(func.max(events.c.revision))).scalar()
    if newest is None:
        return 0
    cutoff = min(below_revision, int(newest))
    result = conn.execute(events.delete().where(events.c.revision < cutoff))
    return int(result.rowcount or 0)


def compact_events_before(conn: Connection, moment: Any, limit: int) -> int:
    """Deletes up to `limit` of the oldest events written before `moment`; returns how many.

    Only a prefix of the revisions goes, never the newest event, so the oldest retained
    revision stays exact and a watcher resuming below it is told REVISION_COMPACTED instead of
    silently missing events. Reading the oldest `limit` rows by primary key bounds the work
    without an index on event_time (which every write would pay for).
    """
    newest = conn.execute(select(func.max(events.c.revision))).scalar()
    if newest is None:
        return 0
    oldest = conn.execute(
        select(events.c.revision, events.c.event_time).order_by(events.c.revision).limit(limit)
    )
    upto: int | None = None
    for row in oldest:
        if row.event_time >= moment or row.revision >= newest:
            break
        upto = int(row.revision)
    if upto is None:
        return 0
    result = conn.execute(events.delete().where(events.c.revision <= upto))
    return int(result.rowcount or 0)


def lot_events(
    conn: Connection, availability_id: uuid.UUID, after_revision: int, limit: int
) -> list[Any]:
    """One lot's events after `after_revision`, oldest first (index events_lot)."""
    query = (
        select(events)
        .where(events.c.availability_id == availability_id, events.c.revision > after_revision)
        .order_by(events.c.revision)
        .limit(limit)
    )
    return list(conn.execute(query))


def states_at(
    conn: Connection, lot_ids: Sequence[uuid.UUID] | None, revision: int
) -> dict[uuid.UUID, dict[str, Any] | None]:
    """Each lot's snapshot as of `revision`, for lots changed after it (of `lot_ids`, or of
    every lot when None): the `before` of its first later event (None when that event created
    it). Lots absent from the answer have no later event."""
    if lot_ids is not None and not lot_ids:
        return {}
    query = (
        select(events.c.availability_id, events.c.before)
        .where(events.c.revision > revision)
        .order_by(events.c.availability_id, events.c.revision)
        .ext(distinct_on(events.c.availability_id))
    )
    if lot_ids is not None:
        query = query.where(events.c.availability_id.in_(lot_ids))
    return {row.availability_id: row.before for row in conn.execute(query)}
