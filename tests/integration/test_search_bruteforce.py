"""Search equals an exact brute-force scoring of the same lots, page after page.

A few thousand random cotton lots go straight into the table (enriched by the service's
own enricher, anomaly fields drawn at random), spread around a point of this test's own.
Brute force (tests.support.search_oracle) reads every one of them back, applies the
documented filters in plain Python and scores each with intelligence.scoring.score_lot;
paging through SearchAvailabilities must return exactly that list in exactly that order.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event, insert, text

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.domain.errors import Violations
from availability_service.domain.model import (
    Availability,
    LotState,
    PriceType,
    Visibility,
)
from availability_service.service_layer import search as search_module
from availability_service.storage import search_bounds, search_lists
from availability_service.storage.tables import availabilities as t
from tests.support.callers import Caller
from tests.support.search_oracle import brute_force
from tests.support.search_pages import assert_same_results, paged, row_values
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2

LOTS = 3000
TWINS = 40
REGION = "ZZ-BF"
OTHER_REGION = "ZZ-BG"  # a share of the lots, for the delivery_regions filter
KM_PER_DEGREE = 111.195


def point_near(rng: random.Random, lat: float, lng: float, km: float) -> tuple[float, float]:
    distance, bearing = km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / KM_PER_DEGREE
    dlng = distance * math.sin(bearing) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return lat + dlat, lng + dlng


def open_cutoff(moment: datetime) -> str | None:
    """A cut-off later today that stays ahead of the clock for the whole test, if any."""
    return f"{moment.hour + 2:02d}:00" if moment.hour < 21 else None


def random_lot(rng: random.Random, center: tuple[float, float], buyer: str) -> Availability:
    moment = datetime.now(UTC)
    unit = rng.choice(["t", "kg", "bale"])
    total = Decimal(rng.randint(1, 400))
    lot = Availability(
        id=uuid.UUID(int=rng.getrandbits(128)),
        seller_id=f"bf-seller-{rng.randint(0, 30)}",
        company_id=f"bf-co-{rng.randint(0, 5)}",
        commodity="cotton",
        quantity_unit=unit,
        total_quantity=total,
        available_quantity=total,
        state=LotState.ACTIVE,
        # Old enough to stay out of every other test's anomaly baseline (90 days).
        create_time=moment - timedelta(days=200),
        update_time=moment,
        revision=1,
        grade=rng.choice(["31-3", "41-4", "51-5"]),
        delivery_region=REGION,
        incoterm=rng.choice(["FOB", "CIF", "EXW"]),
        supported_incoterms=rng.choice([[], ["FOB"], ["CIF", "FOB"]]),
    )
    if rng.random() < 0.3:
        lot.delivery_region = OTHER_REGION
    if rng.random() < 0.3:
        lot.min_order_quantity = Decimal(rng.randint(1, int(total)))
    lot.allow_partial_order = rng.random() > 0.15
    roll = rng.random()
    if roll < 0.04:
        lot.available_from = moment + timedelta(days=rng.randint(1, 30))  # not yet
    elif roll < 0.08:
        lot.available_until = moment - timedelta(days=rng.randint(1, 30))  # over
    elif roll < 0.2:
        lot.available_from = moment - timedelta(days=2)
        lot.available_until = moment + timedelta(days=2)
    roll = rng.random()
    if roll < 0.1:
        lot.eod_cutoff = "00:00"  # closed all day
    elif roll < 0.2:
        lot.eod_cutoff = open_cutoff(moment) or ""
    if rng.random() < 0.9:
        staple = round(rng.uniform(24, 34), 2)
        lot.quality_params["staple_length"] = (
            {"text": f"{staple / 10} cm", "unit": ""}
            if rng.random() < 0.2
            else {"number": staple, "unit": "mm"}
        )
    if rng.random() < 0.85:
        mic = round(rng.uniform(3.0, 6.0), 1)
        lot.quality_params["micronaire"] = {
            "number": mic * 10 if rng.random() < 0.2 else mic,
            "unit": "",
        }
    roll = rng.random()
    if roll < 0.8:
        lot.base_price_amount, lot.base_price_currency = (
            Decimal(rng.randint(120000, 260000)) / 100,
            "USD",
        )
        lot.price_unit = "t"
    elif roll < 0.88:
        lot.base_price_amount, lot.base_price_currency = (
            Decimal(rng.randint(5500, 12000)) / 100,
            "USc",
        )
        lot.price_unit = "lb"
    elif roll < 0.95:
        lot.base_price_amount, lot.base_price_currency = Decimal(rng.randint(100000, 200000)), "INR"
        lot.price_unit = "t"
    else:
        lot.price_type = PriceType.NEGOTIABLE
    if rng.random() < 0.97:
        lot.latitude, lot.longitude = point_near(rng, *center, 320)
    roll = rng.random()
    if roll < 0.04:
        lot.state = LotState.DRAFT
    elif roll < 0.08:
        lot.state, lot.available_quantity, lot.sold_quantity = LotState.SOLD, Decimal(0), total
    elif roll < 0.11:
        lot.available_quantity, lot.reserved_quantity = Decimal(0), total  # nothing left
    elif roll < 0.14:
        lot.delete_time = moment
    elif roll < 0.3:
        part = Decimal(rng.randint(0, int(total)))
        lot.available_quantity, lot.reserved_quantity = total - part, part
    roll = rng.random()
    if roll < 0.05:
        lot.market_visibility, lot.restricted_buyer_ids = Visibility.PRIVATE, ["someone-else"]
    elif roll < 0.1:
        lot.market_visibility, lot.restricted_buyer_ids = Visibility.PRIVATE, [buyer]
    elif roll < 0.15:
        lot.market_visibility = Visibility.RESTRICTED
        lot.allowed_regions = rng.choice([[REGION], ["XX-NOPE"]])
    elif roll < 0.18:
        lot.market_visibility = Visibility.INTERNAL
    lot.ai_price_anomaly = rng.random() < 0.05
    if lot.ai_price_anomaly:
        # A real slip (cents entered as dollars), so the price review (price_review.py), which
        # clears flags whose verdict no longer holds, leaves this one while the test pages.
        lot.price_type, lot.price_unit = PriceType.FIXED, "t"
        lot.base_price_amount, lot.base_price_currency = Decimal(165000), "USD"
    lot.ai_confidence_score = round(rng.random(), 3)
    return lot


@pytest.fixture(scope="module")
def market(app: Application, engine: Engine) -> Iterator[tuple[tuple[float, float], str]]:
    rng = random.Random(20261129)
    center = (rng.uniform(-40, -20), rng.uniform(-150, -120))  # open South Pacific
    buyer = f"bf-buyer-{uuid.uuid4().hex[:8]}"
    enrich = app.services.lots.enrich
    lots = []
    for _ in range(LOTS):
        lot = random_lot(rng, center, buyer)
        violations = Violations()
        enrich.prepare(lot, violations)  # type: ignore[attr-defined]  # the LotEnricher
        assert not violations, violations.items
        lots.append(row_values(lot))
    # Twins: one lot copied with new ids, so many matches tie on embedding distance and
    # score, where only the name orders them.
    twin = next(lot for lot in lots if lot["state"] == "ACTIVE" and lot["latitude"] is not None)
    lots += [dict(twin, id=uuid.UUID(int=rng.getrandbits(128))) for _ in range(TWINS)]
    with engine.begin() as conn:
        conn.execute(insert(t), lots)
    yield center, buyer
    with engine.begin() as conn:
        conn.execute(delete(t).where(t.c.id.in_([lot["id"] for lot in lots])))


def target(value: pb.QualityValue | None = None, **limits: float) -> search_pb2.QualityTarget:
    made = search_pb2.QualityTarget(**limits)
    if value is not None:
        made.value.CopyFrom(value)
    return made


REQUESTS: dict[str, dict[str, Any]] = {
    "targets, price, radius and quantity": dict(
        quality_targets={
            "staple_length": target(pb.QualityValue(number=29, unit="mm"), tolerance=3.0),
            "micronaire": target(min=3.2, max=5.5),
        },
        max_price=pb.Money(currency_code="USD", amount="2000"),
        price_tolerance_percent=5,
        radius_km=250,
        min_quantity="5000",
        score_threshold=0.1,
        page_size=150,
    ),
    # The benchmark's matching shape: read by score bound from the covering index
    # (service_layer.search_bounded), every page; the other shapes with `near` too.
    "matching: two targets with tolerances, a max price, default weights": dict(
        quality_targets={
            "staple_length": target(pb.QualityValue(number=28.5, unit="mm"), tolerance=2.0),
            "micronaire": target(pb.QualityValue(number=4.4), tolerance=0.6),
        },
        max_price=pb.Money(currency_code="USD", amount="2300"),
        radius_km=300,
        page_size=30,
    ),
    "radius only, anomalies included, custom weights": dict(
        radius_km=130,
        include_anomalies=True,
        page_size=200,
        weights=search_pb2.ScoreWeights(vector=1, distance=2, price=0),
    ),
    # Only the vector weight (the others unset mean their defaults): read nearest first in
    # growing prefixes (SearchService._ranked).
    "vector only, small pages": dict(
        radius_km=160,
        page_size=20,
        weights=search_pb2.ScoreWeights(vector=1, quality=0, price=0, confidence=0, distance=0),
    ),
    "vector only, a threshold and a price ceiling": dict(
        radius_km=280,
        max_price=pb.Money(currency_code="USD", amount="2100"),
        score_threshold=0.9,
        page_size=40,
        weights=search_pb2.ScoreWeights(vector=3, quality=0, price=0, confidence=0, distance=0),
    ),
    "targets in other units, cents per pound and an incoterm": dict(
        quality_targets={"staple": target(pb.QualityValue(text="2.9 cm"), tolerance_percent=4.0)},
        max_price=pb.Money(currency_code="USc", amount="80"),
        price_unit="USc/lb",
        radius_km=300,
        incoterm="FOB",
        page_size=97,
    ),
    "delivery regions and a price floor": dict(
        radius_km=300,
        delivery_regions=[OTHER_REGION.lower()],
        min_price=pb.Money(currency_code="USD", amount="1700"),
        page_size=60,
    ),
    "an order quantity inside a price band": dict(
        radius_km=300,
        order_quantity="20000",  # kg: 20 t, 20000 kg or about 92 bales
        min_price=pb.Money(currency_code="USD", amount="1500"),
        max_price=pb.Money(currency_code="USD", amount="2500"),
        page_size=50,
    ),
    # Without `near`, the two regions of this data set keep every other test's lots out.
    "without near: both regions, an order quantity and a price floor": dict(
        delivery_regions=[REGION, OTHER_REGION],
        order_quantity="7500",
        min_price=pb.Money(currency_code="USc", amount="60"),
        price_unit="USc/lb",
        page_size=80,
    ),
    # Without targets and without a point, pages come from one index list per factor
    # (service_layer.search_threshold): every weight shape, ties (the twins), a threshold.
    "without near or targets: default weights": dict(
        delivery_regions=[REGION, OTHER_REGION], page_size=25
    ),
    "without near or targets: vector only": dict(
        delivery_regions=[REGION, OTHER_REGION],
        page_size=150,
        weights=search_pb2.ScoreWeights(vector=1, quality=0, price=0, confidence=0, distance=0),
    ),
    "without near or targets: a max price and a threshold": dict(
        delivery_regions=[REGION, OTHER_REGION],
        max_price=pb.Money(currency_code="USD", amount="2100"),
        price_tolerance_percent=10,
        score_threshold=0.45,
        page_size=40,
    ),
    "without near or targets: price and confidence only, an order quantity": dict(
        delivery_regions=[REGION, OTHER_REGION],
        max_price=pb.Money(currency_code="USD", amount="2400"),
        order_quantity="5000",
        page_size=50,
        weights=search_pb2.ScoreWeights(vector=0, quality=0, price=2, confidence=1, distance=0),
    ),
    # One weighted factor: lots tied on its input (confidences of three decimals, the
    # twins' embeddings) are final up to the last id read (ThresholdReader._settled_by_key).
    "without near or targets: confidence only": dict(
        delivery_regions=[REGION, OTHER_REGION],
        page_size=45,
        weights=search_pb2.ScoreWeights(vector=0, quality=0, price=0, confidence=1, distance=0),
    ),
    "without near or targets: price only": dict(
        delivery_regions=[REGION, OTHER_REGION],
        max_price=pb.Money(currency_code="USD", amount="2300"),
        page_size=35,
        weights=search_pb2.ScoreWeights(vector=0, quality=0, price=1, confidence=0, distance=0),
    ),
    "without near or targets: no weight at all": dict(
        delivery_regions=[REGION],
        page_size=200,
        weights=search_pb2.ScoreWeights(vector=0, quality=0, price=0, confidence=0, distance=0),
    ),
}
NO_POINT = {name for name in REQUESTS if name.startswith("without near")}
MATCHING = "matching: two targets with tolerances, a max price, default weights"


@pytest.mark.parametrize("shape", list(REQUESTS))
def test_paged_search_equals_brute_force_scoring(
    shape: str,
    market: tuple[tuple[float, float], str],
    app: Application,
    engine: Engine,
    caller: Callable[..., Caller],
) -> None:
    center, buyer = market
    who = caller("BUYER", sub=buyer, region=REGION)
    principal = Principal(buyer, None, frozenset({Role.BUYER}), REGION)
    request = api.SearchAvailabilitiesRequest(commodity="cotton", **REQUESTS[shape])
    if shape not in NO_POINT:
        request.near.CopyFrom(pb.LatLng(latitude=center[0], longitude=center[1]))
    scope = t.c.delivery_region.in_([REGION, OTHER_REGION])
    expected = brute_force(engine, app.services.search, principal, request, scope)
    assert len(expected) > 100  # the data set really exercises paging and filters
    assert_same_results(paged(who, request), expected)


@pytest.mark.parametrize("shape", list(REQUESTS))
def test_search_reads_in_small_chunks_until_the_page_is_proven_final(
    shape: str,
    market: tuple[tuple[float, float], str],
    app: Application,
    engine: Engine,
    caller: Callable[..., Caller],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same pages when every read is tiny: each page needs many reads that continue
    where the last stopped, a read that reaches below the threshold ends the search there,
    and the matches far outnumber what one read may take; the factor lists serve the first
    pages, reads by approximate score the deeper ones."""
    monkeypatch.setattr(search_module, "FIRST_PREFIX", 1)
    monkeypatch.setattr(search_module, "PREFIX_FACTOR", 1)
    monkeypatch.setattr(search_module, "PREFIX_GROWTH", 2)
    monkeypatch.setattr(search_module, "CANDIDATE_LIMIT", 37)
    monkeypatch.setattr(search_module, "LIST_DEPTH", 90)  # then by approximate score
    test_paged_search_equals_brute_force_scoring(shape, market, app, engine, caller)


def first_page_and_rows_read(
    request: api.SearchAvailabilitiesRequest,
    market: tuple[tuple[float, float], str],
    app: Application,
    engine: Engine,
    caller: Callable[..., Caller],
    counted: tuple[pytest.MonkeyPatch, Any, str, Callable[[Any], int]],
) -> tuple[int, list[int]]:
    """Checks the request's first page (10) against brute force; returns the number of
    matches and the rows each call of the read `counted` names (monkeypatch, module,
    function, rows of its result) returned."""
    monkeypatch, module, function, rows_of = counted
    read: list[int] = []
    original = getattr(module, function)

    def counting(*args: Any) -> Any:
        found = original(*args)
        read.append(rows_of(found))
        return found

    monkeypatch.setattr(module, function, counting)
    _, buyer = market
    request.page_size = 10
    principal = Principal(buyer, None, frozenset({Role.BUYER}), REGION)
    scope = t.c.delivery_region.in_([REGION, OTHER_REGION])
    expected = brute_force(engine, app.services.search, principal, request, scope)
    page = caller("BUYER", sub=buyer, region=REGION).SearchAvailabilities(request)
    assert [r.availability.name for r in page.results] == [name for name, _ in expected[:10]]
    assert [r.score for r in page.results] == pytest.approx(
        [score for _, score in expected[:10]], rel=1e-12
    )
    return len(expected), read


@pytest.mark.parametrize(
    "weights",
    [
        search_pb2.ScoreWeights(),
        search_pb2.ScoreWeights(vector=1, quality=0, price=0, confidence=0, distance=0),
    ],
    ids=["default weights", "vector only"],
)
def test_a_first_page_without_targets_or_point_is_proven_from_a_few_rows_of_the_market(
    weights: search_pb2.ScoreWeights,
    market: tuple[tuple[float, float], str],
    app: Application,
    engine: Engine,
    caller: Callable[..., Caller],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The factor lists prove the page after reading a few rows of each list: not the
    thousands of lots that pass the filters (nor the ties on the vector factor)."""
    request = api.SearchAvailabilitiesRequest(
        commodity="cotton", delivery_regions=[REGION, OTHER_REGION]
    )
    request.weights.CopyFrom(weights)
    counted = (
        monkeypatch,
        search_lists,
        "read_lists",
        lambda found: sum(len(rows) for rows in found.values()),
    )
    matches, read = first_page_and_rows_read(request, market, app, engine, caller, counted)
    assert matches > 1000
    assert 0 < sum(read) <= 300


LIST_INDEXES = {
    "vector only": (
        search_pb2.ScoreWeights(vector=1, quality=0, price=0, confidence=0, distance=0),
        "availabilities_search_centre_cotton",
    ),
    "default weights": (search_pb2.ScoreWeights(), "availabilities_search_mix_cotton"),
    "vector and confidence alike": (
        search_pb2.ScoreWeights(vector=1, quality=0, price=0, confidence=1, distance=0),
        "availabilities_search_band_cotton",
    ),
}


@pytest.mark.parametrize("weights", list(LIST_INDEXES))
def test_the_factor_lists_are_read_in_exact_order_from_their_b_trees_never_from_a_graph(
    weights: str,
    market: tuple[tuple[float, float], str],
    app: Application,
    engine: Engine,
    caller: Callable[..., Caller],
) -> None:
    """ListSimilar's per-commodity HNSW graphs (migration 0009) cover every searchable lot
    of a commodity; a list read by cosine distance must still come from the exact B-tree
    (migration 0011; by band or by the default mix, 0012: the query spells each index's
    expression), since a graph's order is approximate and the page would differ."""
    request_weights, index = LIST_INDEXES[weights]
    sent: list[str] = []

    def capture(conn: Any, cursor: Any, *args: Any) -> None:
        query = cursor.query.decode()
        if "list_name" in query:
            sent.append(query)

    request = api.SearchAvailabilitiesRequest(
        commodity="cotton", delivery_regions=[REGION, OTHER_REGION], weights=request_weights
    )
    _, buyer = market
    event.listen(app.engine, "after_cursor_execute", capture)
    try:
        caller("BUYER", sub=buyer, region=REGION).SearchAvailabilities(request)
    finally:
        event.remove(app.engine, "after_cursor_execute", capture)
    assert sent
    indexes: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if "Index Name" in node:
            indexes.add(node["Index Name"])
        for child in node.get("Plans", []):
            walk(child)

    with engine.begin() as conn:
        # Which indexes can give the list its order, not the planner's cost choice over
        # this test's table (a sort can be cheaper here, depending on its statistics).
        conn.execute(text("SET LOCAL enable_sort = off"))
        for query in sent:
            walk(conn.execute(text("EXPLAIN (FORMAT JSON) " + query)).scalar_one()[0]["Plan"])
    assert index in indexes
    assert not [name for name in indexes if name.startswith("availabilities_similar_")]


def test_a_first_matching_page_is_proven_from_a_few_lots_of_the_radius(
    market: tuple[tuple[float, float], str],
    app: Application,
    engine: Engine,
    caller: Callable[..., Caller],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A matching search (targets, a max price, a radius) reads its lots by score bound
    from the covering index, and only a few of them from the table: not the hundreds
    that pass its filters (nor the thousands in the radius)."""
    request = api.SearchAvailabilitiesRequest(commodity="cotton", **REQUESTS[MATCHING])
    center, _ = market
    request.near.CopyFrom(pb.LatLng(latitude=center[0], longitude=center[1]))
    counted = (monkeypatch, search_bounds, "bounded_candidates", lambda found: found.read)
    matches, read = first_page_and_rows_read(request, market, app, engine, caller, counted)
    assert matches > 250
    assert 0 < sum(read) <= 128, read
