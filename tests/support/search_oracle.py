"""Search by brute force: every lot read back, the documented filters applied in plain Python,
each scored with intelligence.scoring.score_lot, sorted by (score desc, name asc).

The oracle of the search equality tests and of the benchmark's exactness figures: nothing
here shares code with the search path but the scoring function and the request parsing.
`order_quantity` is judged by the hold rules themselves (domain.holds.check_take and the
timing rule) on the order converted to the lot's unit, the way ReserveAvailability would
see it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy import Engine, Float, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import can_see
from availability_service.domain import holds as hold_rules
from availability_service.domain.errors import FailedPrecondition
from availability_service.domain.model import AVAILABILITY_FIELDS, Availability, LotState
from availability_service.grpc_api.search_input import search_query
from availability_service.intelligence import LotCandidate, score_lot
from availability_service.service_layer.search import SearchService
from availability_service.storage.tables import availabilities as t
from tradedesk.availability.v1 import availability_service_pb2 as api


def brute_force(
    engine: Engine,
    search: SearchService,
    principal: Principal,
    request: api.SearchAvailabilitiesRequest,
    scope: ColumnElement[bool],
) -> list[tuple[str, float]]:
    """Every lot in `scope` (a condition that must keep every possible match) read back,
    filtered by the documented rules in plain Python and scored by score_lot; best first."""
    query, violations = search_query(request)
    assert not violations
    commodity, plan = search.plan(query)
    moment = datetime.now(UTC)
    distance: Any = None
    if query.near is not None:
        distance = (
            func.earth_distance(
                func.ll_to_earth(*query.near), func.ll_to_earth(t.c.latitude, t.c.longitude)
            )
            / 1000.0
        )
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                t,
                t.c.ai_score_vector.cosine_distance(plan.target_vector).label("cos"),
                (distance if distance is not None else cast(None, Float)).label("km"),
            ).where(scope)
        ).all()
    ranked = []
    regions = {region.lower() for region in query.delivery_regions}
    for r in rows:
        if r.state != "ACTIVE" or r.delete_time is not None or r.available_quantity <= 0:
            continue
        if (r.available_from is not None and moment < r.available_from) or (
            r.available_until is not None and moment >= r.available_until
        ):
            continue
        if regions and r.delivery_region.lower() not in regions:
            continue
        if plan.price_floor is not None and (
            r.price_per_base_unit is None
            or r.base_price_unit != plan.price_unit
            or r.price_per_base_unit < plan.price_floor
        ):
            continue
        if query.order_quantity is not None and not reserve_would_grant(
            r, query.order_quantity, moment
        ):
            continue
        if not can_see(
            principal,
            r.seller_id,
            r.company_id,
            r.market_visibility,
            r.restricted_buyer_ids,
            r.allowed_regions,
            state=r.state,
        ):
            continue
        if r.ai_price_anomaly and not query.include_anomalies:
            continue
        if query.near is not None and r.latitude is None:
            continue
        if plan.price_limit is not None and (
            r.price_per_base_unit is None or r.base_price_unit != plan.price_unit
        ):
            continue
        if (
            query.min_quantity is not None
            and r.available_quantity * r.quantity_in_base_unit
            < query.min_quantity * r.total_quantity
        ):
            continue
        if (
            query.incoterm
            and query.incoterm != r.incoterm
            and query.incoterm not in r.supported_incoterms
        ):
            continue
        quality = {
            k: float(v["number"])
            for k, v in r.normalized_quality_params.items()
            if v.get("number") is not None
        }
        scored = score_lot(
            plan.criteria,
            LotCandidate(
                normalized_quality=quality,
                price=r.price_per_base_unit,
                cosine_similarity=1.0 - r.cos,
                distance_km=r.km,
                ai_confidence_score=r.ai_confidence_score,
            ),
            commodity,
        )
        if scored.passes and scored.score >= query.score_threshold:
            ranked.append((f"availabilities/{r.id}", scored.score))
    return sorted(ranked, key=lambda item: (-item[1], item[0]))


def reserve_would_grant(row: Any, order_quantity: Decimal, moment: datetime) -> bool:
    """The hold rules on the order in the lot's own unit (a division, where search scales)."""
    lot = Availability(**{name: row._mapping[name] for name in AVAILABILITY_FIELDS})
    lot.state = LotState(row.state)
    if lot.quantity_in_base_unit is None:
        return False
    with localcontext(prec=100):
        in_lot_unit = order_quantity * lot.total_quantity / lot.quantity_in_base_unit
    try:
        hold_rules.check_take(lot, in_lot_unit)
    except FailedPrecondition:
        return False
    return hold_rules.timing_refusal(lot, moment) is None
