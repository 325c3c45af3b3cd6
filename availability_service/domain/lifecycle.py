"""The lot lifecycle as a state machine: which state a lot may move to, and why not.

    DRAFT --approve--> ACTIVE <--settle--> RESERVED <--settle--> SOLD
      |                  |  \\                 |
      reject          lapse  cancel (delete)   lapse, cancel
      v                  v     v               v
    REJECTED          EXPIRED  CANCELLED

`approve`, `reject`, `cancel` and `lapse` are the explicit transitions; among ACTIVE,
RESERVED and SOLD the quantities decide (`derive_state`, applied by quantities.settle after
every change of them). Every refusal is FAILED_PRECONDITION with a reason the contract
names (INVALID_STATE, ACTIVE_HOLDS). The hold rules (holds.py, expiry.py) sit beside this
and ask it whether a lot takes orders (`require_holdable`).
"""

from __future__ import annotations

from datetime import datetime

from availability_service.domain.errors import FailedPrecondition
from availability_service.domain.model import ZERO, Availability, LotState

# Lots that can be held or sold from; RESERVED lots only while something is available.
HOLDABLE_STATES = frozenset({LotState.ACTIVE, LotState.RESERVED})
# Lots whose fields the seller may still change.
EDITABLE_STATES = frozenset({LotState.DRAFT, LotState.ACTIVE, LotState.RESERVED})
# States the quantities drive; the others are set only by the explicit transitions.
QUANTITY_DRIVEN = frozenset({LotState.ACTIVE, LotState.RESERVED, LotState.SOLD})


def _invalid_state(lot: Availability, message: str, **metadata: str) -> FailedPrecondition:
    return FailedPrecondition(
        message, reason="INVALID_STATE", metadata={**metadata, "state": lot.state.value}
    )


def derive_state(lot: Availability) -> LotState:
    """ACTIVE while anything is available, RESERVED when only holds remain, SOLD when all sold."""
    if lot.state not in QUANTITY_DRIVEN:
        return lot.state
    if lot.sold_quantity == lot.total_quantity:
        return LotState.SOLD
    if lot.available_quantity > ZERO:
        return LotState.ACTIVE
    return LotState.RESERVED


def require_editable(lot: Availability) -> None:
    if lot.state not in EDITABLE_STATES:
        raise _invalid_state(lot, f"{lot.name} is {lot.state.value} and can no longer be changed")


def require_holdable(lot: Availability) -> None:
    """Only a live lot that passed review takes holds and sales."""
    if lot.delete_time is not None or lot.state not in HOLDABLE_STATES:
        raise _invalid_state(
            lot,
            f"{lot.name} is {lot.state.value}; only ACTIVE or partly reserved lots can be held "
            "or sold",
            subject=lot.name,
        )


def _require_draft(lot: Availability, verb: str) -> None:
    if lot.state is not LotState.DRAFT:
        raise _invalid_state(lot, f"{lot.name} is {lot.state.value}; only DRAFT lots can be {verb}")


def approve(lot: Availability, by: str, moment: datetime) -> None:
    """DRAFT -> ACTIVE (settle then moves it on to what the quantities say)."""
    _require_draft(lot, "approved")
    lot.state = LotState.ACTIVE
    lot.approved_by = by
    lot.approve_time = moment


def reject(lot: Availability, by: str, reason: str, moment: datetime) -> None:
    """DRAFT -> REJECTED, with the reviewer's reason."""
    _require_draft(lot, "rejected")
    lot.state = LotState.REJECTED
    lot.rejected_by = by
    lot.reject_time = moment
    lot.rejection_reason = reason


def cancel(lot: Availability, moment: datetime) -> None:
    """Any state -> CANCELLED (soft delete), once no hold is open on the lot."""
    if lot.reserved_quantity > ZERO:
        raise FailedPrecondition(
            f"{lot.name} has active holds; release them before deleting",
            reason="ACTIVE_HOLDS",
        )
    lot.state = LotState.CANCELLED
    lot.delete_time = moment


def has_lapsed(lot: Availability, moment: datetime) -> bool:
    """A live lot whose valid_until has passed: it must become EXPIRED."""
    return (
        lot.state in HOLDABLE_STATES
        and lot.delete_time is None
        and lot.valid_until is not None
        and lot.valid_until <= moment
    )


def lapse(lot: Availability) -> None:
    """valid_until passed: the lot becomes EXPIRED once every hold on it has been expired."""
    if lot.reserved_quantity != ZERO:
        raise ValueError(f"{lot.name} still has {lot.reserved_quantity} reserved")
    lot.state = LotState.EXPIRED
