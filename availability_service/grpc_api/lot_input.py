"""Proto Availability -> domain values, collecting a field violation for every bad field."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from availability_service.domain.errors import InvalidArgument, Violations
from availability_service.domain.model import (
    ZERO,
    Availability,
    LotState,
    PriceType,
    Visibility,
)
from availability_service.domain.validation import (
    LONG_TEXT,
    MAX_CURRENCY,
    MAX_PRICE_OPTIONS,
    MAX_QUALITY_PARAMS,
    MAX_QUALITY_TEXT,
    MAX_QUALITY_UNIT,
    SHORT_TEXT,
    check_count,
    check_text,
    parse_decimal,
)
from tradedesk.availability.v1 import resources_pb2 as pb

P = "availability."
VISIBILITY_FROM_PB = {
    pb.Availability.MARKET_VISIBILITY_UNSPECIFIED: Visibility.PUBLIC,
    pb.Availability.MARKET_VISIBILITY_PUBLIC: Visibility.PUBLIC,
    pb.Availability.MARKET_VISIBILITY_PRIVATE: Visibility.PRIVATE,
    pb.Availability.MARKET_VISIBILITY_RESTRICTED: Visibility.RESTRICTED,
    pb.Availability.MARKET_VISIBILITY_INTERNAL: Visibility.INTERNAL,
}
PRICE_TYPE_FROM_PB = {
    pb.Availability.PRICE_TYPE_UNSPECIFIED: PriceType.FIXED,
    pb.Availability.PRICE_TYPE_FIXED: PriceType.FIXED,
    pb.Availability.PRICE_TYPE_NEGOTIABLE: PriceType.NEGOTIABLE,
    pb.Availability.PRICE_TYPE_MATRIX: PriceType.MATRIX,
}
STATE_FROM_PB = {
    pb.Availability.STATE_DRAFT: LotState.DRAFT,
    pb.Availability.STATE_ACTIVE: LotState.ACTIVE,
    pb.Availability.STATE_RESERVED: LotState.RESERVED,
    pb.Availability.STATE_SOLD: LotState.SOLD,
    pb.Availability.STATE_EXPIRED: LotState.EXPIRED,
    pb.Availability.STATE_CANCELLED: LotState.CANCELLED,
    pb.Availability.STATE_REJECTED: LotState.REJECTED,
}

OUTPUT_ONLY = frozenset(
    {
        "name",
        "seller_id",
        "company_id",
        "available_quantity",
        "reserved_quantity",
        "sold_quantity",
        "normalized_quality_params",
        "state",
        "approved_by",
        "approve_time",
        "rejected_by",
        "reject_time",
        "rejection_reason",
        "ai_suggested_price",
        "ai_confidence_score",
        "ai_price_anomaly",
        "ai_anomaly_reason",
        "ai_score_vector",
        "ai_anomaly_score",
        "revision",
        "etag",
        "create_time",
        "update_time",
        "delete_time",
        "test_report_verified",
        "quantity_in_base_unit",
        "base_quantity_unit",
        "price_per_base_unit",
        "base_price_unit",
    }
)
IMMUTABLE = frozenset({"commodity", "quantity_unit"})
_SIMPLE_TEXT = (
    "commodity",
    "variety",
    "grade",
    "quantity_unit",
    "price_unit",
    "delivery_region",
    "location_id",
    "incoterm",
    "country_of_origin",
    "export_port",
    "eod_cutoff",
    "internal_reference",
    "test_report_url",
)
_LISTS = ("restricted_buyer_ids", "allowed_regions", "supported_incoterms", "tags", "media_urls")
_TIMES = (
    "delivery_window_start",
    "delivery_window_end",
    "valid_until",
    "available_from",
    "available_until",
)

Extractor = Callable[[pb.Availability, Violations], dict[str, Any]]


def timestamp_to_datetime(ts: Timestamp, field: str, v: Violations) -> datetime | None:
    try:
        return ts.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        v.add(field, "is not a valid timestamp")
        return None


def quality_to_json(
    name: str, value: pb.QualityValue, field: str, v: Violations
) -> dict[str, Any] | None:
    kind = value.WhichOneof("value")
    check_text(value.unit, f"{field}.unit", v, MAX_QUALITY_UNIT)
    if kind == "number":
        if not math.isfinite(value.number):
            v.add(field, "must be a finite number")
            return None
        return {"number": value.number, "unit": value.unit}
    if kind == "text":
        check_text(value.text, field, v, MAX_QUALITY_TEXT)
        return {"text": value.text, "unit": value.unit}
    v.add(field, "needs a number or a text")
    return None


def money_fields(money: pb.Money, field: str, v: Violations) -> tuple[Decimal | None, str]:
    amount = parse_decimal(money.amount, f"{field}.amount", v)
    check_text(money.currency_code, f"{field}.currency_code", v, MAX_CURRENCY)
    return amount, money.currency_code


def _text(name: str) -> Extractor:
    return lambda a, v: {name: getattr(a, name).strip()}


def _list(name: str) -> Extractor:
    return lambda a, v: {name: [s.strip() for s in getattr(a, name)]}


def _time(name: str) -> Extractor:
    def extract(a: pb.Availability, v: Violations) -> dict[str, Any]:
        if not a.HasField(name):
            return {name: None}
        return {name: timestamp_to_datetime(getattr(a, name), P + name, v)}

    return extract


def _description(a: pb.Availability, v: Violations) -> dict[str, Any]:
    check_text(a.description, P + "description", v, LONG_TEXT)
    return {"description": a.description}


def _total(a: pb.Availability, v: Violations) -> dict[str, Any]:
    return {"total_quantity": parse_decimal(a.total_quantity, P + "total_quantity", v) or ZERO}


def _min_order(a: pb.Availability, v: Violations) -> dict[str, Any]:
    return {
        "min_order_quantity": parse_decimal(
            a.min_order_quantity, P + "min_order_quantity", v, required=False
        )
    }


def _partial(a: pb.Availability, v: Violations) -> dict[str, Any]:
    return {
        "allow_partial_order": a.allow_partial_order if a.HasField("allow_partial_order") else True
    }


def _quality(a: pb.Availability, v: Violations) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    if not check_count(a.quality_params, P + "quality_params", v, MAX_QUALITY_PARAMS):
        return {"quality_params": out}
    for key, value in a.quality_params.items():
        converted = quality_to_json(key, value, f"{P}quality_params[{key[:40]}]", v)
        if converted is not None:
            out[key] = converted
    return {"quality_params": out}


def _price(a: pb.Availability, v: Violations) -> dict[str, Any]:
    if not a.HasField("base_price"):
        return {"base_price_amount": None, "base_price_currency": ""}
    amount, currency = money_fields(a.base_price, P + "base_price", v)
    return {"base_price_amount": amount, "base_price_currency": currency}


def _options(a: pb.Availability, v: Violations) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    if not check_count(a.price_options, P + "price_options", v, MAX_PRICE_OPTIONS):
        return {"price_options": out}
    for i, opt in enumerate(a.price_options):
        # Label, currency, incoterm and terms are the domain's (validate_lot), so an update
        # that only touches other fields re-checks stored options by the same rules.
        field = f"{P}price_options[{i}]"
        amount, currency = money_fields(opt.price, field + ".price", v)
        minimum = parse_decimal(opt.min_quantity, field + ".min_quantity", v, required=False)
        out.append(
            {
                "label": opt.label,
                "amount": None if amount is None else str(amount),
                "currency_code": currency,
                "incoterm": opt.incoterm,
                "payment_terms_days": opt.payment_terms_days,
                "min_quantity": None if minimum is None else str(minimum),
            }
        )
    return {"price_options": out}


def _price_type(a: pb.Availability, v: Violations) -> dict[str, Any]:
    if a.price_type not in PRICE_TYPE_FROM_PB:
        v.add(P + "price_type", f"unknown value {a.price_type}")
        return {}
    return {"price_type": PRICE_TYPE_FROM_PB[a.price_type]}


def _visibility(a: pb.Availability, v: Violations) -> dict[str, Any]:
    if a.market_visibility not in VISIBILITY_FROM_PB:
        v.add(P + "market_visibility", f"unknown value {a.market_visibility}")
        return {}
    return {"market_visibility": VISIBILITY_FROM_PB[a.market_visibility]}


def _location(a: pb.Availability, v: Violations) -> dict[str, Any]:
    if not a.HasField("delivery_location"):
        return {"latitude": None, "longitude": None}
    lat, lng = a.delivery_location.latitude, a.delivery_location.longitude
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        v.add(P + "delivery_location.latitude", "must be within [-90, 90]")
    if not (math.isfinite(lng) and -180 <= lng <= 180):
        v.add(P + "delivery_location.longitude", "must be within [-180, 180]")
    return {"latitude": lat, "longitude": lng}


EXTRACTORS: dict[str, Extractor] = {
    **{name: _text(name) for name in _SIMPLE_TEXT},
    **{name: _list(name) for name in _LISTS},
    **{name: _time(name) for name in _TIMES},
    "description": _description,
    "total_quantity": _total,
    "min_order_quantity": _min_order,
    "allow_partial_order": _partial,
    "quality_params": _quality,
    "base_price": _price,
    "price_options": _options,
    "price_type": _price_type,
    "market_visibility": _visibility,
    "delivery_location": _location,
}


def draft_from_proto(a: pb.Availability) -> Availability:
    """A new lot from a create request; output-only fields are ignored (AIP-133)."""
    v = Violations()
    values: dict[str, Any] = {}
    for extract in EXTRACTORS.values():
        values.update(extract(a, v))
    if not a.commodity.strip():
        v.add(P + "commodity", "is required")
    if not a.quantity_unit.strip():
        v.add(P + "quantity_unit", "is required")
    v.raise_if_any()
    moment = datetime.now(UTC)
    return Availability(
        id=__import__("uuid").uuid4(),
        seller_id="",
        state=LotState.DRAFT,
        available_quantity=values["total_quantity"],
        create_time=moment,
        update_time=moment,
        **values,
    )


def changes_from_mask(a: pb.Availability, paths: list[str]) -> dict[str, Any]:
    """Domain values for exactly the masked fields; output-only or unknown paths are rejected."""
    v = Violations()
    if not paths:
        v.add("update_mask", "must name at least one field")
    values: dict[str, Any] = {}
    for path in paths:
        if path in OUTPUT_ONLY:
            v.add("update_mask", f"{path!r} is output only")
        elif path in IMMUTABLE:
            v.add("update_mask", f"{path!r} cannot change after create; create a new lot")
        elif path not in EXTRACTORS:
            check_text(path, "update_mask", v, SHORT_TEXT)
            v.add("update_mask", f"{path[:64]!r} is not a field of Availability")
        else:
            values.update(EXTRACTORS[path](a, v))
    if v:
        raise InvalidArgument(v.items)
    return values
