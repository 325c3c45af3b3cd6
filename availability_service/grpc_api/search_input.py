"""SearchAvailabilitiesRequest -> SearchQuery, collecting a violation for every bad field."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from availability_service.domain.errors import Violations
from availability_service.domain.validation import check_text, parse_decimal
from availability_service.grpc_api.lot_input import timestamp_to_datetime
from availability_service.intelligence import QualityInput, ScoreWeights
from availability_service.service_layer.search_criteria import SearchQuery, TargetInput
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2

MAX_TARGETS = 32
_WEIGHTS = ("vector", "quality", "price", "confidence", "distance")


def quality_input(value: pb.QualityValue, field: str, v: Violations) -> QualityInput | None:
    kind = value.WhichOneof("value")
    check_text(value.unit, f"{field}.unit", v, 32)
    unit = value.unit.strip() or None
    if kind == "number":
        if not math.isfinite(value.number):
            v.add(field, "must be a finite number")
            return None
        return QualityInput(number=value.number, unit=unit)
    if kind == "text":
        check_text(value.text, field, v, 256)
        return QualityInput(text=value.text, unit=unit)
    return None


def _optional(message: Any, name: str) -> float | None:
    return float(getattr(message, name)) if message.HasField(name) else None


def _target(name: str, target: search_pb2.QualityTarget, v: Violations) -> TargetInput:
    field = f"quality_targets[{name[:40]}]"
    value = quality_input(target.value, field + ".value", v) if target.HasField("value") else None
    return TargetInput(
        value=value,
        tolerance=_optional(target, "tolerance"),
        tolerance_percent=_optional(target, "tolerance_percent"),
        min=_optional(target, "min"),
        max=_optional(target, "max"),
    )


def _weights(request: api.SearchAvailabilitiesRequest, v: Violations) -> ScoreWeights:
    defaults = ScoreWeights()
    if not request.HasField("weights"):
        return defaults
    values = {}
    for name in _WEIGHTS:
        given = _optional(request.weights, name)
        if given is not None and not (math.isfinite(given) and given >= 0):
            v.add(f"weights.{name}", "must be a finite number >= 0")
            given = None
        values[name] = getattr(defaults, name) if given is None else given
    return ScoreWeights(**values)


def _near(request: api.SearchAvailabilitiesRequest, v: Violations) -> tuple[float, float] | None:
    if not request.HasField("near"):
        return None
    lat, lng = request.near.latitude, request.near.longitude
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        v.add("near.latitude", "must be within [-90, 90]")
    if not (math.isfinite(lng) and -180 <= lng <= 180):
        v.add("near.longitude", "must be within [-180, 180]")
    return lat, lng


def search_query(request: api.SearchAvailabilitiesRequest) -> tuple[SearchQuery, Violations]:
    """The parsed query and the violations found so far (the service adds its own)."""
    v = Violations()
    if len(request.quality_targets) > MAX_TARGETS:
        v.add("quality_targets", f"at most {MAX_TARGETS} targets")
    targets = {name: _target(name, t, v) for name, t in request.quality_targets.items()}
    max_price: Decimal | None = None
    if request.HasField("max_price"):
        max_price = parse_decimal(request.max_price.amount, "max_price.amount", v)
        check_text(request.max_price.currency_code, "max_price.currency_code", v, 8)
    min_price: Decimal | None = None
    if request.HasField("min_price"):
        min_price = parse_decimal(request.min_price.amount, "min_price.amount", v)
        check_text(request.min_price.currency_code, "min_price.currency_code", v, 8)
    for i, region in enumerate(request.delivery_regions):
        if not region.strip():
            v.add(f"delivery_regions[{i}]", "must not be empty")
        check_text(region, f"delivery_regions[{i}]", v, 32)
    check_text(request.price_unit, "price_unit", v, 32)
    check_text(request.incoterm, "incoterm", v, 8)
    check_text(request.commodity, "commodity", v, 64)
    window = {}
    for name in ("delivery_window_start", "delivery_window_end"):
        window[name] = (
            timestamp_to_datetime(getattr(request, name), name, v)
            if request.HasField(name)
            else None
        )
    query = SearchQuery(
        commodity=request.commodity.strip(),
        targets=targets,
        max_price=max_price,
        currency=request.max_price.currency_code.strip(),
        price_unit=request.price_unit.strip(),
        price_tolerance_percent=request.price_tolerance_percent,
        near=_near(request, v),
        radius_km=request.radius_km or None,
        min_quantity=parse_decimal(
            request.min_quantity, "min_quantity", v, required=False, positive=False
        ),
        include_anomalies=request.include_anomalies,
        weights=_weights(request, v),
        score_threshold=request.score_threshold,
        page_size=request.page_size,
        page_token=request.page_token,
        incoterm=request.incoterm.strip().upper(),
        delivery_regions=tuple(r.strip() for r in request.delivery_regions),
        min_price=min_price,
        min_price_currency=request.min_price.currency_code.strip(),
        order_quantity=parse_decimal(request.order_quantity, "order_quantity", v, required=False),
        **window,
    )
    return query, v
