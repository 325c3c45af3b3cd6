"""Price anomaly check of a lot against the market's recent comparable lots, and the market band.

Comparables: lots of the same commodity priced in the same canonical unit and currency
(base_price_unit), created in the last LOOKBACK, that passed review (ACTIVE, RESERVED, SOLD,
EXPIRED) and are not deleted, not flagged, not the lot itself and not its seller's; each other
seller counts with at most its MAX_LOTS_PER_SELLER newest lots, so a baseline of
MIN_COMPARABLES prices has at least four sellers and one seller can never set it alone (a
seller's drafts, private or not, never count). The newest MAX_COMPARABLES of those, drawn
from the newest MARKET_SCAN. From those the narrowest set that still has MIN_COMPARABLES
prices is used: same grade and region, then same grade, then same region, then all. Fewer
than MIN_COMPARABLES overall -> the catalog price band.

A flag is re-checked later by the price review (price_review.py) and cleared once the
baseline that set it no longer holds.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from availability_service.domain.market import MarketBaseline
from availability_service.domain.model import Availability
from availability_service.intelligence import Commodity, to_canonical_price
from availability_service.intelligence.anomaly import MAD_CONSTANT, Z_THRESHOLD, judge_price
from availability_service.service_layer.changes import now
from availability_service.service_layer.ports.market import MarketPrices

LOOKBACK = timedelta(days=90)
MAX_COMPARABLES = 500
MIN_COMPARABLES = 20
MAX_LOTS_PER_SELLER = 5
MARKET_SCAN = 5000
# With every comparable at one price there is no spread: the band is this share around it.
FLAT_BAND = Decimal("0.02")
PLACES = Decimal("0.000001")


# The narrowing order; MarketBaseline.scope indexes it.
SCOPES = (
    "same grade and region",
    "same grade",
    "same region",
    "all recent lots of the commodity",
)


def price_unit_of(lot: Availability) -> str:
    """The unit the seller quoted: price_unit, or the quantity unit when it is empty."""
    return lot.price_unit.strip() or lot.quantity_unit


def baseline(market: MarketPrices, lot: Availability) -> MarketBaseline:
    return market.baseline(
        commodity=lot.commodity,
        base_price_unit=lot.base_price_unit,
        exclude_id=lot.id,
        exclude_seller=lot.seller_id,
        since=now() - LOOKBACK,
        limit=MAX_COMPARABLES,
        per_seller=MAX_LOTS_PER_SELLER,
        scan=MARKET_SCAN,
        grade=lot.grade,
        region=lot.delivery_region,
        minimum=MIN_COMPARABLES,
    )


def catalog_band(lot: Availability, commodity: Commodity) -> tuple[Decimal, Decimal] | None:
    """The catalog band, only when the lot is priced in the band's own currency and unit."""
    return commodity.price_band if lot.base_price_unit == commodity.price_unit else None


def to_own_unit(value: Decimal, lot: Availability, commodity: Commodity) -> Decimal:
    """A price per canonical unit converted back to the unit the seller quoted.

    The factor is taken on a million so 6-decimal rounding inside the units module does
    not cost precision for small factors (USD/kg of gold in USD/ozt).
    """
    scale = Decimal(1_000_000)
    factor, _ = to_canonical_price(scale, lot.base_price_currency, price_unit_of(lot), commodity)
    return (value * scale / factor).quantize(PLACES)


def clear_price_verdict(lot: Availability) -> None:
    lot.ai_price_anomaly = False
    lot.ai_anomaly_reason = ""
    lot.ai_suggested_price = None
    lot.ai_confidence_score = 0.0
    lot.ai_anomaly_score = 0.0


def check_price(market: MarketPrices, lot: Availability, commodity: Commodity) -> None:
    """Set the ai_* price fields of a priced lot (price_per_base_unit already computed)."""
    assert lot.price_per_base_unit is not None
    base = baseline(market, lot)
    result = judge_price(
        lot.price_per_base_unit, base.usable, catalog_band(lot, commodity), MIN_COMPARABLES
    )
    suggested = result.suggested_price
    if suggested is None and base.every is not None and base.count >= MIN_COMPARABLES:
        suggested = base.every.median
    lot.ai_price_anomaly = result.is_anomaly
    scope = SCOPES[base.scope]
    lot.ai_anomaly_reason = f"{result.reason} (baseline: {scope})" if result.is_anomaly else ""
    lot.ai_suggested_price = None if suggested is None else to_own_unit(suggested, lot, commodity)
    lot.ai_confidence_score = result.confidence
    lot.ai_anomaly_score = result.score or 0.0


def market_band(
    market: MarketPrices, lot: Availability, commodity: Commodity
) -> tuple[Decimal, Decimal] | None:
    """Prices the anomaly check would not flag: median +/- 3.5 MAD / 0.6745, per canonical unit.

    Falls back to the catalog band (in its own currency only) with too few comparables.
    """
    if lot.price_per_base_unit is None:
        return None
    every = baseline(market, lot).every
    if every is None or every.count < MIN_COMPARABLES:
        return catalog_band(lot, commodity)
    median, mad = every.median, every.mad
    spread = Decimal(repr(Z_THRESHOLD / MAD_CONSTANT)) * mad if mad > 0 else FLAT_BAND * median
    return median - spread, median + spread
