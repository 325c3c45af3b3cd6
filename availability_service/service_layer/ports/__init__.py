"""The persistence port: what the use cases need from storage, in domain terms.

A use case opens a transaction on the unit of work and finds the repositories on it:

    with uow.transaction(deadline) as tx:
        lot = tx.lots.lock(lot_id, principal.viewer)
        ...
        tx.lots.save(lot)

Domain values go in and come out (Availability, Reservation, Viewer, Deadline); only
storage/ knows SQL and SQLAlchemy (storage/unit_of_work.py is the PostgreSQL adapter), and
tests/support/fake_uow.py keeps everything in memory so the lot and hold rules can be tested
without a database. Each repository's protocol lives in its own module next to this one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from availability_service.domain.deadline import Deadline
from availability_service.service_layer.ports.events import ChangeProbe, EventLog
from availability_service.service_layer.ports.holds import HoldRepository
from availability_service.service_layer.ports.idempotency import IdempotencyStore
from availability_service.service_layer.ports.locations import LocationRepository
from availability_service.service_layer.ports.lots import LotRepository
from availability_service.service_layer.ports.market import MarketPrices
from availability_service.service_layer.ports.search import SearchReads


class Transaction(Protocol):
    """One transaction's repositories: what is done through them commits or rolls back as one."""

    @property
    def lots(self) -> LotRepository: ...

    @property
    def holds(self) -> HoldRepository: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def market(self) -> MarketPrices: ...

    @property
    def search(self) -> SearchReads: ...

    @property
    def locations(self) -> LocationRepository: ...

    def takes_turn(self, key: int) -> bool:
        """Whether this process acts now among all processes of the service: holds the
        exclusive turn `key` until this transaction ends, or False when another holds it.
        (The background passes use it so that one process at a time acts.)"""
        ...

    def after_commit(self, action: Callable[[], None]) -> None:
        """Runs `action` once this transaction has committed; never after a rollback, and
        never for a read (nothing of a read needs announcing)."""
        ...


class UnitOfWork(Protocol):
    """Hands out transactions bounded by the caller's deadline.

    `transaction` writes (always on the primary). The reads may be served by a hot standby
    when one is fresh enough: `read` is one READ COMMITTED transaction, `snapshot` one
    REPEATABLE READ snapshot (several reads that must agree), `statement_read` reads of one
    statement each with no transaction around them (the cheapest: single-row lookups).
    """

    def transaction(
        self, deadline: Deadline | None = None
    ) -> AbstractContextManager[Transaction]: ...

    def read(self, deadline: Deadline | None = None) -> AbstractContextManager[Transaction]: ...

    def snapshot(self, deadline: Deadline | None = None) -> AbstractContextManager[Transaction]: ...

    def statement_read(
        self, deadline: Deadline | None = None
    ) -> AbstractContextManager[Transaction]: ...

    def change_probe(self, seconds: float) -> ChangeProbe:
        """A probe of the changes since a revision for the calling event loop (one per loop),
        answering within `seconds` or raising."""
        ...


__all__ = [
    "ChangeProbe",
    "Deadline",
    "EventLog",
    "HoldRepository",
    "IdempotencyStore",
    "LocationRepository",
    "LotRepository",
    "MarketPrices",
    "SearchReads",
    "Transaction",
    "UnitOfWork",
]
