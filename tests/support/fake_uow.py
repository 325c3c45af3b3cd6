"""An in-memory unit of work: the persistence port (service_layer/ports) without a database.

The lot and hold rules of the service layer run on it exactly as on PostgreSQL, so they can
be tested in milliseconds (tests/unit/test_lot_service_rules.py, test_hold_service_rules.py).
It keeps what the real adapter promises and nothing more:

- a transaction commits as a whole or not at all (each one works on a copy of the store and
  swaps it in on success), and queued after_commit actions run only after a commit;
- every lot write takes the next global revision, and repositories hand out copies, so a
  use case's in-memory changes count only once written through the port;
- who sees which lot is the one rule of auth.visibility (can_see_lot), not a copy of it.

Concurrency is not modelled (one transaction at a time): lock() is get(). Row locks, the
deadline's statement timeout and the SQL twins of the rules are tested on the real database.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from availability_service.domain.deadline import Deadline
from availability_service.service_layer.ports.events import LotChanges
from tests.support.fake_reads import (
    FakeEventReads,
    FakeHoldReads,
    FakeLocationRegistry,
    FakeLotReads,
    FakeSearch,
)
from tests.support.fake_repositories import FakeIdempotency, FakeMarket, Store

if TYPE_CHECKING:
    from availability_service.service_layer import ports


class FakeTransaction:
    def __init__(self, store: Store, *, writes: bool) -> None:
        self.store = store
        self.lots = FakeLotReads(store)
        self.holds = FakeHoldReads(store)
        self.events = FakeEventReads(store)
        self.idempotency = FakeIdempotency(store)
        self.market = FakeMarket(store)
        self.locations = FakeLocationRegistry(store)
        self.search = FakeSearch(store)
        self.committed: list[Callable[[], None]] | None = [] if writes else None

    def takes_turn(self, key: int) -> bool:
        return key not in self.store.turns_elsewhere

    def after_commit(self, action: Callable[[], None]) -> None:
        if self.committed is not None:
            self.committed.append(action)


class FakeUnitOfWork:
    """Hands out transactions on one in-memory Store; `transactions` counts the writes."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self.transactions = 0

    @contextmanager
    def transaction(self, deadline: Deadline | None = None) -> Iterator[FakeTransaction]:
        """Works on a copy; an exception leaves the store as it was (the rollback).

        Transactions may nest (the sweeper's guard around each lot's own), as they run side
        by side on PostgreSQL, as long as only one of the overlapping ones writes.
        """
        begun = self.store
        working = copy.deepcopy(begun)
        tx = FakeTransaction(working, writes=True)
        yield tx
        if working.writes != begun.writes:
            assert self.store is begun, "overlapping transactions that both write"
            self.store = working
        self.transactions += 1
        for action in tx.committed or ():
            action()

    @contextmanager
    def read(self, deadline: Deadline | None = None) -> Iterator[FakeTransaction]:
        # A copy, so a read that wrote by mistake changes nothing.
        yield FakeTransaction(copy.deepcopy(self.store), writes=False)

    snapshot = read
    statement_read = read

    def change_probe(self, seconds: float) -> FakeChangeProbe:
        return FakeChangeProbe(self)


class FakeChangeProbe:
    """The probe of the changes since a revision, read from the store as it stands."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def changes_since(self, after_revision: int, limit: int) -> LotChanges:
        with self._uow.read() as tx:
            return tx.events.changes_since(after_revision, limit)

    def close(self) -> None:
        pass


if TYPE_CHECKING:

    def _conforms(uow: FakeUnitOfWork) -> ports.UnitOfWork:
        """mypy proves here that the fake provides the whole port (`make lint` checks it)."""
        return uow
