"""The price-anomaly baseline is the market's: approved lots of other sellers, each seller's
weight capped, and a flag whose baseline no longer holds is cleared by the price review.

Each test prices its cotton in a currency of its own, so its baseline is its own market
(baselines are per canonical price unit) and no other test's lots can move it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import grpc
import pytest
from sqlalchemy import Engine, text

from availability_service.app import Application, build_application
from availability_service.intelligence import load_catalog
from availability_service.service_layer.price_review import REVIEW_ACTOR, PriceReview
from tests.conftest import settings_for
from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tests.support.market import (
    MARKET_POINT,
    approved_market,
    fresh_grade_and_region,
    post,
    post_approved,
    priced,
)
from tests.support.server import ServerThread
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

# The review interval of this module's own server: short, so the bound is quick to see.
RECHECK_SECONDS = 0.2
# How long the test waits for the flag to go: many intervals, for a noisy machine.
PATIENCE_SECONDS = 60.0


def trader_of(make_caller: Callable[..., Caller]) -> Caller:
    return make_caller("TRADER", company=f"co-{uuid.uuid4().hex[:6]}")


def lot_id(lot: pb.Availability) -> uuid.UUID:
    return uuid.UUID(lot.name.removeprefix("availabilities/"))


def test_sixty_private_drafts_of_one_seller_do_not_get_a_rivals_honest_lot_flagged(
    caller: Callable[..., Caller], admin: Caller
) -> None:
    grade, region = fresh_grade_and_region()
    poisoner = trader_of(caller)
    for _ in range(60):
        draft = post(
            poisoner,
            cotton_lot(
                grade=grade,
                delivery_region=region,
                base_price=priced("1500", "CHF"),
                market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
                restricted_buyer_ids=["buyer-in-on-it"],
            ),
        )
        assert draft.state == pb.Availability.STATE_DRAFT
    # Then the market of this grade, in another region: approved lots of four sellers.
    approved_market(caller, admin, grade=grade, region=f"{region}-B", price="1590", currency="CHF")
    rival = trader_of(caller)
    honest = post(
        rival, cotton_lot(grade=grade, delivery_region=region, base_price=priced("1590", "CHF"))
    )
    assert not honest.ai_price_anomaly, honest.ai_anomaly_reason
    assert Decimal(honest.ai_suggested_price.amount) == Decimal(1590)  # the market's median


def test_one_sellers_weight_in_the_baseline_is_capped_at_five_lots(
    caller: Callable[..., Caller], admin: Caller
) -> None:
    grade, region = fresh_grade_and_region()
    # One seller of a hundred approved lots at 1560, three sellers of five lots at 1600.
    market = {"grade": grade, "region": region, "currency": "ZAR"}
    approved_market(caller, admin, price="1560", sellers=1, lots_per_seller=100, **market)
    approved_market(caller, admin, price="1600", sellers=3, **market)
    rival = trader_of(caller)
    lot = post(
        rival, cotton_lot(grade=grade, delivery_region=region, base_price=priced("1600", "ZAR"))
    )
    # Five lots of the big seller and fifteen of the others: the median is 1600, not 1560.
    assert not lot.ai_price_anomaly, lot.ai_anomaly_reason
    assert Decimal(lot.ai_suggested_price.amount) == Decimal(1600)


def test_a_sellers_own_lots_are_not_in_its_baseline(
    caller: Callable[..., Caller], admin: Caller
) -> None:
    grade, region = fresh_grade_and_region()
    seller = trader_of(caller)
    at_1500 = cotton_lot(
        grade=grade,
        delivery_region=region,
        base_price=priced("1500", "PKR"),
        delivery_location=MARKET_POINT,
    )
    for _ in range(5):
        post_approved(seller, admin, at_1500)
    approved_market(
        caller, admin, grade=grade, region=region, price="1500", currency="PKR", sellers=3
    )
    # With its own five lots, the seller's 1700 would meet twenty prices at 1500 and be
    # flagged; without them, fifteen are too few to judge it (and PKR has no catalog band).
    lot = post(
        seller, cotton_lot(grade=grade, delivery_region=region, base_price=priced("1700", "PKR"))
    )
    assert not lot.ai_price_anomaly, lot.ai_anomaly_reason


@pytest.fixture(scope="module")
def reviewing_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Application]:
    """A second server process's application on the same database, reviewing every 0.2 s."""
    data_dir: Path = tmp_path_factory.mktemp("review")
    application = build_application(
        settings_for(database_url, data_dir, price_recheck_interval_seconds=RECHECK_SECONDS)
    )
    yield application
    application.close()


@pytest.fixture(scope="module")
def reviewing_channel(reviewing_app: Application) -> Iterator[grpc.Channel]:
    thread = ServerThread(reviewing_app).start()
    with grpc.insecure_channel(thread.address) as channel:
        yield channel
    thread.stop()


def test_a_flag_left_after_its_supporting_lots_are_deleted_is_cleared_within_the_bound(
    caller: Callable[..., Caller],
    admin: Caller,
    buyer: Caller,
    reviewing_channel: grpc.Channel,
    engine: Engine,
) -> None:
    grade, region = fresh_grade_and_region()
    market = approved_market(
        caller, admin, grade=grade, region=region, price="1500", currency="AUD"
    )
    rival = trader_of(caller)
    lot = post(
        rival, cotton_lot(grade=grade, delivery_region=region, base_price=priced("1590", "AUD"))
    )
    assert lot.ai_price_anomaly  # 6 % above twenty lots at one price
    for owner, supporting in market:
        owner.DeleteAvailability(
            api.DeleteAvailabilityRequest(name=supporting.name, request_id=uuid.uuid4().hex)
        )
    reader = Caller(reviewing_channel, rival.token, rival.subject)
    deadline = time.monotonic() + PATIENCE_SECONDS
    current = lot
    while current.ai_price_anomaly and time.monotonic() < deadline:
        time.sleep(RECHECK_SECONDS)
        current = reader.GetAvailability(api.GetAvailabilityRequest(name=lot.name)).availability
    assert not current.ai_price_anomaly
    assert current.ai_anomaly_reason == ""
    with engine.connect() as conn:
        events = conn.execute(
            text(
                "SELECT event_type, actor, changed_fields FROM events"
                " WHERE availability_id = :id AND revision > :r ORDER BY revision"
            ),
            {"id": lot_id(lot), "r": lot.revision},
        ).all()
    assert [(e.event_type, e.actor) for e in events] == [("UPDATED", REVIEW_ACTOR)]
    assert "ai_price_anomaly" in events[0].changed_fields
    # The review changes a verdict, not who sees the lot: a buyer still cannot see a draft.
    with pytest.raises(grpc.RpcError) as err:
        buyer.GetAvailability(api.GetAvailabilityRequest(name=lot.name))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_flag_that_still_holds_is_left_as_it_is(
    caller: Callable[..., Caller], admin: Caller, app: Application
) -> None:
    grade, region = fresh_grade_and_region()
    approved_market(caller, admin, grade=grade, region=region, price="1500", currency="CAD")
    rival = trader_of(caller)
    lot = post(
        rival, cotton_lot(grade=grade, delivery_region=region, base_price=priced("1590", "CAD"))
    )
    assert lot.ai_price_anomaly
    review = PriceReview(app.storage, load_catalog())
    assert review.review(lot_id(lot)) == 0
    again = rival.GetAvailability(api.GetAvailabilityRequest(name=lot.name)).availability
    assert (again.ai_price_anomaly, again.revision) == (True, lot.revision)
