"""Who may see a lot: the reference semantics for the SQL filter in storage.

Keep this and the SQL twin in step; tests in storage should compare them on the same cases.
"""

from __future__ import annotations

from collections.abc import Collection

from availability_service.auth.principal import Principal

PUBLIC = "PUBLIC"
PRIVATE = "PRIVATE"
RESTRICTED = "RESTRICTED"
INTERNAL = "INTERNAL"
VISIBILITIES = frozenset({PUBLIC, PRIVATE, RESTRICTED, INTERNAL})


def can_see(
    principal: Principal,
    lot_seller_id: str,
    lot_company_id: str | None,
    visibility: str,
    restricted_buyer_ids: Collection[str] = (),
    allowed_regions: Collection[str] = (),
) -> bool:
    """True when the lot may be shown to the principal.

    PUBLIC: every authenticated caller. PRIVATE: the owner and the listed buyer ids.
    RESTRICTED: callers whose region is listed. INTERNAL: callers of the same company.
    The owner, ADMIN and SERVICE see everything. An unknown visibility is hidden (fail closed).
    """
    if principal.subject == lot_seller_id or principal.is_privileged:
        return True
    if visibility == PUBLIC:
        return True
    if visibility == PRIVATE:
        return principal.subject in restricted_buyer_ids
    if visibility == RESTRICTED:
        return principal.region is not None and principal.region in allowed_regions
    if visibility == INTERNAL:
        # None == None must not count: two callers without a company share nothing.
        return principal.company_id is not None and principal.company_id == lot_company_id
    return False
