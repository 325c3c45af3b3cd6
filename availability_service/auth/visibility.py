"""Who may see a lot, and which of its fields: the one decision for every path that emits a lot.

`can_see` is the reference semantics of the SQL predicate `storage.lots.visible_to_sql`;
tests/integration/test_visibility_predicates.py compares the two on the same cases.
`redact` decides the fields: every lot that leaves the service (replies, pages, search
results, watch events and their snapshots, idempotent replays, batch results) goes through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.domain.model import MARKET_STATES, Availability, Visibility

# Fields only the owner, ADMIN and SERVICE see. Who else was invited and the allowed regions
# say who the seller trades with; the internal reference is the seller's own bookkeeping; the
# review details (who approved or rejected, when, and why) are between the seller and the
# operators. A buyer needs none of them to trade. Each is cleared to its empty value.
OWNER_ONLY_FIELDS: tuple[str, ...] = (
    "restricted_buyer_ids",
    "allowed_regions",
    "internal_reference",
    "approved_by",
    "approve_time",
    "rejected_by",
    "reject_time",
    "rejection_reason",
)
_OWNER_ONLY = [f for f in dataclasses.fields(Availability) if f.name in OWNER_ONLY_FIELDS]


def _cleared() -> dict[str, Any]:
    """Each owner-only field's empty value (fresh lists, so no two copies share one)."""
    return {
        f.name: f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        for f in _OWNER_ONLY
    }


def sees_everything(principal: Principal, lot_seller_id: str) -> bool:
    """The owner, ADMIN and SERVICE: every state of the lot and every field."""
    return principal.subject == lot_seller_id or principal.is_privileged


def can_see(
    principal: Principal,
    lot_seller_id: str,
    lot_company_id: str | None,
    visibility: str,
    restricted_buyer_ids: Collection[str] = (),
    allowed_regions: Collection[str] = (),
    *,
    state: str,
) -> bool:
    """True when the lot may be shown to the principal.

    The owner, ADMIN and SERVICE see every lot in every state. Everyone else sees only lots
    in a market state (MARKET_STATES), and then by market visibility: PUBLIC to every
    authenticated caller, PRIVATE to the listed buyer ids, RESTRICTED to callers whose region
    is listed, INTERNAL to callers of the same company. An unknown visibility or state is
    hidden (fail closed).
    """
    if sees_everything(principal, lot_seller_id):
        return True
    if state not in MARKET_STATES:
        # DRAFT (not reviewed), REJECTED (refused), CANCELLED (withdrawn), or unknown.
        return False
    if visibility == Visibility.PUBLIC:
        return True
    if visibility == Visibility.PRIVATE:
        return principal.subject in restricted_buyer_ids
    if visibility == Visibility.RESTRICTED:
        return principal.region is not None and principal.region in allowed_regions
    if visibility == Visibility.INTERNAL:
        # None == None must not count: two callers without a company share nothing.
        return principal.company_id is not None and principal.company_id == lot_company_id
    return False


def can_see_lot(principal: Principal, lot: Availability) -> bool:
    """can_see on a loaded lot."""
    return can_see(
        principal,
        lot.seller_id,
        lot.company_id or None,
        lot.market_visibility.value,
        lot.restricted_buyer_ids,
        lot.allowed_regions,
        state=lot.state.value,
    )


def redact(principal: Principal, lot: Availability) -> Availability:
    """The lot as `principal` may read it: a copy without the owner-only fields, or the lot.

    The owner, ADMIN and SERVICE get the lot itself (unchanged, not copied); everyone else a
    copy with OWNER_ONLY_FIELDS cleared. Deciding whether the caller may see the lot at all
    is `can_see`'s job, not this one's.
    """
    if sees_everything(principal, lot.seller_id):
        return lot
    return dataclasses.replace(lot, **_cleared())
