"""ListReservations: a negotiation engine recovers its holds; a seller reads its lots' holds.

Who sees which holds is decided here and only here: ADMIN and SERVICE every hold, a seller
(SELLER or TRADER) the holds on its own lots. The role table already refused everyone else.
A named parent lot must be visible to the caller (NOT_FOUND otherwise, as everywhere).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from availability_service.auth.principal import Principal
from availability_service.domain.deadline import Deadline
from availability_service.domain.errors import NotFound, Violations
from availability_service.domain.expiry import is_overdue
from availability_service.domain.model import HoldState, Reservation
from availability_service.domain.validation import check_text
from availability_service.service_layer import paging
from availability_service.service_layer.changes import now
from availability_service.service_layer.lots import lot_id_from_name
from availability_service.service_layer.ports import UnitOfWork

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
EVERY_LOT = "availabilities/-"


@dataclass(frozen=True)
class HoldQuery:
    """A ListReservationsRequest, field by field."""

    parent: str
    buyer_id: str = ""
    negotiation_id: str = ""
    states: Sequence[HoldState] = ()
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class HoldPage:
    reservations: list[Reservation]
    next_page_token: str


def _parent_lot(parent: str, v: Violations) -> uuid.UUID | None:
    if not parent:
        v.add("parent", "is required: 'availabilities/{uuid}' or 'availabilities/-'")
        return None
    if parent == EVERY_LOT:
        return None
    return lot_id_from_name(parent, "parent")


def list_holds(
    uow: UnitOfWork, principal: Principal, query: HoldQuery, deadline: Deadline | None = None
) -> HoldPage:
    v = Violations()
    lot_id = _parent_lot(query.parent, v)
    check_text(query.buyer_id, "buyer_id", v)
    check_text(query.negotiation_id, "negotiation_id", v)
    if not 0 <= query.page_size <= MAX_PAGE_SIZE:
        v.add("page_size", f"must be between 0 and {MAX_PAGE_SIZE}")
    v.raise_if_any()
    size = query.page_size or DEFAULT_PAGE_SIZE
    # The fingerprint covers the filters, not the caller: a token someone else replays is
    # still filtered by their own access, so it can never widen it.
    fp = paging.fingerprint(
        "holds",
        query.parent,
        query.buyer_id,
        query.negotiation_id,
        sorted(s.value for s in query.states),
    )
    after = paging.decode_time_id(query.page_token, fp)
    with uow.read(deadline) as tx:
        if lot_id is not None and tx.lots.get(lot_id, principal.viewer) is None:
            raise NotFound(f"{query.parent} not found")
        page = tx.holds.page(
            now=now(),
            lot_id=lot_id,
            seller_id=None if principal.is_privileged else principal.subject,
            buyer_id=query.buyer_id,
            negotiation_id=query.negotiation_id,
            states=query.states,
            after=after,
            limit=size + 1,
        )
    token = ""
    if len(page) > size:
        page = page[:size]
        token = paging.encode_time_id(page[-1].create_time, page[-1].id, fp)
    moment = now()
    return HoldPage([present(hold, moment) for hold in page], token)


def present(hold: Reservation, moment: datetime) -> Reservation:
    """Reads never show an overdue hold as ACTIVE: it is shown EXPIRED until swept."""
    if is_overdue(hold, moment):
        return dataclasses.replace(hold, state=HoldState.EXPIRED)
    return hold
