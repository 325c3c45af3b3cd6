"""The one authorisation table: which roles may call which RPC.

The table answers "may this role call this method at all". Whether a seller may touch one
particular lot is decided later by the service with the lot loaded (`may_modify_lot`), and
whether a caller may see a lot is `visibility.can_see`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from availability_service.auth.errors import PermissionDeniedError
from availability_service.auth.principal import Principal, Role

SERVICE_NAME = "tradedesk.availability.v1.AvailabilityService"

_SELLERS = frozenset({Role.SELLER, Role.TRADER})
_ADMIN = frozenset({Role.ADMIN})
# Holds are placed by the negotiation and trade engines, never by a person directly.
_HOLDERS = frozenset({Role.SERVICE, Role.ADMIN})
_READERS = frozenset({Role.BUYER, Role.SELLER, Role.TRADER, Role.SERVICE, Role.ADMIN})

POLICY: Mapping[str, frozenset[Role]] = MappingProxyType(
    {
        # Lot lifecycle
        "CreateAvailability": _SELLERS,
        "BatchCreateAvailabilities": _SELLERS,
        "UpdateAvailability": _SELLERS | _ADMIN,  # owner only, checked with may_modify_lot
        "DeleteAvailability": _SELLERS | _ADMIN,  # owner only, checked with may_modify_lot
        "ApproveAvailability": _ADMIN,
        "RejectAvailability": _ADMIN,
        # Reads (what each caller sees is filtered by visibility.can_see)
        "GetAvailability": _READERS,
        "ListAvailabilities": _READERS,
        "SearchAvailabilities": _READERS,
        "ListSimilarAvailabilities": _READERS,
        "GetNegotiationReadiness": _READERS,
        "WatchAvailabilities": _READERS,
        "WatchSearch": _READERS,
        "ListAvailabilityEvents": _READERS,
        "ListCommodities": _READERS,
        # Holds and sales
        "ReserveAvailability": _HOLDERS,
        "GetReservation": _HOLDERS,
        "ExtendReservation": _HOLDERS,
        "ReleaseReservation": _HOLDERS,
        "MarkSold": _HOLDERS,
        # A seller reads the holds on its own lots (filtered in service_layer.hold_list).
        "ListReservations": _HOLDERS | _SELLERS,
        # Locations
        "UpsertLocation": _ADMIN,
        "ListLocations": frozenset({Role.ADMIN, Role.SELLER, Role.TRADER, Role.SERVICE}),
    }
)


def short_method_name(full_method: str) -> str:
    """Turn "/pkg.Service/Method" into "Method"; a bare name is returned unchanged."""
    return full_method.rsplit("/", 1)[-1]


def authorize(method_short_name: str, principal: Principal) -> None:
    """Raise PermissionDeniedError unless one of the principal's roles may call the method.

    Unknown methods are denied: a new RPC stays closed until someone adds it to the table.
    """
    allowed = POLICY.get(method_short_name)
    if allowed is None:
        raise PermissionDeniedError(f"method {method_short_name} is not in the access policy")
    if principal.roles.isdisjoint(allowed):
        raise PermissionDeniedError(f"{method_short_name} requires one of: {_names(allowed)}")


def may_modify_lot(principal: Principal, seller_id: str) -> bool:
    """Update and delete: the owning seller or trader, or an ADMIN."""
    if principal.has_any(Role.ADMIN):
        return True
    return principal.has_any(Role.SELLER, Role.TRADER) and principal.subject == seller_id


def policy_markdown() -> str:
    """The table as Markdown for docs/access.md, so the docs cannot drift from the code."""
    roles = list(Role)
    lines = [
        "| RPC | " + " | ".join(role.value for role in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for method, allowed in POLICY.items():
        cells = ["yes" if role in allowed else "" for role in roles]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _names(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(role.value for role in roles))
