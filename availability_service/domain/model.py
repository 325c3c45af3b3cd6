"""The lot and the hold as plain dataclasses, plus their JSON snapshots for events and replays."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

ZERO = Decimal(0)


class LotState(enum.StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    RESERVED = "RESERVED"
    SOLD = "SOLD"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"


# States that passed review: the only ones shown to callers other than the owner, ADMIN and
# SERVICE (auth.visibility.can_see and its SQL twin storage.lots.visible_to_sql).
MARKET_STATES: frozenset[LotState] = frozenset(
    {LotState.ACTIVE, LotState.RESERVED, LotState.SOLD, LotState.EXPIRED}
)


class Visibility(enum.StrEnum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"
    RESTRICTED = "RESTRICTED"
    INTERNAL = "INTERNAL"


class PriceType(enum.StrEnum):
    FIXED = "FIXED"
    NEGOTIABLE = "NEGOTIABLE"
    MATRIX = "MATRIX"


class HoldState(enum.StrEnum):
    ACTIVE = "ACTIVE"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    SOLD = "SOLD"


class EventType(enum.StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"
    SOLD = "SOLD"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    VISIBILITY_CHANGED = "VISIBILITY_CHANGED"
    PRICE_CHANGED = "PRICE_CHANGED"
    QUANTITY_CHANGED = "QUANTITY_CHANGED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@dataclass
class Availability:
    """An inventory lot. Field names are the storage column names."""

    id: uuid.UUID
    seller_id: str
    commodity: str
    quantity_unit: str
    total_quantity: Decimal
    available_quantity: Decimal
    state: LotState
    create_time: datetime
    update_time: datetime
    revision: int = 0
    company_id: str = ""
    variety: str = ""
    grade: str = ""
    description: str = ""
    reserved_quantity: Decimal = ZERO
    sold_quantity: Decimal = ZERO
    min_order_quantity: Decimal | None = None
    allow_partial_order: bool = True
    # Quality values as JSON: {"number": 29.0, "unit": "mm"} or {"text": "41-4"}.
    quality_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    normalized_quality_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    price_type: PriceType = PriceType.FIXED
    base_price_amount: Decimal | None = None
    base_price_currency: str = ""
    price_unit: str = ""
    # Price matrix rows as JSON: label, amount, currency_code, incoterm, payment_terms_days,
    # min_quantity.
    price_options: list[dict[str, Any]] = field(default_factory=list)
    quantity_in_base_unit: Decimal | None = None
    base_quantity_unit: str = ""
    price_per_base_unit: Decimal | None = None
    base_price_unit: str = ""
    latitude: float | None = None
    longitude: float | None = None
    delivery_region: str = ""
    location_id: str = ""
    incoterm: str = ""
    delivery_window_start: datetime | None = None
    delivery_window_end: datetime | None = None
    valid_until: datetime | None = None
    market_visibility: Visibility = Visibility.PUBLIC
    restricted_buyer_ids: list[str] = field(default_factory=list)
    allowed_regions: list[str] = field(default_factory=list)
    approved_by: str = ""
    approve_time: datetime | None = None
    rejected_by: str = ""
    reject_time: datetime | None = None
    rejection_reason: str = ""
    ai_suggested_price: Decimal | None = None
    ai_confidence_score: float = 0.0
    ai_price_anomaly: bool = False
    ai_anomaly_reason: str = ""
    ai_anomaly_score: float = 0.0
    ai_score_vector: list[float] | None = None
    delete_time: datetime | None = None
    country_of_origin: str = ""
    supported_incoterms: list[str] = field(default_factory=list)
    export_port: str = ""
    available_from: datetime | None = None
    available_until: datetime | None = None
    eod_cutoff: str = ""
    tags: list[str] = field(default_factory=list)
    internal_reference: str = ""
    test_report_url: str = ""
    test_report_verified: bool = False
    media_urls: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"availabilities/{self.id}"

    @property
    def etag(self) -> str:
        # Every change bumps the global revision, so the revision is a perfect version.
        return f'"{self.revision}"'


@dataclass
class Reservation:
    """A hold on part of a lot for one buyer."""

    id: uuid.UUID
    availability_id: uuid.UUID
    quantity: Decimal
    buyer_id: str
    state: HoldState
    expire_time: datetime
    create_time: datetime
    update_time: datetime
    quantity_unit: str = ""
    negotiation_id: str = ""
    sold_quantity: Decimal = ZERO
    trade_id: str = ""
    release_reason: str = ""
    request_id: str = ""
    revision: int = 0
    # The terms when the hold was made (the lot's price, or the chosen option's), and the sale's.
    price_amount: Decimal | None = None
    price_currency: str = ""
    price_unit: str = ""
    price_option_label: str = ""
    sold_price_amount: Decimal | None = None
    sold_price_currency: str = ""
    # A direct sale's record: SOLD from the start, never a hold (not counted as hold load).
    direct_sale: bool = False

    @property
    def name(self) -> str:
        return f"availabilities/{self.availability_id}/reservations/{self.id}"


# Column-name sets, used by storage to map rows and by updates to list changed fields.
AVAILABILITY_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Availability))
RESERVATION_FIELDS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(Reservation) if f.name != "quantity_unit"
)


def _jsonable(value: Any) -> Any:
    # Exact types first, by one dict lookup: a snapshot is taken on every write (the event's
    # `after`, the idempotent reply), and the isinstance chain below cost most of it.
    exact = _BY_TYPE.get(type(value))
    if exact is not None:
        return exact(value)
    return _jsonable_any(value)


def _jsonable_any(value: Any) -> Any:
    """Any value, subclasses (the enums) included: what _BY_TYPE does for exact types."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _same(value: Any) -> Any:
    return value


_BY_TYPE: dict[type, Any] = {
    str: _same,
    int: _same,
    float: _same,
    bool: _same,
    type(None): _same,
    Decimal: str,
    datetime: datetime.isoformat,
    uuid.UUID: str,
    list: lambda value: [_jsonable(v) for v in value],
    dict: lambda value: {k: _jsonable(v) for k, v in value.items()},
}


# dataclasses.fields() builds its tuple anew on every call: the names, once per (class, leave_out).
_FIELD_NAMES: dict[tuple[type, frozenset[str]], tuple[str, ...]] = {}


def _field_names(cls: type, leave_out: frozenset[str]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get((cls, leave_out))
    if names is None:
        fields = dataclasses.fields(cls)
        names = tuple(f.name for f in fields if f.name not in leave_out)
        _FIELD_NAMES[(cls, leave_out)] = names
    return names


def to_snapshot(
    obj: Availability | Reservation, leave_out: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A JSON-safe dict of every field (but those in `leave_out`, never converted), for event
    rows and idempotent replays."""
    return {name: _jsonable(getattr(obj, name)) for name in _field_names(type(obj), leave_out)}


def to_compact_snapshot(obj: Availability | Reservation) -> dict[str, Any]:
    """to_snapshot without the fields that hold their default value.

    Restoring fills them back from the dataclass defaults (see _restore), so the object comes
    back equal, field for field, while a stored row (idempotent replays) keeps only what the
    lot actually says. Compared in JSON form so that, say, Decimal("0.000") is kept as written.
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = _jsonable(getattr(obj, f.name))
        if f.default is not dataclasses.MISSING:
            default = _jsonable(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = _jsonable(f.default_factory())
        else:
            out[f.name] = value
            continue
        if value != default or type(value) is not type(default):
            out[f.name] = value
    return out


_DECIMAL = {
    "total_quantity",
    "available_quantity",
    "reserved_quantity",
    "sold_quantity",
    "min_order_quantity",
    "base_price_amount",
    "quantity_in_base_unit",
    "price_per_base_unit",
    "ai_suggested_price",
    "quantity",
    "price_amount",
    "sold_price_amount",
}
_DATETIME = {
    "create_time",
    "update_time",
    "delete_time",
    "approve_time",
    "reject_time",
    "valid_until",
    "delivery_window_start",
    "delivery_window_end",
    "available_from",
    "available_until",
    "expire_time",
}
_ENUMS: dict[str, type[enum.Enum]] = {
    "state": LotState,
    "market_visibility": Visibility,
    "price_type": PriceType,
}


def _restore(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(kind)}
    for key, value in data.items():
        if key not in names:
            continue
        if value is not None and key in _DECIMAL:
            value = Decimal(value)
        elif value is not None and key in _DATETIME:
            value = datetime.fromisoformat(value)
        elif key in {"id", "availability_id"}:
            value = uuid.UUID(value)
        out[key] = value
    return out


def availability_from_snapshot(data: dict[str, Any]) -> Availability:
    values = _restore(Availability, data)
    for key, enum_type in _ENUMS.items():
        if key in values:
            values[key] = enum_type(values[key])
    return Availability(**values)


def reservation_from_snapshot(data: dict[str, Any]) -> Reservation:
    values = _restore(Reservation, data)
    values["state"] = HoldState(values["state"])
    return Reservation(**values)
