"""The lot and hold use cases wired to the in-memory unit of work (tests/support/fake_uow.py),
with the callers and a valid draft lot the service-rule tests share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from availability_service.auth.principal import Principal, Role
from availability_service.domain.model import Availability, LotState, Reservation
from availability_service.intelligence import Catalog, FeatureEmbedder, load_catalog
from availability_service.service_layer.enrichment import LotEnricher
from availability_service.service_layer.holds import HoldService
from availability_service.service_layer.idempotent import RequestKey
from availability_service.service_layer.lots import LotService
from tests.support.fake_uow import FakeUnitOfWork

SELLER = Principal("seller-1", "acme", frozenset({Role.SELLER}), "IN-GJ")
OTHER_SELLER = Principal("seller-2", "other", frozenset({Role.SELLER}), "IN-GJ")
BUYER = Principal("buyer-1", "mill", frozenset({Role.BUYER}), "IN-MH")
ADMIN = Principal("admin-1", None, frozenset({Role.ADMIN}))
SERVICE = Principal("negotiation-engine", None, frozenset({Role.SERVICE}))


@cache
def _catalog() -> Catalog:
    return load_catalog()


@dataclass
class Market:
    """One in-memory market: its unit of work and the two services over it."""

    uow: FakeUnitOfWork
    lots: LotService
    holds: HoldService

    def events(self, lot: Availability | None = None) -> list[str]:
        """Event types written so far (of one lot, when given), oldest first."""
        return [
            e["event_type"]
            for e in self.uow.store.events
            if lot is None or e["availability_id"] == lot.id
        ]

    def stored(self, lot: Availability) -> Availability:
        return self.uow.store.lots[lot.id]

    def stored_hold(self, hold: Reservation) -> Reservation:
        return self.uow.store.holds[hold.id]

    def make_overdue(self, hold: Reservation) -> None:
        """Time passes for one hold: its expire_time is now in the past (no sleeping)."""
        self.uow.store.holds[hold.id].expire_time = datetime.now(UTC) - timedelta(seconds=1)

    def draft(self, **overrides: Any) -> Availability:
        lot = self.lots.create(SELLER, draft(**overrides), None).availability
        assert lot is not None
        return lot

    def live(self, **overrides: Any) -> Availability:
        """An approved lot of 100 t (ACTIVE)."""
        lot = self.draft(**overrides)
        approved = self.lots.approve(ADMIN, lot.name, lot.etag, None).availability
        assert approved is not None
        return approved

    def reserve(
        self, lot: Availability, quantity: str, who: Principal = SERVICE, **kwargs: Any
    ) -> Reservation:
        kwargs.setdefault("buyer_id", "buyer-1")
        kwargs.setdefault("negotiation_id", "n-1")
        kwargs.setdefault("key", None)
        outcome = self.holds.reserve(who, lot.name, quantity, None, **kwargs)
        assert outcome.reservation is not None
        return outcome.reservation


def market() -> Market:
    uow = FakeUnitOfWork()
    catalog = _catalog()
    lots = LotService(uow, LotEnricher(catalog, FeatureEmbedder(catalog)))
    holds = HoldService(uow, default_ttl=timedelta(minutes=15), max_ttl=timedelta(days=1))
    return Market(uow, lots, holds)


def draft(**overrides: Any) -> Availability:
    """A lot as a seller sends it: 100 t of cotton at 2000 USD/t, PUBLIC."""
    moment = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "seller_id": "",
        "available_quantity": Decimal("100"),
        "state": LotState.DRAFT,
        "create_time": moment,
        "update_time": moment,
        "commodity": "cotton",
        "quantity_unit": "t",
        "total_quantity": Decimal("100"),
        "base_price_amount": Decimal("2000"),
        "base_price_currency": "USD",
    }
    values.update(overrides)
    return Availability(**values)


def key(
    who: Principal, request_id: str, payload: str = "same", method: str = "Method"
) -> RequestKey:
    """A request key as grpc_api derives it: the caller, its request_id, a payload hash."""
    return RequestKey(who.subject, request_id, method, payload)
