"""Enrichment of a lot before it is written: normalisation, canonical units, anomaly, embedding.

LotService calls `enrich(tx, lot, violations)` inside the writing transaction, after the
field rules passed, on create and on every update. Each refused value becomes one field
violation (so the caller sees INVALID_ARGUMENT naming it) and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from availability_service.domain.errors import Violations
from availability_service.domain.model import Availability
from availability_service.intelligence import (
    Catalog,
    Commodity,
    Embedder,
    IntelligenceError,
    LotFeatures,
    NormalizedQuality,
    QualityInput,
    UnknownCommodity,
    normalize_quality_params,
    to_canonical_price,
    to_canonical_quantity,
)
from availability_service.service_layer.ports import Transaction
from availability_service.service_layer.price_check import (
    check_price,
    clear_price_verdict,
    price_unit_of,
)

P = "availability."


class Enricher(Protocol):
    """What LotService needs: fill the derived fields of `lot` or add violations."""

    def __call__(self, tx: Transaction, lot: Availability, violations: Violations) -> None: ...


def quality_input(value: Mapping[str, Any]) -> QualityInput:
    """Stored quality JSON ({"number", "unit"} or {"text", "unit"}) -> normaliser input."""
    number = value.get("number")
    return QualityInput(
        number=None if number is None else float(number),
        unit=str(value.get("unit") or "") or None,
        text=None if value.get("text") is None else str(value["text"]),
    )


def quality_json(given: Mapping[str, Any], normalized: NormalizedQuality) -> dict[str, Any]:
    """Canonical JSON: {"number": x, "unit": u} or {"text": t}; unknown parameters as given."""
    if not normalized.known:
        return dict(given)
    if normalized.number is not None:
        return {"number": normalized.number, "unit": normalized.unit or ""}
    return {"text": normalized.text or ""}


def numeric_quality(normalized: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """The numeric part of normalized_quality_params, as scoring and embeddings read it."""
    return {
        name: float(value["number"])
        for name, value in normalized.items()
        if isinstance(value.get("number"), int | float) and not isinstance(value["number"], bool)
    }


def lot_features(lot: Availability, commodity: Commodity) -> LotFeatures:
    return LotFeatures(
        commodity=commodity.code,
        family=commodity.family,
        normalized_quality=numeric_quality(lot.normalized_quality_params),
        grade=lot.grade or None,
        delivery_region=lot.delivery_region or None,
    )


class LotEnricher:
    """The catalog-driven enricher: one per process, sharing the loaded catalog."""

    def __init__(self, catalog: Catalog, embedder: Embedder) -> None:
        self.catalog = catalog
        self.embedder = embedder

    def __call__(self, tx: Transaction, lot: Availability, violations: Violations) -> None:
        previous_price = (lot.price_per_base_unit, lot.base_price_unit)
        commodity = self.prepare(lot, violations)
        if commodity is None or violations:
            return
        if lot.price_per_base_unit is None:
            clear_price_verdict(lot)
        elif (lot.price_per_base_unit, lot.base_price_unit) != previous_price:
            # Only a new or changed price is checked: re-checking an unchanged price against
            # a baseline that moved would flip flags on edits that never touched the price.
            check_price(tx.market, lot, commodity)

    def prepare(self, lot: Availability, violations: Violations) -> Commodity | None:
        """Everything that needs no database: catalog, units, quality, embedding."""
        try:
            commodity = self.catalog.get(lot.commodity)
        except UnknownCommodity as exc:
            violations.add(P + "commodity", str(exc))
            return None
        lot.commodity = commodity.code
        self._quantity(lot, commodity, violations)
        self._quality(lot, commodity, violations)
        self._price(lot, commodity, violations)
        if not violations:
            lot.ai_score_vector = self.embedder.embed(lot_features(lot, commodity))
        return commodity

    @staticmethod
    def _quantity(lot: Availability, commodity: Commodity, violations: Violations) -> None:
        try:
            lot.quantity_in_base_unit = to_canonical_quantity(
                lot.total_quantity, lot.quantity_unit, commodity
            )
            lot.base_quantity_unit = commodity.quantity_unit
        except IntelligenceError as exc:
            violations.add(P + "quantity_unit", str(exc))

    @staticmethod
    def _quality(lot: Availability, commodity: Commodity, violations: Violations) -> None:
        inputs = {name: quality_input(value) for name, value in lot.quality_params.items()}
        try:
            normalized = normalize_quality_params(commodity, inputs)
        except IntelligenceError as exc:
            violations.add(P + (exc.field or "quality_params"), str(exc))
            return
        given: dict[str, Any] = {}
        for key, value in lot.quality_params.items():
            parameter = commodity.parameter(key)
            given[parameter.name if parameter is not None else key] = value
        lot.normalized_quality_params = {
            name: quality_json(given.get(name, {}), value) for name, value in normalized.items()
        }

    @staticmethod
    def _price(lot: Availability, commodity: Commodity, violations: Violations) -> None:
        if lot.base_price_amount is None:
            lot.price_per_base_unit, lot.base_price_unit = None, ""
            return
        try:
            lot.price_per_base_unit, lot.base_price_unit = to_canonical_price(
                lot.base_price_amount, lot.base_price_currency, price_unit_of(lot), commodity
            )
        except IntelligenceError as exc:
            where = "base_price.currency_code" if exc.field == "currency" else "price_unit"
            violations.add(P + where, str(exc))
