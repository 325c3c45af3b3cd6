"""Search, similar lots and negotiation readiness through the real server.

Every test posts its lots (as a TRADER, who may post from any point) around a random point
of its own and searches within a radius of it, so tests sharing the database never see
each other's lots.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details, random_point
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2

KM_PER_DEGREE = 111.195


@pytest.fixture
def trader(caller: Callable[..., Caller]) -> Caller:
    return caller("TRADER", company=f"co-{uuid.uuid4().hex[:6]}")


def spot() -> pb.LatLng:
    """A random point of this test's own, far from Rajkot where the default lots sit."""
    return random_point()


def at(center: pb.LatLng, north_km: float = 0.0, east_km: float = 0.0) -> pb.LatLng:
    lat = center.latitude + north_km / KM_PER_DEGREE
    lng = center.longitude + east_km / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return pb.LatLng(latitude=lat, longitude=lng)


def post(
    trader: Caller,
    admin: Caller,
    where: pb.LatLng,
    *,
    staple: float = 29.0,
    price: str = "1650",
    approve: bool = True,
    **overrides: Any,
) -> str:
    lot = cotton_lot(
        delivery_location=where,
        delivery_region="ZZ-SEARCH",
        base_price=pb.Money(currency_code="USD", amount=price),
        **overrides,
    )
    lot.quality_params["staple_length"].number = staple
    created = trader.CreateAvailability(api.CreateAvailabilityRequest(availability=lot))
    name = created.availability.name
    if approve:
        admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
    return name


def search(
    caller: Caller, center: pb.LatLng, radius_km: float = 100.0, **fields: Any
) -> api.SearchAvailabilitiesResponse:
    fields.setdefault("include_anomalies", True)  # prices here are not what is under test
    request = api.SearchAvailabilitiesRequest(
        commodity="cotton", near=center, radius_km=radius_km, **fields
    )
    response: api.SearchAvailabilitiesResponse = caller.SearchAvailabilities(request)
    return response


def names(response: api.SearchAvailabilitiesResponse) -> list[str]:
    return [r.availability.name for r in response.results]


def staple_target(value: float, **limits: float) -> dict[str, search_pb2.QualityTarget]:
    return {
        "staple_length": search_pb2.QualityTarget(
            value=pb.QualityValue(number=value, unit="mm"), **limits
        )
    }


def test_search_ranks_closer_staple_lower_price_and_nearer_lots_first(
    trader: Caller, admin: Caller, buyer: Caller
) -> None:
    c = spot()
    best = post(trader, admin, at(c, 10), staple=29.0, price="1600")
    farther = post(trader, admin, at(c, 60), staple=29.0, price="1600")
    off_staple = post(trader, admin, at(c, 10), staple=29.6, price="1600")
    dearer = post(trader, admin, at(c, 10), staple=29.0, price="1700")
    # Confidence grows with the market history when each lot was posted; leave it out so
    # the order depends on staple, price and distance only.
    response = search(
        buyer,
        c,
        quality_targets=staple_target(29.0, tolerance=1.0),
        max_price=pb.Money(currency_code="USD", amount="1800"),
        weights=search_pb2.ScoreWeights(confidence=0),
    )
    assert names(response) == [best, dearer, farther, off_staple]
    top = response.results[0]
    assert {f.name for f in top.breakdown} == {
        "vector",
        "quality",
        "price",
        "confidence",
        "distance",
    }
    assert sum(f.contribution for f in top.breakdown) == pytest.approx(top.score)
    assert 0 <= top.score <= 1
    assert top.distance_km == pytest.approx(10.0, rel=0.01)
    assert response.revision > 0


def test_a_lot_exactly_at_a_tolerance_edge_is_found_and_one_just_beyond_is_not(
    trader: Caller, admin: Caller, buyer: Caller
) -> None:
    c = spot()
    upper = post(trader, admin, at(c, 5), staple=30.0)
    lower = post(trader, admin, at(c, 5), staple=28.0)
    beyond = post(trader, admin, at(c, 5), staple=30.01)
    found = names(search(buyer, c, quality_targets=staple_target(29.0, tolerance=1.0)))
    assert upper in found and lower in found and beyond not in found
    bounded = {"staple_length": search_pb2.QualityTarget(min=28.0, max=30.0)}
    found = names(search(buyer, c, quality_targets=bounded))
    assert upper in found and lower in found and beyond not in found
    # 1 % of 29.4 is 0.294: 29.694 is on the edge, 29.695 beyond it.
    edge = post(trader, admin, at(c, 5), staple=29.694)
    past = post(trader, admin, at(c, 5), staple=29.695)
    found = names(search(buyer, c, quality_targets=staple_target(29.4, tolerance_percent=1.0)))
    assert edge in found and past not in found


def test_the_price_ceiling_and_its_tolerance_are_inclusive(
    trader: Caller, admin: Caller, buyer: Caller
) -> None:
    c = spot()
    at_limit = post(trader, admin, at(c, 5), price="1815")
    above = post(trader, admin, at(c, 5), price="1815.01")
    found = names(
        search(
            buyer,
            c,
            max_price=pb.Money(currency_code="USD", amount="1650"),
            price_tolerance_percent=10.0,
        )
    )
    assert at_limit in found and above not in found


def test_a_lot_exactly_at_the_radius_is_found_and_one_just_beyond_is_not(
    trader: Caller, admin: Caller, buyer: Caller
) -> None:
    c = spot()
    lot = post(trader, admin, at(c, 80))
    hit = next(r for r in search(buyer, c, radius_km=200).results if r.availability.name == lot)
    assert hit.distance_km == pytest.approx(80.0, rel=0.01)
    assert lot in names(search(buyer, c, radius_km=hit.distance_km))
    assert lot not in names(search(buyer, c, radius_km=hit.distance_km - 1e-6))


def test_paging_returns_every_match_exactly_once(
    trader: Caller, admin: Caller, buyer: Caller
) -> None:
    c = spot()
    posted = {post(trader, admin, at(c, i * 3), staple=28.0 + i * 0.1) for i in range(12)}
    whole = names(search(buyer, c, page_size=200))
    assert set(whole) == posted
    seen: list[str] = []
    token = ""
    for _ in range(10):
        page = search(buyer, c, page_size=5, page_token=token)
        assert len(page.results) <= 5
        seen += names(page)
        token = page.next_page_token
        if not token:
            break
    assert seen == whole
    with pytest.raises(grpc.RpcError) as err:
        search(
            buyer,
            c,
            radius_km=99,
            page_size=5,
            page_token=search(buyer, c, page_size=5).next_page_token,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["fields"] == ["page_token"]


def test_search_returns_only_active_visible_lots_and_flagged_ones_on_request(
    trader: Caller, admin: Caller, buyer: Caller, caller: Callable[..., Caller]
) -> None:
    c = spot()
    public = post(trader, admin, at(c, 1))
    draft = post(trader, admin, at(c, 1), approve=False)
    listed = caller("BUYER", region="IN-GJ")
    private = post(
        trader,
        admin,
        at(c, 1),
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=[listed.subject],
    )
    flagged = post(trader, admin, at(c, 1), price="165000")
    found = names(search(buyer, c, include_anomalies=False))
    assert public in found
    assert draft not in found and private not in found and flagged not in found
    assert flagged in names(search(buyer, c, include_anomalies=True))
    assert private in names(search(listed, c))


def test_search_refuses_an_unknown_commodity_and_a_radius_without_a_point(buyer: Caller) -> None:
    with pytest.raises(grpc.RpcError) as err:
        buyer.SearchAvailabilities(api.SearchAvailabilitiesRequest(commodity="unobtainium"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["fields"] == ["commodity"]
    assert "cotton" in (err.value.details() or "")
    with pytest.raises(grpc.RpcError) as err:
        buyer.SearchAvailabilities(
            api.SearchAvailabilitiesRequest(commodity="cotton", radius_km=10)
        )
    assert error_details(err.value)["fields"] == ["near"]
    with pytest.raises(grpc.RpcError) as err:
        buyer.SearchAvailabilities(
            api.SearchAvailabilitiesRequest(
                commodity="cotton", quality_targets=staple_target(99.0, tolerance=1.0)
            )
        )
    assert error_details(err.value)["fields"] == ["quality_targets[staple_length]"]


def test_similar_lots_are_the_same_commodity_first_then_its_family(
    trader: Caller, admin: Caller, buyer: Caller
) -> None:
    c = spot()

    def grain(commodity: str, protein: float, **extra: Any) -> str:
        lot = pb.Availability(
            commodity=commodity,
            quantity_unit="t",
            total_quantity="500",
            base_price=pb.Money(currency_code="USD", amount="250"),
            delivery_location=at(c),
            delivery_region="ZZ-SIM",
            **extra,
        )
        lot.quality_params["moisture"].number = 12.0
        if commodity == "wheat":
            lot.quality_params["protein"].number = protein
        name = trader.CreateAvailability(api.CreateAvailabilityRequest(availability=lot))
        admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name.availability.name))
        return name.availability.name

    source = grain("wheat", 12.0)
    twin = grain("wheat", 12.1)
    corn = grain("corn", 0)
    hidden = grain(
        "wheat",
        12.0,
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=["someone-else"],
    )
    results = buyer.ListSimilarAvailabilities(
        api.ListSimilarAvailabilitiesRequest(name=source, page_size=100)
    ).results
    found = [r.availability.name for r in results]
    assert source not in found and hidden not in found
    assert twin in found and corn in found
    flags = [r.same_commodity for r in results]
    assert flags == sorted(flags, reverse=True)  # same commodity first
    assert all(r.availability.commodity in {"wheat", "corn"} for r in results)
    assert all(0 <= r.similarity <= 1 for r in results)
    twin_hit = results[found.index(twin)]
    assert twin_hit.same_commodity and twin_hit.similarity > results[found.index(corn)].similarity


def test_readiness_names_its_factors_and_grows_when_the_lot_is_approved(
    trader: Caller, admin: Caller, buyer: Caller, service: Caller
) -> None:
    name = post(trader, admin, at(spot()), approve=False)
    draft = trader.GetNegotiationReadiness(api.GetNegotiationReadinessRequest(name=name))
    factors = {f.name: f for f in draft.factors}
    assert set(factors) == {
        "approved",
        "quantity_available",
        "price_in_band",
        "quality_completeness",
        "time_left",
        "seller_hold_load",
    }
    assert not draft.ready and factors["approved"].value == 0
    assert factors["price_in_band"].value == 1.0
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
    ready = buyer.GetNegotiationReadiness(api.GetNegotiationReadinessRequest(name=name))
    assert ready.ready and ready.score > draft.score
    assert {f.name: f.value for f in ready.factors}["approved"] == 1.0
    service.ReserveAvailability(
        api.ReserveAvailabilityRequest(
            name=name, quantity="40", buyer_id=buyer.subject, request_id=uuid.uuid4().hex
        )
    )
    held = buyer.GetNegotiationReadiness(api.GetNegotiationReadinessRequest(name=name))
    values = {f.name: f.value for f in held.factors}
    assert values["seller_hold_load"] == pytest.approx(0.0)  # its only hold is open
    assert values["quantity_available"] == pytest.approx(0.6)
    with pytest.raises(grpc.RpcError) as err:
        buyer.GetNegotiationReadiness(
            api.GetNegotiationReadinessRequest(name=f"availabilities/{uuid.uuid4()}")
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_similar_lots_tied_on_distance_come_by_name_whatever_the_graph_walk_found_first(
    trader: Caller, admin: Caller, buyer: Caller
) -> None:
    """Lots with one embedding are all equally near: the page holds the first by name."""
    grade = f"tie-{uuid.uuid4().hex[:8]}"
    twins = []
    for _ in range(8):
        lot = pb.Availability(
            commodity="wheat",
            quantity_unit="t",
            total_quantity="300",
            base_price=pb.Money(currency_code="USD", amount="240"),
            delivery_location=at(spot()),
            delivery_region="ZZ-TIE",
            grade=grade,
        )
        lot.quality_params["protein"].number = 13.37
        created = trader.CreateAvailability(api.CreateAvailabilityRequest(availability=lot))
        admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=created.availability.name))
        twins.append(created.availability.name)
    source, others = twins[0], sorted(twins[1:])
    results = buyer.ListSimilarAvailabilities(
        api.ListSimilarAvailabilitiesRequest(name=source, page_size=3)
    ).results
    assert [r.availability.name for r in results] == others[:3]
