"""The promises checked after every fault, in plain SQL so they do not trust the code under test.

Each function returns a list of human-readable violations; an empty list means the promise
holds. The crash test, the database-fault test and the soak run all use them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, text

# total = available + reserved + sold, each part >= 0, and reserved is exactly what the
# ACTIVE holds still hold: the counters can never drift from the hold rows.
_QUANTITY_SQL = """
SELECT a.id, a.total_quantity, a.available_quantity, a.reserved_quantity, a.sold_quantity,
       COALESCE(h.held, 0) AS held
FROM availabilities a
LEFT JOIN (
    SELECT availability_id, SUM(quantity - sold_quantity) AS held
    FROM reservations WHERE state = 'ACTIVE' GROUP BY availability_id
) h ON h.availability_id = a.id
WHERE (a.total_quantity <> a.available_quantity + a.reserved_quantity + a.sold_quantity
       OR a.available_quantity < 0 OR a.reserved_quantity < 0 OR a.sold_quantity < 0
       OR a.reserved_quantity <> COALESCE(h.held, 0))
  AND (CAST(:ids AS uuid[]) IS NULL OR a.id = ANY(CAST(:ids AS uuid[])))
"""

# Each lot's revision is the revision of its newest event: no write without its event.
_LOT_REVISION_SQL = """
SELECT a.id, a.revision, e.last_revision
FROM availabilities a
LEFT JOIN (SELECT availability_id, MAX(revision) AS last_revision
           FROM events GROUP BY availability_id) e ON e.availability_id = a.id
WHERE e.last_revision IS DISTINCT FROM a.revision
  AND (CAST(:ids AS uuid[]) IS NULL OR a.id = ANY(CAST(:ids AS uuid[])))
"""


def _ids(lot_ids: Collection[str] | None) -> list[str] | None:
    return None if lot_ids is None else list(lot_ids)


def quantity_violations(conn: Connection, lot_ids: Collection[str] | None = None) -> list[str]:
    rows = conn.execute(text(_QUANTITY_SQL), {"ids": _ids(lot_ids)}).all()
    return [
        f"lot {r.id}: total {r.total_quantity} available {r.available_quantity} "
        f"reserved {r.reserved_quantity} sold {r.sold_quantity}; active holds hold {r.held}"
        for r in rows
    ]


def revision_violations(
    conn: Connection, lot_ids: Collection[str] | None = None, after: int = 0
) -> list[str]:
    """Revisions after `after` are contiguous, the counter is the newest one, and each lot
    (of lot_ids, when given: other tests may compact or hand-craft their own) matches its
    newest event."""
    problems = []
    row = conn.execute(
        text("SELECT MIN(revision), MAX(revision), COUNT(*) FROM events WHERE revision > :r"),
        {"r": after},
    ).one()
    low, high, count = (int(x or 0) for x in row)
    counter = current_revision(conn)
    if count and (high - low + 1 != count or low != after + 1):
        problems.append(f"events after {after} span {low}..{high} with gaps: {count} rows")
    if count and high != counter:
        problems.append(f"revision counter {counter} differs from the newest event {high}")
    problems += [
        f"lot {r.id}: revision {r.revision} but newest event {r.last_revision}"
        for r in conn.execute(text(_LOT_REVISION_SQL), {"ids": _ids(lot_ids)}).all()
    ]
    return problems


def all_violations(
    conn: Connection, lot_ids: Collection[str] | None = None, after: int = 0
) -> list[str]:
    return quantity_violations(conn, lot_ids) + revision_violations(conn, lot_ids, after)


def applied_requests(conn: Connection, principals: Collection[str]) -> dict[tuple[str, str], int]:
    """(principal, request_id) -> the revision its stored first result carries."""
    rows = conn.execute(
        text(
            "SELECT principal, request_id, response FROM idempotency_keys WHERE principal = ANY(:p)"
        ),
        {"p": list(principals)},
    ).all()
    return {(r.principal, r.request_id): _revision(r.response) for r in rows}


def _revision(response: Any) -> int:
    lot = (response or {}).get("availability") or {}
    return int(lot.get("revision") or 0)


def events_by_actor(conn: Connection, actors: Collection[str], after: int) -> dict[int, str]:
    """revision -> lot id of every event the given actors caused after a revision."""
    rows = conn.execute(
        text(
            "SELECT revision, availability_id FROM events WHERE actor = ANY(:a) AND revision > :r"
        ),
        {"a": list(actors), "r": after},
    ).all()
    return {int(r.revision): str(r.availability_id) for r in rows}


def event_revisions(conn: Connection, after: int) -> list[int]:
    rows = conn.execute(
        text("SELECT revision FROM events WHERE revision > :r ORDER BY revision"), {"r": after}
    )
    return [int(r.revision) for r in rows]


def current_revision(conn: Connection) -> int:
    return int(conn.execute(text("SELECT value FROM revision_counter")).scalar_one())
