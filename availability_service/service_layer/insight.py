"""ListSimilarAvailabilities and GetNegotiationReadiness: reads about one visible lot."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta

from availability_service.auth.principal import Principal
from availability_service.domain.deadline import Deadline
from availability_service.domain.errors import NotFound
from availability_service.domain.lifecycle import HOLDABLE_STATES
from availability_service.domain.model import Availability
from availability_service.intelligence import Catalog, Commodity, Factor, readiness_score
from availability_service.intelligence.factors import clamp01
from availability_service.service_layer import paging
from availability_service.service_layer.changes import now
from availability_service.service_layer.lots import lot_id_from_name
from availability_service.service_layer.ports import Transaction, UnitOfWork
from availability_service.service_layer.price_check import market_band

DEFAULT_SIMILAR = 10
MAX_SIMILAR = 100
# Holds older than this no longer say anything about how the seller closes deals.
HOLD_LOOKBACK = timedelta(days=30)


@dataclass(frozen=True)
class SimilarLot:
    availability: Availability
    similarity: float
    same_commodity: bool


@dataclass(frozen=True)
class Readiness:
    name: str
    score: float
    factors: list[Factor]
    ready: bool


class InsightService:
    def __init__(self, uow: UnitOfWork, catalog: Catalog) -> None:
        self.uow = uow
        self.catalog = catalog

    @staticmethod
    def _visible_lot(tx: Transaction, principal: Principal, name: str) -> Availability:
        lot = tx.lots.get(lot_id_from_name(name), principal.viewer)
        if lot is None or lot.delete_time is not None:
            raise NotFound(f"{name} not found")
        return lot

    def _family(self, commodity: str) -> list[str]:
        if commodity not in self.catalog:
            return []
        family = self.catalog.get(commodity).family
        return sorted(c.code for c in self.catalog if c.family == family and c.code != commodity)

    def similar(
        self, principal: Principal, name: str, page_size: int, deadline: Deadline | None = None
    ) -> list[SimilarLot]:
        """Same commodity nearest first, then the rest of its family, nearest first."""
        size = paging.page_size(page_size, DEFAULT_SIMILAR, MAX_SIMILAR)
        # One statement per read and no transaction around them: the lot, then its nearest
        # (the family's only when its own commodity does not fill the page).
        with self.uow.statement_read(deadline) as tx:
            lot = self._visible_lot(tx, principal, name)
            if lot.ai_score_vector is None:
                return []
            same = tx.search.nearest(
                vector=lot.ai_score_vector,
                commodities=[lot.commodity],
                exclude_id=lot.id,
                viewer=principal.viewer,
                limit=size,
            )
            related = tx.search.nearest(
                vector=lot.ai_score_vector,
                commodities=self._family(lot.commodity),
                exclude_id=lot.id,
                viewer=principal.viewer,
                limit=size - len(same),
            )
        return [
            SimilarLot(other, clamp01(1.0 - distance), other.commodity == lot.commodity)
            for other, distance in [*same, *related]
        ]

    def readiness(
        self, principal: Principal, name: str, deadline: Deadline | None = None
    ) -> Readiness:
        moment = now()
        with self.uow.read(deadline) as tx:
            lot = self._visible_lot(tx, principal, name)
            commodity = self._commodity(lot)
            band = market_band(tx.market, lot, commodity)
            if band is None:
                # No band in the lot's own currency: price_in_band says "unknown" (0.5)
                # instead of comparing, say, INR with the catalog's USD band.
                commodity = dataclasses.replace(commodity, price_band=None)
            holds = tx.holds.seller_open_ratio(
                lot.seller_id, moment - HOLD_LOOKBACK, moment, principal.viewer
            )
        approved = bool(lot.approved_by) or lot.approve_time is not None
        result = readiness_score(
            commodity=commodity,
            approved=approved,
            available_quantity=lot.available_quantity,
            total_quantity=lot.total_quantity,
            price=lot.price_per_base_unit,
            market_band=band,
            quality_params_present=list(lot.normalized_quality_params),
            valid_until=lot.valid_until,
            now=moment,
            seller_open_holds_ratio=holds,
        )
        ready = (
            approved
            and lot.state in HOLDABLE_STATES
            and lot.available_quantity > 0
            and (lot.valid_until is None or lot.valid_until > moment)
        )
        return Readiness(lot.name, result.score, result.breakdown, ready)

    def _commodity(self, lot: Availability) -> Commodity:
        if lot.commodity in self.catalog:
            return self.catalog.get(lot.commodity)
        # A lot of a commodity later removed from the catalog still gets a readiness score.
        return Commodity(lot.commodity, lot.commodity, "", "", "USD/t", (), {}, {}, None)
