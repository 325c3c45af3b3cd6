"""Every shape of SearchAvailabilities and ListSimilarAvailabilities works.

Each optional field is tried present (alone, on top of the required commodity) and absent
(left out of a request that sets every other one), over a market that gives results, so a
request shape nobody tried cannot end in INTERNAL (issue 12: every search without `near`
used to fail on an untyped NULL distance).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from tests.support.callers import Caller, make_token
from tests.support.lots import cotton_lot, random_point, register_location
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2

RADIUS_KM = 50.0


def _timestamp(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


class Market:
    """Three approved cotton lots at a point of this module's own, and one caller to search."""

    def __init__(self, channel: grpc.Channel) -> None:
        def make(role: str) -> Caller:
            subject = f"{role.lower()}-shapes-{uuid.uuid4().hex[:6]}"
            return Caller(channel, make_token(subject, [role], region="IN-GJ"), subject)

        admin, self.buyer = make("ADMIN"), make("BUYER")
        seller = make("TRADER")
        self.point = random_point()
        seller.location_id = register_location(
            admin, seller.subject, point=self.point, region="ZZ-SHAPES"
        ).location_id
        self.names = []
        for staple in (28.8, 29.0, 29.2):
            lot = cotton_lot(delivery_location=self.point, delivery_region="ZZ-SHAPES")
            lot.quality_params["staple_length"].number = staple
            name = seller.CreateAvailability(
                api.CreateAvailabilityRequest(availability=lot)
            ).availability.name
            admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
            self.names.append(name)


@pytest.fixture(scope="module")
def market(channel: grpc.Channel) -> Iterator[Market]:
    yield Market(channel)


def every_optional_field(market: Market) -> dict[str, dict[str, Any]]:
    """Each optional field (near and radius_km go together) with a value the market meets."""
    now = datetime.now(UTC)
    return {
        "quality_targets": {
            "quality_targets": {
                "staple_length": search_pb2.QualityTarget(
                    value=pb.QualityValue(number=29.0, unit="mm"), tolerance=1.0
                )
            }
        },
        "max_price": {"max_price": pb.Money(currency_code="USD", amount="1800")},
        "price_tolerance_percent": {"price_tolerance_percent": 5.0},
        "near": {"near": market.point, "radius_km": RADIUS_KM},
        "min_quantity": {"min_quantity": "1000"},
        "include_anomalies": {"include_anomalies": True},
        "weights": {"weights": search_pb2.ScoreWeights(vector=0.5, quality=0.3, price=0.2)},
        "score_threshold": {"score_threshold": 0.01},
        "page_size": {"page_size": 2},
        "page_token": {"page_token": "<from a first page>"},
        "delivery_window_start": {"delivery_window_start": _timestamp(now - timedelta(days=1))},
        "delivery_window_end": {"delivery_window_end": _timestamp(now + timedelta(days=365))},
        "incoterm": {"incoterm": "FOB"},
        "price_unit": {
            "max_price": pb.Money(currency_code="USD", amount="1800"),
            "price_unit": "USD/t",
        },
    }


OPTIONAL = [
    "quality_targets",
    "max_price",
    "price_tolerance_percent",
    "near",
    "min_quantity",
    "include_anomalies",
    "weights",
    "score_threshold",
    "page_size",
    "page_token",
    "delivery_window_start",
    "delivery_window_end",
    "incoterm",
    "price_unit",
]

# Shapes beyond one field at a time that take other code paths.
EXTRA_SHAPES: dict[str, dict[str, Any]] = {
    "commodity alone": {},
    "vector weight only": {
        "weights": search_pb2.ScoreWeights(vector=1, quality=0, price=0, confidence=0)
    },
    "price ceiling alone": {"max_price": pb.Money(currency_code="USD", amount="5000")},
    "quality range by min and max": {
        "quality_targets": {"staple_length": search_pb2.QualityTarget(min=28.0, max=30.0)}
    },
    "quality target by percent": {
        "quality_targets": {
            "staple_length": search_pb2.QualityTarget(
                value=pb.QualityValue(number=29.0, unit="mm"), tolerance_percent=5.0
            )
        }
    },
    # Numbers at the edges of a double: the SQL order key is float8 arithmetic, which raises
    # on overflow and on division by zero where Python would give inf or refuse quietly.
    "weights near the largest double, with a target and a point": {
        "weights": search_pb2.ScoreWeights(vector=1.7976931348623157e308, quality=1.7e308),
        "quality_targets": {
            "staple_length": search_pb2.QualityTarget(
                value=pb.QualityValue(number=29.0, unit="mm"), tolerance=1.0
            )
        },
        "near": "<the market's point>",
    },
    "a subnormal tolerance percent (only the exact match passes)": {
        "quality_targets": {
            "staple_length": search_pb2.QualityTarget(
                value=pb.QualityValue(number=29.0, unit="mm"), tolerance_percent=5e-324
            )
        },
        "near": "<the market's point>",
    },
}


def run(market: Market, fields: dict[str, Any]) -> api.SearchAvailabilitiesResponse:
    """Searches cotton with `fields`; a page_token placeholder is replaced by a real one."""
    fields = dict(fields)
    if fields.get("near") == "<the market's point>":
        fields.update(near=market.point, radius_km=RADIUS_KM)
    if "page_token" in fields:
        first = dict(fields, page_size=1)
        del first["page_token"]
        fields["page_token"] = market.buyer.SearchAvailabilities(
            api.SearchAvailabilitiesRequest(commodity="cotton", **first)
        ).next_page_token
        assert fields["page_token"], "the first page must say another follows"
    response: api.SearchAvailabilitiesResponse = market.buyer.SearchAvailabilities(
        api.SearchAvailabilitiesRequest(commodity="cotton", **fields)
    )
    return response


def check(market: Market, response: api.SearchAvailabilitiesResponse, local: bool) -> None:
    assert response.results, "the market has lots for every shape"
    assert response.revision > 0
    if local:  # only the market's own lots lie within its radius
        assert {r.availability.name for r in response.results} <= set(market.names)
    for result in response.results:
        assert 0 <= result.score <= 1
        assert sum(f.contribution for f in result.breakdown) == pytest.approx(result.score)


@pytest.mark.parametrize("field", OPTIONAL)
def test_a_search_with_only_this_optional_field_answers(market: Market, field: str) -> None:
    fields = every_optional_field(market)[field]
    check(market, run(market, fields), local="near" in fields)


@pytest.mark.parametrize("field", OPTIONAL)
def test_a_search_with_every_optional_field_but_this_one_answers(
    market: Market, field: str
) -> None:
    shapes = every_optional_field(market)
    fields: dict[str, Any] = {}
    for name, values in shapes.items():
        if name != field:
            fields.update(values)
    if field == "max_price":
        fields.pop("price_unit")  # price_unit belongs to max_price: absent with it
    check(market, run(market, fields), local="near" in fields)


@pytest.mark.parametrize("shape", list(EXTRA_SHAPES))
def test_other_search_shapes_answer(market: Market, shape: str) -> None:
    check(market, run(market, EXTRA_SHAPES[shape]), local=False)


@pytest.mark.parametrize("page_size", [None, 1, 100])
def test_list_similar_answers_with_and_without_a_page_size(
    market: Market, page_size: int | None
) -> None:
    request = api.ListSimilarAvailabilitiesRequest(name=market.names[0])
    if page_size is not None:
        request.page_size = page_size
    results = market.buyer.ListSimilarAvailabilities(request).results
    assert results
    assert len(results) <= (page_size or 10)
    assert market.names[0] not in {r.availability.name for r in results}
    assert all(0 <= r.similarity <= 1 for r in results)
