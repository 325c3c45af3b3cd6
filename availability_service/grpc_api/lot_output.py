"""Domain -> proto for lots, holds and locations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import redact
from availability_service.domain.model import (
    Availability,
    HoldState,
    LotState,
    PriceType,
    Reservation,
    Visibility,
)
from tradedesk.availability.v1 import resources_pb2 as pb

STATE_TO_PB = {
    LotState.DRAFT: pb.Availability.STATE_DRAFT,
    LotState.ACTIVE: pb.Availability.STATE_ACTIVE,
    LotState.RESERVED: pb.Availability.STATE_RESERVED,
    LotState.SOLD: pb.Availability.STATE_SOLD,
    LotState.EXPIRED: pb.Availability.STATE_EXPIRED,
    LotState.CANCELLED: pb.Availability.STATE_CANCELLED,
    LotState.REJECTED: pb.Availability.STATE_REJECTED,
}
VISIBILITY_TO_PB = {
    Visibility.PUBLIC: pb.Availability.MARKET_VISIBILITY_PUBLIC,
    Visibility.PRIVATE: pb.Availability.MARKET_VISIBILITY_PRIVATE,
    Visibility.RESTRICTED: pb.Availability.MARKET_VISIBILITY_RESTRICTED,
    Visibility.INTERNAL: pb.Availability.MARKET_VISIBILITY_INTERNAL,
}
PRICE_TYPE_TO_PB = {
    PriceType.FIXED: pb.Availability.PRICE_TYPE_FIXED,
    PriceType.NEGOTIABLE: pb.Availability.PRICE_TYPE_NEGOTIABLE,
    PriceType.MATRIX: pb.Availability.PRICE_TYPE_MATRIX,
}
HOLD_STATE_TO_PB = {
    HoldState.ACTIVE: pb.Reservation.STATE_ACTIVE,
    HoldState.RELEASED: pb.Reservation.STATE_RELEASED,
    HoldState.EXPIRED: pb.Reservation.STATE_EXPIRED,
    HoldState.SOLD: pb.Reservation.STATE_SOLD,
}
_TEXT = (
    "seller_id",
    "company_id",
    "commodity",
    "variety",
    "grade",
    "description",
    "quantity_unit",
    "price_unit",
    "delivery_region",
    "location_id",
    "incoterm",
    "approved_by",
    "rejected_by",
    "rejection_reason",
    "ai_anomaly_reason",
    "country_of_origin",
    "export_port",
    "eod_cutoff",
    "internal_reference",
    "test_report_url",
    "base_quantity_unit",
    "base_price_unit",
)
_LISTS = ("restricted_buyer_ids", "allowed_regions", "supported_incoterms", "tags", "media_urls")
_TIMES = (
    "delivery_window_start",
    "delivery_window_end",
    "valid_until",
    "approve_time",
    "reject_time",
    "create_time",
    "update_time",
    "delete_time",
    "available_from",
    "available_until",
)


def decimal_text(value: Decimal | None) -> str:
    """Canonical decimal text: no exponent, no trailing zeros ('100', '2.5')."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def to_timestamp(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def quality_to_pb(values: dict[str, dict[str, Any]], target: Any) -> None:
    for key, item in values.items():
        if "number" in item and item["number"] is not None:
            target[key].number = float(item["number"])
        elif "text" in item:
            target[key].text = str(item["text"])
        target[key].unit = str(item.get("unit") or "")


def availability_to_pb(lot: Availability, viewer: Principal, full: bool = False) -> pb.Availability:
    """The lot as `viewer` may read it: the fields pass through visibility.redact first.

    The viewer is required so that no path can emit a lot without deciding its fields.
    """
    lot = redact(viewer, lot)
    out = pb.Availability(
        name=lot.name,
        total_quantity=decimal_text(lot.total_quantity),
        available_quantity=decimal_text(lot.available_quantity),
        reserved_quantity=decimal_text(lot.reserved_quantity),
        sold_quantity=decimal_text(lot.sold_quantity),
        min_order_quantity=decimal_text(lot.min_order_quantity),
        allow_partial_order=lot.allow_partial_order,
        price_type=PRICE_TYPE_TO_PB[lot.price_type],
        market_visibility=VISIBILITY_TO_PB[lot.market_visibility],
        state=STATE_TO_PB[lot.state],
        ai_confidence_score=lot.ai_confidence_score,
        ai_price_anomaly=lot.ai_price_anomaly,
        ai_anomaly_score=lot.ai_anomaly_score,
        revision=lot.revision,
        etag=lot.etag,
        test_report_verified=lot.test_report_verified,
        quantity_in_base_unit=decimal_text(lot.quantity_in_base_unit),
    )
    for name in _TEXT:
        setattr(out, name, getattr(lot, name))
    for name in _LISTS:
        getattr(out, name).extend(getattr(lot, name))
    for name in _TIMES:
        value = getattr(lot, name)
        if value is not None:
            getattr(out, name).CopyFrom(to_timestamp(value))
    quality_to_pb(lot.quality_params, out.quality_params)
    quality_to_pb(lot.normalized_quality_params, out.normalized_quality_params)
    if lot.base_price_amount is not None:
        out.base_price.amount = decimal_text(lot.base_price_amount)
        out.base_price.currency_code = lot.base_price_currency
    if lot.price_per_base_unit is not None:
        out.price_per_base_unit.amount = decimal_text(lot.price_per_base_unit)
        out.price_per_base_unit.currency_code = lot.base_price_unit.split("/")[0]
    if lot.ai_suggested_price is not None:
        out.ai_suggested_price.amount = decimal_text(lot.ai_suggested_price)
        out.ai_suggested_price.currency_code = lot.base_price_currency
    for opt in lot.price_options:
        out.price_options.add(
            label=opt.get("label", ""),
            price=pb.Money(
                currency_code=opt.get("currency_code", ""), amount=opt.get("amount") or ""
            ),
            incoterm=opt.get("incoterm", ""),
            payment_terms_days=int(opt.get("payment_terms_days") or 0),
            min_quantity=opt.get("min_quantity") or "",
        )
    if lot.latitude is not None and lot.longitude is not None:
        out.delivery_location.latitude = lot.latitude
        out.delivery_location.longitude = lot.longitude
    if full and lot.ai_score_vector is not None:
        out.ai_score_vector.extend(lot.ai_score_vector)
    return out


def reservation_to_pb(hold: Reservation) -> pb.Reservation:
    out = pb.Reservation(
        name=hold.name,
        quantity=decimal_text(hold.quantity),
        quantity_unit=hold.quantity_unit,
        buyer_id=hold.buyer_id,
        negotiation_id=hold.negotiation_id,
        state=HOLD_STATE_TO_PB[hold.state],
        sold_quantity=decimal_text(hold.sold_quantity),
        trade_id=hold.trade_id,
        release_reason=hold.release_reason,
        revision=hold.revision,
        price_unit=hold.price_unit,
        price_option_label=hold.price_option_label,
    )
    if hold.price_amount is not None:
        out.price.amount = decimal_text(hold.price_amount)
        out.price.currency_code = hold.price_currency
    if hold.sold_price_amount is not None:
        out.sold_price.amount = decimal_text(hold.sold_price_amount)
        out.sold_price.currency_code = hold.sold_price_currency
    out.expire_time.CopyFrom(to_timestamp(hold.expire_time))
    out.create_time.CopyFrom(to_timestamp(hold.create_time))
    out.update_time.CopyFrom(to_timestamp(hold.update_time))
    return out
