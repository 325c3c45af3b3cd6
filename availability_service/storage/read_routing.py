"""Which database answers a read: a hot standby when it is fresh enough, else the primary.

The rule (docs/operations.md, "Read databases"):
- writes, hold checks and the watch never come here: they use the primary;
- a read may go to a standby whose last probe found it up and whose staleness (the age of
  the oldest change it lacks, plus the age of the probe) is within `max_lag_seconds`;
- a read that names a revision (`ReadScope.min_revision`, the client's last write) goes to a
  standby that has replayed it; when none has, it waits up to `wait_seconds` for one, then
  goes to the primary;
- a standby that fails a read is set aside until its next good probe, and the read is run
  again on the primary (`run_read`): a standby never fails a read the primary could answer.

One request keeps one database for all its reads (`ReadScope`), so a lot and its holds are
never read from two points in time.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from sqlalchemy import Engine

from availability_service.storage import replication
from availability_service.storage.replication import Position

log = structlog.get_logger(__name__)
T = TypeVar("T")
PRIMARY = "primary"
# How often a waiting read re-checks a standby's replayed revision.
_WAIT_POLL_SECONDS = 0.005

# Called once per routed read with (database name, reason); the metrics hook.
RouteObserver = Callable[[str, str], None]


class ReplicaUnavailable(Exception):
    """A standby failed a read; the read is run again on the primary (never reaches a client)."""


@dataclass
class ReadScope:
    """One request's read consistency: the revision it must see, and the database it got."""

    min_revision: int = 0
    primary_only: bool = False
    chosen: ReadDatabase | None = None
    decided: bool = False


_scope: contextvars.ContextVar[ReadScope | None] = contextvars.ContextVar(
    "read_scope", default=None
)


@dataclass
class ReadDatabase:
    """One standby: its pool and what the last probe (or a failed read) said about it."""

    name: str
    engine: Engine
    position: Position | None = None
    up: bool = False
    error: str = "not probed yet"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def staleness(self, now: float) -> float:
        """The most a read here can miss now: its lag at the probe plus the probe's age."""
        if not self.up or self.position is None:
            return float("inf")
        return self.position.lag_seconds + (now - self.position.probed_at)

    def replayed(self) -> int:
        return -1 if self.position is None else self.position.replayed_revision

    def mark_down(self, exc: BaseException) -> None:
        lines = str(exc).strip().splitlines()
        error = lines[0] if lines else repr(exc)
        with self._lock:
            if self.up:
                log.warning("read_database_down", database=self.name, error=error)
            self.up = False
            self.error = error


class ReadRouter:
    """Chooses the engine of each read among the primary and the standbys."""

    def __init__(
        self,
        primary: Engine,
        standbys: Sequence[ReadDatabase] = (),
        *,
        max_lag_seconds: float = 5.0,
        wait_seconds: float = 0.25,
        observe: RouteObserver | None = None,
    ) -> None:
        if max_lag_seconds <= 0:
            raise ValueError("AVAILABILITY_READ_MAX_LAG_SECONDS must be greater than zero")
        if wait_seconds < 0:
            raise ValueError("AVAILABILITY_READ_WAIT_SECONDS must not be negative")
        self.primary = primary
        self.standbys = list(standbys)
        self.max_lag_seconds = max_lag_seconds
        self.wait_seconds = wait_seconds
        self._observe = observe or (lambda _database, _reason: None)
        self._turn = itertools.count()

    def engine_for_read(self) -> tuple[Engine, ReadDatabase | None]:
        """The engine this request reads from (the standby too, None for the primary)."""
        scope = _scope.get()
        if scope is None:
            scope = ReadScope()  # no request around it (CLI, tools): no revision to honour
        if not scope.decided:
            scope.chosen = self._choose(scope)
            scope.decided = True
        if scope.chosen is None:
            return self.primary, None
        return scope.chosen.engine, scope.chosen

    def _choose(self, scope: ReadScope) -> ReadDatabase | None:
        if not self.standbys or scope.primary_only:
            return None
        now = time.monotonic()
        start = next(self._turn) % len(self.standbys)
        rotated = self.standbys[start:] + self.standbys[:start]
        fresh = [db for db in rotated if db.staleness(now) <= self.max_lag_seconds]
        if not fresh:
            self._observe(PRIMARY, "no_fresh_standby")
            return None
        for db in fresh:
            if db.replayed() >= scope.min_revision:
                self._observe(db.name, "fresh")
                return db
        best = max(fresh, key=ReadDatabase.replayed)
        if self._wait_for(best, scope.min_revision):
            self._observe(best.name, "waited")
            return best
        self._observe(PRIMARY, "revision_not_replayed")
        return None

    def _wait_for(self, db: ReadDatabase, revision: int) -> bool:
        """Polls the standby's replayed revision until it reaches `revision` or the bound ends."""
        deadline = time.monotonic() + self.wait_seconds
        try:
            with db.engine.connect() as conn:
                while True:
                    replayed = replication.replayed_revision(conn)
                    conn.rollback()
                    if replayed >= revision:
                        return True
                    if time.monotonic() >= deadline:
                        return False
                    time.sleep(_WAIT_POLL_SECONDS)
        except Exception as exc:
            if not replication.is_standby_trouble(exc):
                raise
            db.mark_down(exc)
            return False

    def refresh(self) -> None:
        """Probes every standby once (the monitor calls this every interval)."""
        for db in self.standbys:
            try:
                position = replication.probe(db.engine, self.primary)
            except Exception as exc:
                db.mark_down(exc)
                continue
            with db._lock:
                if not db.up:
                    log.info("read_database_up", database=db.name, lag=position.lag_seconds)
                db.position, db.up, db.error = position, True, ""

    def dispose(self) -> None:
        for db in self.standbys:
            db.engine.dispose()


def run_read(scope: ReadScope, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
    """Runs one use case under `scope`; if a standby failed it, runs it again on the primary.

    Only reads ever touch a standby, and a read can be repeated without effect.
    """
    token = _scope.set(scope)
    try:
        try:
            return fn(*args, **kwargs)
        except ReplicaUnavailable:
            scope.primary_only, scope.chosen, scope.decided = True, None, False
            return fn(*args, **kwargs)
    finally:
        _scope.reset(token)
