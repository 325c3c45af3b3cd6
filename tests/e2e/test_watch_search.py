"""WatchSearch end to end: lots enter, change in and leave a buyer's standing search, for each
cause, with the scores SearchAvailabilities gives. Real server, real database, real stream."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Engine

from tests.e2e.test_watch import update
from tests.support.callers import Caller
from tests.support.lots import approved_lot, cotton_lot, error_details
from tests.support.watching import Watch, revision_now
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

ENTERED, UPDATED, LEFT = (
    watch_pb2.MATCH_KIND_ENTERED,
    watch_pb2.MATCH_KIND_UPDATED,
    watch_pb2.MATCH_KIND_LEFT,
)
Reason = watch_pb2.Bookmark.Reason


def criteria(**fields: Any) -> api.SearchAvailabilitiesRequest:
    """Cotton up to 1700 USD/t: the lots of tests.support.lots.cotton_lot (1650) pass.

    Anomalous prices are included: whether a reprice is flagged depends on the other tests'
    lots, and these tests are about the other causes."""
    fields.setdefault("include_anomalies", True)
    search = api.SearchAvailabilitiesRequest(commodity="cotton", **fields)
    if "max_price" not in fields:
        search.max_price.CopyFrom(pb.Money(currency_code="USD", amount="1700"))
    return search


@pytest.fixture
def watch_search() -> Iterator[Callable[..., Watch]]:
    opened: list[Watch] = []

    def open_watch(
        caller: Caller, search: api.SearchAvailabilitiesRequest, **request: Any
    ) -> Watch:
        stream = Watch(caller, api.WatchSearchRequest(search=search, **request), rpc="WatchSearch")
        opened.append(stream)
        return stream

    yield open_watch
    for stream in opened:
        stream.close()


def changes_until(stream: Watch, revision: int, timeout: float = 20.0) -> list[Any]:
    """Changes of every message up to one covering `revision` (bookmarks skipped)."""
    return stream.events_until(revision, timeout, items="changes")


def mine(changes: list[Any], name: str) -> list[tuple[int, bool]]:
    """(kind, has a result) of the changes of one lot."""
    return [(c.kind, c.HasField("result")) for c in changes if c.name == name]


def price(amount: str) -> dict[str, Any]:
    return {"base_price": pb.Money(currency_code="USD", amount=amount)}


def searched(caller: Caller, search: api.SearchAvailabilitiesRequest, name: str) -> Any:
    """The lot's result in a fresh SearchAvailabilities (all pages), or None."""
    request = api.SearchAvailabilitiesRequest()
    request.CopyFrom(search)
    request.page_size = 200
    while True:
        page = caller.SearchAvailabilities(request)
        for result in page.results:
            if result.availability.name == name:
                return result
        if not page.next_page_token:
            return None
        request.page_token = page.next_page_token


def test_a_lot_enters_on_approval_updates_on_a_lower_price_and_leaves_above_max_price(
    seller: Caller, admin: Caller, buyer: Caller, engine: Engine, watch_search: Any
) -> None:
    stream = watch_search(buyer, criteria(), start_revision=revision_now(engine))
    draft = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability
    name = draft.name
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
    update(seller, name, ["base_price"], **price("1500"))
    cheaper = searched(buyer, criteria(), name)
    update(seller, name, ["base_price"], **price("1800"))
    last = update(seller, name, ["base_price"], **price("1600"))

    changes = [c for c in changes_until(stream, last.revision) if c.name == name]
    assert [c.kind for c in changes] == [ENTERED, UPDATED, LEFT, ENTERED]
    assert list(changes[0].event_types) == [watch_pb2.EVENT_TYPE_APPROVED]
    # The update carries exactly what SearchAvailabilities returned for the cheaper lot.
    assert changes[1].result == cheaper
    assert changes[1].result.score > changes[0].result.score
    # Above the ceiling the lot is still visible: LEFT shows it, priced out.
    assert changes[2].result.availability.base_price.amount == "1800"
    assert watch_pb2.EVENT_TYPE_PRICE_CHANGED in changes[2].event_types


def test_a_lot_leaves_when_sold_out_and_enters_again_when_quantity_is_back(
    seller: Caller, admin: Caller, buyer: Caller, service: Caller, engine: Engine, watch_search: Any
) -> None:
    lot = approved_lot(seller, admin)
    stream = watch_search(buyer, criteria(), start_revision=revision_now(engine))
    hold = service.ReserveAvailability(
        api.ReserveAvailabilityRequest(name=lot.name, quantity="100", buyer_id=buyer.subject)
    ).reservation
    service.ReleaseReservation(api.ReleaseReservationRequest(name=hold.name, quantity="40"))
    sold = service.MarkSold(api.MarkSoldRequest(name=lot.name, quantity="10", buyer_id="b-2"))
    changes = changes_until(stream, sold.availability.revision)
    assert mine(changes, lot.name) == [(LEFT, True), (ENTERED, True), (UPDATED, True)]
    entered = [c for c in changes if c.name == lot.name][1]
    assert entered.result.availability.available_quantity == "40"


def test_a_lot_leaves_with_an_empty_result_when_its_visibility_is_withdrawn_and_enters_when_granted(
    seller: Caller, admin: Caller, buyer: Caller, engine: Engine, watch_search: Any
) -> None:
    lot = approved_lot(seller, admin)
    stream = watch_search(buyer, criteria(), start_revision=revision_now(engine))
    private = pb.Availability.MARKET_VISIBILITY_PRIVATE
    fields = ["market_visibility", "restricted_buyer_ids"]
    update(seller, lot.name, fields, market_visibility=private, restricted_buyer_ids=["b-other"])
    granted = update(
        seller, lot.name, ["restricted_buyer_ids"], restricted_buyer_ids=[buyer.subject]
    )
    changes = changes_until(stream, granted.revision)
    assert mine(changes, lot.name) == [(LEFT, False), (ENTERED, True)]
    # What the buyer gets is redacted: who else was invited is the owner's business.
    assert not [c for c in changes if c.name == lot.name][
        1
    ].result.availability.restricted_buyer_ids


def test_a_lot_leaves_with_an_empty_result_when_cancelled(
    seller: Caller, admin: Caller, buyer: Caller, engine: Engine, watch_search: Any
) -> None:
    lot = approved_lot(seller, admin)
    stream = watch_search(buyer, criteria(), start_revision=revision_now(engine))
    gone = seller.DeleteAvailability(api.DeleteAvailabilityRequest(name=lot.name)).availability
    changes = changes_until(stream, gone.revision)
    assert mine(changes, lot.name) == [(LEFT, False)]
    assert list(changes[-1].event_types) == [watch_pb2.EVENT_TYPE_CANCELLED]


def test_a_lot_leaves_when_it_expires(
    seller: Caller, admin: Caller, buyer: Caller, engine: Engine, watch_search: Any
) -> None:
    until = Timestamp()
    until.FromDatetime(datetime.now(UTC) + timedelta(seconds=1.5))
    lot = approved_lot(seller, admin, valid_until=until)
    stream = watch_search(buyer, criteria(), start_revision=revision_now(engine))
    deadline = time.monotonic() + 20
    seen: list[Any] = []
    while not seen:
        message = stream.message(max(deadline - time.monotonic(), 0.01))
        seen = [c for c in message.changes if c.name == lot.name]
    assert [c.kind for c in seen] == [LEFT]
    assert watch_pb2.EVENT_TYPE_EXPIRED in seen[0].event_types
    # An expired lot is still visible to the buyer (a market state): its last result.
    assert seen[0].result.availability.state == pb.Availability.STATE_EXPIRED


def test_the_initial_state_is_the_search_result_then_a_bookmark(
    seller: Caller, admin: Caller, buyer: Caller, watch_search: Any
) -> None:
    lot = approved_lot(seller, admin, **price("1210"))
    search = criteria(score_threshold=0.0)
    stream = watch_search(buyer, search, send_initial_state=True)
    changes = []
    while True:
        message = stream.message()
        changes.extend(message.changes)
        if message.HasField("bookmark"):
            assert message.bookmark.reason == Reason.REASON_INITIAL_STATE_END
            break
    assert {c.kind for c in changes} == {ENTERED}
    found = searched(buyer, search, lot.name)
    ours = [c for c in changes if c.name == lot.name]
    assert len(ours) == 1
    assert ours[0].result == found
    assert ours[0].result.HasField("distance_km") is False


def test_a_search_near_a_point_carries_the_distance_search_gives(
    seller: Caller, admin: Caller, buyer: Caller, engine: Engine, watch_search: Any
) -> None:
    search = criteria(near=pb.LatLng(latitude=23.0, longitude=72.6), radius_km=400)
    stream = watch_search(
        buyer,
        search,
        start_revision=revision_now(engine),
        progress_notify_interval=duration_pb2.Duration(seconds=5),
    )
    lot = approved_lot(seller, admin)
    ours = [c for c in changes_until(stream, lot.revision) if c.name == lot.name]
    found = searched(buyer, search, lot.name)
    assert [c.kind for c in ours] == [ENTERED]
    assert ours[0].result == found
    assert ours[0].result.HasField("distance_km")


def test_a_draft_never_reaches_a_buyers_standing_search(
    seller: Caller, buyer: Caller, engine: Engine, watch_search: Any
) -> None:
    start = revision_now(engine)
    every = duration_pb2.Duration(nanos=200_000_000)
    for_buyer = watch_search(
        buyer, criteria(), start_revision=start, progress_notify_interval=every
    )
    draft = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability
    assert mine(changes_until(for_buyer, draft.revision), draft.name) == []


def test_bad_criteria_and_start_fields_are_each_named(buyer: Caller) -> None:
    request = api.WatchSearchRequest(
        search=api.SearchAvailabilitiesRequest(commodity="cotton", score_threshold=2),
        start_revision=-1,
        progress_notify_interval=duration_pb2.Duration(nanos=1000),
    )
    with pytest.raises(grpc.RpcError) as caught:
        list(buyer.stub.WatchSearch(request, metadata=buyer.metadata, timeout=10))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(error_details(caught.value)["fields"]) == {
        "search.score_threshold",
        "start_revision",
        "progress_notify_interval",
    }
    with pytest.raises(grpc.RpcError) as missing:
        list(buyer.stub.WatchSearch(api.WatchSearchRequest(), metadata=buyer.metadata, timeout=10))
    assert error_details(missing.value)["fields"] == ["search.commodity"]


def test_a_start_beyond_the_head_is_out_of_range(buyer: Caller, engine: Engine) -> None:
    request = api.WatchSearchRequest(search=criteria(), start_revision=revision_now(engine) + 1000)
    with pytest.raises(grpc.RpcError) as caught:
        list(buyer.stub.WatchSearch(request, metadata=buyer.metadata, timeout=10))
    assert caught.value.code() == grpc.StatusCode.OUT_OF_RANGE
    assert error_details(caught.value)["reason"] == "REVISION_NOT_YET_WRITTEN"


def test_progress_bookmarks_carry_the_position_when_nothing_matches(
    buyer: Caller, engine: Engine, watch_search: Any
) -> None:
    start = revision_now(engine)
    stream = watch_search(
        buyer,
        criteria(),
        start_revision=start,
        progress_notify_interval=duration_pb2.Duration(nanos=200_000_000),
    )
    message = stream.message()
    assert message.bookmark.reason == Reason.REASON_PROGRESS
    assert message.revision >= start
