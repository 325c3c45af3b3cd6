"""Whose eyes a read is for: the caller's view of the market, as the persistence port takes it.

The rule of who sees which lot is auth.visibility.can_see (and its SQL twin in storage); a
Viewer carries only what that rule reads, so storage never needs to know about tokens or
roles, and a read for nobody in particular (the sweeper, a SERVICE engine) says so plainly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Viewer:
    """The partner asking, their company and trading region, and whether they see all lots."""

    subject: str
    company_id: str | None = None
    region: str | None = None
    # ADMIN and SERVICE (and the service's own background work): every lot, every state.
    sees_all: bool = False


# The service's own work (sweeper, price review, retention): no visibility restriction.
SYSTEM = Viewer(subject="system", sees_all=True)
