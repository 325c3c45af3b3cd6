"""Searches without targets or point whose vector and confidence weights both count, over a
market where a small group of lots ties on its distance to the commodity's centre.

Like a commodity at scale (1,198 of 52,000 gold lots report no quality and share one
distance): the tied lots are the nearest, their confidences spread, and the other lots,
farther, hold the highest confidences. Read by distance alone the tie came by id and the
whole of it was read before the page was proven; the MIX list (the default weights' mix)
and the VECTOR_BAND list (any other mix: band, then confidence) prove it from a few rows.
Every page equals brute force (tests.support.search_oracle), with the caller's visibility
(private lots, other sellers' drafts, restricted regions), NaN and out-of-range
confidences, and tiny reads.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.domain.errors import Violations
from availability_service.domain.model import (
    Availability,
    LotState,
    Visibility,
)
from availability_service.service_layer import search as search_module
from availability_service.storage import search_lists
from availability_service.storage.tables import availabilities as t
from tests.support.callers import Caller
from tests.support.search_oracle import brute_force
from tests.support.search_pages import assert_same_results, paged, row_values
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2

REGION = "ZZ-MX"
TIED, SPREAD = 200, 2000


def silver_lot(rng: random.Random, buyer: str, tied: bool) -> Availability:
    moment = datetime.now(UTC)
    total = Decimal(rng.randint(1, 50))
    lot = Availability(
        id=uuid.UUID(int=rng.getrandbits(128)),
        seller_id=f"mx-seller-{rng.randint(0, 20)}",
        company_id=f"mx-co-{rng.randint(0, 4)}",
        commodity="silver",
        quantity_unit="kg",
        total_quantity=total,
        available_quantity=total,
        state=LotState.ACTIVE,
        create_time=moment - timedelta(days=200),  # out of every anomaly baseline
        update_time=moment,
        revision=1,
        grade="LBMA",
        delivery_region=REGION,
    )
    if not tied:  # reporting quality moves the embedding away from the centre
        lot.quality_params["fineness"] = {"number": round(rng.uniform(800, 999), 1), "unit": ""}
        lot.quality_params["bar_weight"] = {"number": round(rng.uniform(1, 1000), 1), "unit": ""}
    if rng.random() < 0.7:
        lot.base_price_amount, lot.base_price_currency = (
            Decimal(rng.randint(1000, 9000)) / 100,
            "USD",
        )
        lot.price_unit = "ozt"
    if rng.random() < 0.16:  # invited or not, allowed or not: half of these are seen
        lot.market_visibility, lot.restricted_buyer_ids, lot.allowed_regions = rng.choice(
            [
                (Visibility.PRIVATE, ["someone-else"], []),
                (Visibility.PRIVATE, [buyer], []),
                (Visibility.RESTRICTED, [], [REGION]),
                (Visibility.RESTRICTED, [], ["XX-NOPE"]),
            ]
        )
    elif rng.random() < 0.05:
        lot.state = LotState.DRAFT  # another seller's draft
    return lot


@pytest.fixture(scope="module")
def market(app: Application, engine: Engine) -> Iterator[str]:
    rng = random.Random(20261202)
    buyer = f"mx-buyer-{uuid.uuid4().hex[:8]}"
    lots = []
    for tied in [True] * TIED + [False] * SPREAD:
        lot = silver_lot(rng, buyer, tied)
        violations = Violations()
        app.services.lots.enrich.prepare(lot, violations)  # type: ignore[attr-defined]
        assert not violations, violations.items
        lots.append(dict(row_values(lot), ai_confidence_score=round(rng.random(), 3)))
    # Confidences the score clamps (a NaN counts 0): the lists must still bound them.
    for confidence in (float("nan"), float("nan"), -0.5, 1.5):
        lot = silver_lot(rng, buyer, tied=True)
        app.services.lots.enrich.prepare(lot, Violations())  # type: ignore[attr-defined]
        lots.append(dict(row_values(lot), ai_confidence_score=confidence))
    with engine.begin() as conn:
        conn.execute(insert(t), lots)
    yield buyer
    with engine.begin() as conn:
        conn.execute(delete(t).where(t.c.id.in_([lot["id"] for lot in lots])))


WEIGHTS = {
    "default weights (the MIX list)": search_pb2.ScoreWeights(),
    "the default mix scaled (the MIX list)": search_pb2.ScoreWeights(
        vector=2, quality=0, price=0, confidence=0.5, distance=0
    ),
    "vector and confidence alike (the VECTOR_BAND list)": search_pb2.ScoreWeights(
        vector=1, quality=0, price=0, confidence=1, distance=0
    ),
}


def request_for(weights: search_pb2.ScoreWeights, **fields: Any) -> api.SearchAvailabilitiesRequest:
    request = api.SearchAvailabilitiesRequest(
        commodity="silver", delivery_regions=[REGION], **fields
    )
    request.weights.CopyFrom(weights)
    return request


def expected(app: Application, engine: Engine, buyer: str, request: Any) -> list[tuple[str, float]]:
    principal = Principal(buyer, None, frozenset({Role.BUYER}), REGION)
    return brute_force(
        engine, app.services.search, principal, request, t.c.delivery_region == REGION
    )


SHAPES = {
    **{name: dict(weights=weights, page_size=30) for name, weights in WEIGHTS.items()},
    "default weights, a max price and a threshold": dict(
        weights=search_pb2.ScoreWeights(),
        max_price=pb.Money(currency_code="USD", amount="60"),
        score_threshold=0.4,
        page_size=40,
    ),
}


@pytest.mark.parametrize("tiny_reads", [False, True], ids=["reads of 64", "reads of one row"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_paged_search_with_both_vector_and_confidence_weights_equals_brute_force(
    shape: str,
    tiny_reads: bool,
    market: str,
    app: Application,
    engine: Engine,
    caller: Callable[..., Caller],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if tiny_reads:
        monkeypatch.setattr(search_module, "FIRST_PREFIX", 1)
        monkeypatch.setattr(search_module, "PREFIX_FACTOR", 1)
        monkeypatch.setattr(search_module, "PREFIX_GROWTH", 2)
        monkeypatch.setattr(search_module, "CANDIDATE_LIMIT", 37)
    fields = dict(SHAPES[shape])
    request = request_for(fields.pop("weights"), **fields)
    want = expected(app, engine, market, request)
    assert len(want) > 500
    assert_same_results(paged(caller("BUYER", sub=market, region=REGION), request), want)


@pytest.mark.parametrize("weights", list(WEIGHTS.values()), ids=list(WEIGHTS))
def test_a_first_page_is_proven_from_one_read_when_the_nearest_lots_tie_on_distance(
    weights: search_pb2.ScoreWeights,
    market: str,
    app: Application,
    engine: Engine,
    caller: Callable[..., Caller],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The 200 tied lots are not read whole (by distance alone: 640 rows, in two reads)."""
    reads: list[int] = []
    original = search_lists.read_lists

    def counting(*args: Any) -> Any:
        found = original(*args)
        reads.append(sum(len(rows) for rows in found.values()))
        return found

    monkeypatch.setattr(search_lists, "read_lists", counting)
    request = request_for(weights, page_size=10)
    want = expected(app, engine, market, request)
    page = caller("BUYER", sub=market, region=REGION).SearchAvailabilities(request)
    assert_same_results([(r.availability.name, r.score) for r in page.results], want[:10])
    assert 0 < sum(reads) <= 2 * 64 + 1, reads
