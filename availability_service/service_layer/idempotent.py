"""Runs a mutating use case at most once per (caller, request_id) and replays its first result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from availability_service.domain.deadline import Deadline
from availability_service.domain.model import (
    Availability,
    Reservation,
    availability_from_snapshot,
    reservation_from_snapshot,
    to_compact_snapshot,
)
from availability_service.service_layer.ports import Transaction, UnitOfWork


@dataclass
class Outcome:
    """What a mutating use case returns: the lot and, for hold operations, the hold."""

    availability: Availability | None = None
    reservation: Reservation | None = None
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        """What a replay needs to return the first result: the objects, minus their defaults.

        The whole lot is kept (embedding included, which owners see) rather than a reference
        to its event: the event may be compacted sooner than the key expires.
        """
        lot, hold = self.availability, self.reservation
        return {
            "availability": None if lot is None else to_compact_snapshot(lot),
            "reservation": None if hold is None else to_compact_snapshot(hold),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        lot = data.get("availability")
        hold = data.get("reservation")
        return cls(
            availability=None if lot is None else availability_from_snapshot(lot),
            reservation=None if hold is None else reservation_from_snapshot(hold),
            replayed=True,
        )


@dataclass(frozen=True)
class RequestKey:
    """Identifies one logical request: who sent it, its request_id and a hash of its payload."""

    principal: str
    request_id: str
    method: str
    request_hash: str


def run_once(
    uow: UnitOfWork,
    key: RequestKey | None,
    body: Callable[[Transaction], Outcome],
    deadline: Deadline | None = None,
) -> Outcome:
    """Runs body in one transaction; with a key, a replay returns the stored first outcome.

    The key is claimed and completed in the same transaction as the effect, so a client
    that timed out after the commit still gets the first result on retry, and a rolled-back
    attempt leaves no key behind.
    """
    with uow.transaction(deadline) as tx:
        if key is not None and key.request_id:
            stored = tx.idempotency.claim(
                principal=key.principal,
                request_id=key.request_id,
                method=key.method,
                request_hash=key.request_hash,
            )
            if stored is not None:
                return Outcome.from_json(stored)
        outcome = body(tx)
        if key is not None and key.request_id:
            tx.idempotency.complete(
                principal=key.principal, request_id=key.request_id, response=outcome.to_json()
            )
        return outcome
