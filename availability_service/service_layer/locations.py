"""Seller locations: the registry use cases, and where a lot may be posted from.

The registry is the authority on where a location is: a lot posted from a location takes its
coordinates and region from it, so a seller cannot claim a place it does not deliver from.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from availability_service.auth.principal import Principal, Role
from availability_service.domain.deadline import Deadline
from availability_service.domain.errors import InvalidArgument, PermissionDenied, Violations
from availability_service.domain.locations import Location
from availability_service.domain.model import Availability
from availability_service.domain.validation import SHORT_TEXT, check_point, check_text
from availability_service.service_layer import paging
from availability_service.service_layer.ports import Transaction, UnitOfWork

LOCATION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REGION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
MAX_DISPLAY_NAME = 200
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Lot fields the registry decides; an update touching none of them skips the check.
PLACEMENT_FIELDS = frozenset({"location_id", "latitude", "longitude", "delivery_region"})
_SAME_POINT = 1e-9  # degrees: the registry's own doubles round-trip exactly

P = "location."
LOT = "availability."


@dataclass
class LocationPage:
    locations: list[Location]
    next_page_token: str


def validate_location(location: Location, v: Violations) -> None:
    """Field rules of a registry row; field paths follow the proto (location.point.latitude).

    The point is rounded in place, as every stored point is (validation.check_point).
    """
    if not LOCATION_ID_RE.match(location.location_id):
        v.add(P + "location_id", "must be 1 to 64 letters, digits, '-' or '_'")
    if not location.owner_id.strip():
        v.add(P + "owner_id", "is required")
    check_text(location.owner_id, P + "owner_id", v, SHORT_TEXT)
    check_text(location.display_name, P + "display_name", v, MAX_DISPLAY_NAME)
    location.latitude, location.longitude = check_point(
        location.latitude, location.longitude, P + "point.", v
    )
    if not REGION_RE.match(location.region):
        v.add(P + "region", "must be a region code such as 'IN-GJ' (at most 32 characters)")


def sees_every_location(principal: Principal) -> bool:
    """TRADER, ADMIN and SERVICE work across owners; a plain SELLER only with its own."""
    return principal.has_any(Role.TRADER, Role.ADMIN, Role.SERVICE)


def posts_from_own_locations_only(principal: Principal) -> bool:
    """The seed rule: SELLER = own locations, TRADER = any. ADMIN acts like a TRADER.

    Anyone else who reaches lot creation is held to the strict rule (fail closed).
    """
    return not principal.has_any(Role.TRADER, Role.ADMIN)


class LocationService:
    """Upsert and list registered delivery locations (the RPCs and the CSV import)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def upsert(self, location: Location, deadline: Deadline | None = None) -> Location:
        """Create or replace by location_id. Who may call it is the policy table's job (ADMIN)."""
        location.location_id = location.location_id.strip()
        location.owner_id = location.owner_id.strip()
        location.region = location.region.strip()
        violations = Violations()
        validate_location(location, violations)
        violations.raise_if_any()
        with self.uow.transaction(deadline) as tx:
            return tx.locations.upsert(location)

    def list(
        self,
        principal: Principal,
        *,
        owner_id: str,
        page_size: int,
        page_token: str,
        deadline: Deadline | None = None,
    ) -> LocationPage:
        if page_size < 0:
            raise InvalidArgument.one("page_size", "must not be negative")
        if not sees_every_location(principal):
            if owner_id and owner_id != principal.subject:
                raise PermissionDenied("a SELLER may list only its own locations")
            owner_id = principal.subject
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        fp = paging.fingerprint("locations", owner_id)
        after = None
        if page_token:
            position = paging.decode_token(page_token, fp)
            if len(position) != 1 or not isinstance(position[0], str):
                raise InvalidArgument.one("page_token", "is not a token this service issued")
            after = position[0]
        with self.uow.read(deadline) as tx:
            rows = tx.locations.page(owner_id=owner_id, after=after, limit=size + 1)
        token = ""
        if len(rows) > size:
            rows = rows[:size]
            token = paging.encode_token([rows[-1].location_id], fp)
        return LocationPage(rows, token)


def place_lot(
    tx: Transaction,
    principal: Principal,
    lot: Availability,
    changed: Collection[str] | None,
    v: Violations,
) -> None:
    """Check where a lot is posted from and take coordinates and region from the registry.

    `changed` is None on create (everything sent counts) or the lot fields an update sets.
    A location the caller may not use is INVALID_ARGUMENT on availability.location_id, with
    one message for "unknown" and "someone else's" so ids of other sellers are not probed.
    """
    if changed is not None and PLACEMENT_FIELDS.isdisjoint(changed):
        return
    sent = PLACEMENT_FIELDS if changed is None else frozenset(changed)
    strict = posts_from_own_locations_only(principal)
    if not lot.location_id:
        if strict:
            v.add(
                LOT + "location_id",
                "is required: a SELLER posts from a registered location it owns",
            )
        return
    location = None
    if LOCATION_ID_RE.match(lot.location_id):
        location = tx.locations.get(lot.location_id)
    if location is None or (strict and location.owner_id != principal.subject):
        v.add(LOT + "location_id", "is not a registered location you may post from")
        return
    _check_agrees(lot, location, sent, v)
    lot.latitude, lot.longitude = location.latitude, location.longitude
    lot.delivery_region = location.region


def _check_agrees(
    lot: Availability, location: Location, sent: Collection[str], v: Violations
) -> None:
    """Explicit coordinates or region that contradict the registry are an error, not ignored."""
    if (
        "latitude" in sent
        and lot.latitude is not None
        and lot.longitude is not None
        and (
            abs(lot.latitude - location.latitude) > _SAME_POINT
            or abs(lot.longitude - location.longitude) > _SAME_POINT
        )
    ):
        v.add(
            LOT + "delivery_location",
            f"differs from registered location {location.location_id!r}; omit it to use "
            "the location's coordinates, or clear location_id (TRADER only)",
        )
    if "delivery_region" in sent and lot.delivery_region and lot.delivery_region != location.region:
        v.add(
            LOT + "delivery_region",
            f"differs from the region {location.region!r} of location "
            f"{location.location_id!r}; omit it to use the location's region",
        )
