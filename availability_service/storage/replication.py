"""Read databases (hot standbys): how far each has replayed, and how stale that makes it.

A standby's position is the revision counter it has replayed: every write bumps that one row
in the write's own transaction, and the bump's row lock orders revisions by commit, so a
standby that shows revision N shows every change up to N. Its staleness is measured on the
primary as the age of the oldest change the standby does not show yet (zero when it shows
them all), which is exactly what a reader of that standby can miss.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from availability_service.storage.database import make_engine
from availability_service.storage.tables import revision_counter

# SQLSTATEs that say "this standby cannot answer now" rather than "the query is wrong":
# connection failures (08), shutdown (57P01-57P03), and recovery conflicts, which cancel a
# standby's query when replay needs what it reads (40001 serialization_failure).
_STANDBY_TROUBLE_PREFIXES = ("08", "57P")
_RECOVERY_CONFLICT = "40001"

# A probe that takes longer than this finds the database too slow to read from.
PROBE_TIMEOUT_MS = 2000

# The oldest change a standby lacks, aged on the primary's clock. Reading it by the events
# primary key makes the probe one index lookup however many changes are pending.
_OLDEST_MISSING_AGE = text(
    "SELECT (SELECT value FROM revision_counter WHERE id = 1) AS head, "
    "(SELECT extract(epoch FROM clock_timestamp() - event_time) FROM events "
    " WHERE revision > :replayed ORDER BY revision LIMIT 1) AS age"
)


@dataclass(frozen=True)
class Position:
    """What a probe learned about one standby."""

    replayed_revision: int
    primary_revision: int
    # Seconds of changes the standby does not show yet; inf when they are unknown (for
    # example compacted), so such a standby is treated as too far behind.
    lag_seconds: float
    probed_at: float  # time.monotonic() of the probe


def read_database_name(url: str) -> str:
    """A label for logs, metrics and health: host (or socket dir), port and database, no secrets."""
    parsed = make_url(url)
    host = parsed.host or str(parsed.query.get("host", "local"))
    port = f":{parsed.port}" if parsed.port else ""
    return f"{host}{port}/{parsed.database or ''}"


def make_read_engine(url: str, pool_size: int) -> Engine:
    """A pool for one standby, as the primary's; connects fail fast, since the primary can
    always answer instead. (No pre-ping either: a dead connection fails its read, the read is
    run again on the primary and the standby is set aside until a probe finds it back.)"""
    return make_engine(
        url, pool_size, application_name="availability-service-read", connect_timeout=2
    )


def replayed_revision(conn: Connection) -> int:
    """The newest revision this database shows (on a standby: has replayed)."""
    return int(conn.execute(select(revision_counter.c.value)).scalar_one())


def probe(standby: Engine, primary: Engine) -> Position:
    """Reads the standby's replayed revision, then ages what it lacks on the primary."""
    # SET LOCAL: the timeout ends with the probe's transaction, not with the pooled connection
    # (a read borrowing it next must keep its own deadline).
    with standby.begin() as conn:
        conn.execute(text(f"SET LOCAL statement_timeout = {PROBE_TIMEOUT_MS}"))
        replayed = replayed_revision(conn)
    with primary.begin() as conn:
        conn.execute(text(f"SET LOCAL statement_timeout = {PROBE_TIMEOUT_MS}"))
        row = conn.execute(_OLDEST_MISSING_AGE, {"replayed": replayed}).one()
    if int(row.head) <= replayed:
        lag = 0.0
    else:
        lag = float(row.age) if row.age is not None else float("inf")
    return Position(replayed, int(row.head), max(0.0, lag), time.monotonic())


def is_standby_trouble(exc: BaseException) -> bool:
    """True when an error says the standby is unreachable or cancelled the read for replay."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = getattr(exc.orig, "pgcode", None) or ""
        if code == _RECOVERY_CONFLICT or code.startswith(_STANDBY_TROUBLE_PREFIXES):
            return True
        # psycopg2 reports a refused or dropped connection without any SQLSTATE.
        return not code and exc.__class__.__name__ in {"OperationalError", "InterfaceError"}
    # Every connection of the standby's pool is busy: the primary answers instead of queueing.
    return isinstance(exc, PoolTimeout)
