"""The price-anomaly baseline is the market's: approved lots, each seller's weight capped, and
flags whose baseline no longer holds are cleared by the price review."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import Engine, text

from availability_service.app import Application, build_application
from availability_service.service_layer.price_review import REVIEW_ACTOR
from tests.conftest import settings_for
from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tests.support.market import (
    approved_market,
    fresh_grade_and_region,
    post,
    post_approved,
    usd,
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


def test_sixty_private_drafts_of_one_seller_do_not_get_a_rivals_honest_lot_flagged(
    caller: Callable[..., Caller], admin: Caller
) -> None:
    grade, region = fresh_grade_and_region()
    other_region = f"{region}-B"
    # The market of this grade, elsewhere: approved lots of four sellers at 1590 USD/t.
    approved_market(caller, admin, grade=grade, region=other_region, price="1590")
    poisoner = trader_of(caller)
    for _ in range(60):
        draft = post(
            poisoner,
            cotton_lot(
                grade=grade,
                delivery_region=region,
                base_price=usd("1500"),
                market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
                restricted_buyer_ids=["buyer-in-on-it"],
            ),
        )
        assert draft.state == pb.Availability.STATE_DRAFT
    rival = trader_of(caller)
    honest = post(
        rival, cotton_lot(grade=grade, delivery_region=region, base_price=usd("1590"))
    )
    assert not honest.ai_price_anomaly, honest.ai_anomaly_reason
    assert honest.ai_anomaly_reason == ""


DEBUG_APP = []
def test_one_sellers_weight_in_the_baseline_is_capped_at_five_lots(
    caller: Callable[..., Caller], admin: Caller, app
) -> None:
    DEBUG_APP.append(app)
    grade, region = fresh_grade_and_region()
    # Three sellers of five lots at 1600 and one seller of a hundred approved lots at 1500.
    approved_market(caller, admin, grade=grade, region=region, price="1600", sellers=3)
    approved_market(
        caller, admin, grade=grade, region=region, price="1500", sellers=1, lots_per_seller=100
    )
    rival = trader_of(caller)
    lot = post(rival, cotton_lot(grade=grade, delivery_region=region, base_price=usd("1600")))
    # Five lots of the big seller and fifteen of the others: the median is 1600, not 1500.
    assert not lot.ai_price_anomaly, lot.ai_anomaly_reason
    import sqlalchemy as sa
    from availability_service.app import Application as _A
    from availability_service.service_layer import price_check
    from availability_service.storage.lots import get_lot
    with DEBUG_APP[0].engine.connect() as conn:
        stored = get_lot(conn, uuid.UUID(lot.name.removeprefix("availabilities/")))
        b = price_check.baseline(conn, stored)
        print(b.scope, sorted(b.prices))
    assert Decimal(lot.ai_suggested_price.amount) == Decimal(1600)


def test_a_sellers_own_lots_are_not_its_baseline(
    caller: Callable[..., Caller], admin: Caller
) -> None:
    grade, region = fresh_grade_and_region()
    seller = trader_of(caller)
    for _ in range(5):
        post_approved(
            seller, admin, cotton_lot(grade=grade, delivery_region=region, base_price=usd("1500"))
        )
    approved_market(caller, admin, grade=grade, region=region, price="1500", sellers=3)
    # With its own five lots, the seller's 1700 would meet twenty prices of this grade and
    # region and be flagged; without them, fifteen are too few for this scope.
    lot = post(seller, cotton_lot(grade=grade, delivery_region=region, base_price=usd("1700")))
    assert "same grade and region" not in lot.ai_anomaly_reason


@pytest.fixture(scope="module")
def reviewing_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Application]:
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
    caller: Callable[..., Caller], admin: Caller, reviewing_channel: grpc.Channel, engine: Engine
) -> None:
    grade, region = fresh_grade_and_region()
    market = approved_market(caller, admin, grade=grade, region=region, price="1500")
    rival = trader_of(caller)
    lot = post(rival, cotton_lot(grade=grade, delivery_region=region, base_price=usd("1590")))
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
        current = reader.GetAvailability(api.GetAvailabilityRequest(name=lot.name))
    assert not current.ai_price_anomaly
    assert current.ai_anomaly_reason == ""
    with engine.connect() as conn:
        events = conn.execute(
            text(
                "SELECT event_type, actor, changed_fields FROM events"
                " WHERE availability_id = :id AND revision > :r ORDER BY revision"
            ),
            {"id": lot.name.removeprefix("availabilities/"), "r": lot.revision},
        ).all()
    assert [(e.event_type, e.actor) for e in events] == [("UPDATED", REVIEW_ACTOR)]
    assert "ai_price_anomaly" in events[0].changed_fields


def test_a_flag_that_still_holds_is_left_as_it_is(
    caller: Callable[..., Caller], admin: Caller, reviewing_app: Application
) -> None:
    from availability_service.intelligence import load_catalog
    from availability_service.service_layer.price_review import PriceReview
    from availability_service.service_layer.unit_of_work import UnitOfWork

    grade, region = fresh_grade_and_region()
    approved_market(caller, admin, grade=grade, region=region, price="1500")
    rival = trader_of(caller)
    lot = post(rival, cotton_lot(grade=grade, delivery_region=region, base_price=usd("1590")))
    assert lot.ai_price_anomaly
    review = PriceReview(UnitOfWork(reviewing_app.engine), load_catalog())
    assert review.review(uuid.UUID(lot.name.removeprefix("availabilities/"))) == 0
    again = rival.GetAvailability(api.GetAvailabilityRequest(name=lot.name))
    assert (again.ai_price_anomaly, again.revision) == (True, lot.revision)
