"""The property of a standing search: at every bookmark, the match set built from the stream is
what a fresh SearchAvailabilities with the same criteria returns (all pages, above the
threshold), scores included. Random lots, random changes, random criteria; real server.

Silver is used because no other end-to-end test posts it, so nothing else changes the
market between a bookmark and the search that checks it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.protobuf import duration_pb2, field_mask_pb2, timestamp_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.callers import Caller
from tests.support.lots import register_location
from tests.support.watching import Watch
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

ENTERED, UPDATED, LEFT = (
    watch_pb2.MATCH_KIND_ENTERED,
    watch_pb2.MATCH_KIND_UPDATED,
    watch_pb2.MATCH_KIND_LEFT,
)
Reason = watch_pb2.Bookmark.Reason
POOL = 4


def silver_lot(price: int, fineness: float) -> pb.Availability:
    lot = pb.Availability(
        commodity="silver",
        quantity_unit="kg",
        total_quantity="50",
        base_price=pb.Money(currency_code="USD", amount=str(price)),
        price_unit="ozt",
        delivery_region="IN-GJ",
        incoterm="FOB",
    )
    lot.delivery_location.latitude = 22.3
    lot.delivery_location.longitude = 70.8
    lot.quality_params["fineness"].number = fineness
    return lot


searches = st.builds(
    dict,
    max_price=st.one_of(st.none(), st.integers(min_value=25, max_value=60)),
    fineness=st.one_of(st.none(), st.sampled_from([990.0, 995.0, 999.0])),
    threshold=st.sampled_from([0.0, 0.3, 0.5, 0.6]),
    near=st.booleans(),
    regions=st.sampled_from([(), ("in-gj",), ("IN-MH", "IN-DL")]),
    min_price=st.one_of(st.none(), st.integers(min_value=25, max_value=50)),
    order_quantity=st.one_of(st.none(), st.integers(min_value=5, max_value=45)),
)
operations = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=POOL - 1),
        st.sampled_from(
            [
                *("approve", "price", "fineness", "reserve", "release", "private", "public"),
                *("cancel", "region", "window", "terms"),
            ]
        ),
        st.integers(min_value=20, max_value=65),
    ),
    min_size=3,
    max_size=12,
)


def search_request(criteria: dict[str, Any]) -> api.SearchAvailabilitiesRequest:
    search = api.SearchAvailabilitiesRequest(
        commodity="silver", score_threshold=criteria["threshold"]
    )
    if criteria["max_price"] is not None:
        search.max_price.CopyFrom(pb.Money(currency_code="USD", amount=str(criteria["max_price"])))
        search.price_unit = "ozt"
    if criteria["fineness"] is not None:
        search.quality_targets["fineness"].min = criteria["fineness"]
    if criteria["near"]:
        search.near.CopyFrom(pb.LatLng(latitude=23.0, longitude=72.6))
        search.radius_km = 500
    search.delivery_regions.extend(criteria["regions"])
    if criteria["min_price"] is not None:
        floor = min(criteria["min_price"], criteria["max_price"] or criteria["min_price"])
        search.min_price.CopyFrom(pb.Money(currency_code="USD", amount=str(floor)))
        search.price_unit = "ozt"
    if criteria["order_quantity"] is not None:
        search.order_quantity = str(criteria["order_quantity"])
    return search


def fresh_search(caller: Caller, search: api.SearchAvailabilitiesRequest) -> dict[str, Any]:
    request = api.SearchAvailabilitiesRequest()
    request.CopyFrom(search)
    request.page_size = 7  # several pages
    found: dict[str, Any] = {}
    while True:
        page = caller.SearchAvailabilities(request)
        found.update((r.availability.name, r) for r in page.results)
        if not page.next_page_token:
            return found
        request.page_token = page.next_page_token


class Market:
    """The pool of lots and the random changes applied to them."""

    def __init__(self, seller: Caller, admin: Caller, service: Caller, buyer: Caller) -> None:
        self.seller, self.admin, self.service, self.buyer = seller, admin, service, buyer
        self.names = [
            seller.CreateAvailability(
                api.CreateAvailabilityRequest(availability=silver_lot(30 + 5 * i, 995.0 + i))
            ).availability.name
            for i in range(POOL)
        ]
        self.holds: dict[str, list[str]] = {name: [] for name in self.names}
        # A seller posts from its registered locations: one per region the lots move to.
        self.locations = [f"loc-{seller.subject}"[:64]] + [
            register_location(
                admin, seller.subject, f"loc-{region.lower()}-{seller.subject}"[:64], region=region
            ).location_id
            for region in ("IN-MH", "IN-DL")
        ]

    def apply(self, index: int, action: str, number: int) -> None:
        name = self.names[index]
        try:
            getattr(self, action)(name, number)
        except grpc.RpcError as error:
            # A change the lot's state refuses (approving twice, cancelling with holds...)
            # is part of the random walk: nothing was written.
            assert error.code() in (
                grpc.StatusCode.FAILED_PRECONDITION,
                grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.ABORTED,
            ), error

    def approve(self, name: str, _: int) -> None:
        self.admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))

    def _update(self, name: str, paths: list[str], lot: pb.Availability) -> None:
        lot.name = name
        self.seller.UpdateAvailability(
            api.UpdateAvailabilityRequest(
                availability=lot, update_mask=field_mask_pb2.FieldMask(paths=paths)
            )
        )

    def price(self, name: str, number: int) -> None:
        money = pb.Money(currency_code="USD", amount=str(number))
        self._update(name, ["base_price"], pb.Availability(base_price=money))

    def fineness(self, name: str, number: int) -> None:
        lot = pb.Availability()
        lot.quality_params["fineness"].number = 985.0 + number % 15
        self._update(name, ["quality_params"], lot)

    def reserve(self, name: str, number: int) -> None:
        hold = self.service.ReserveAvailability(
            api.ReserveAvailabilityRequest(
                name=name, quantity=str(10 + number % 41), buyer_id="b-property"
            )
        ).reservation
        self.holds[name].append(hold.name)

    def release(self, name: str, _: int) -> None:
        if self.holds[name]:
            hold = self.holds[name].pop()
            self.service.ReleaseReservation(api.ReleaseReservationRequest(name=hold))

    def private(self, name: str, number: int) -> None:
        buyers = [self.buyer.subject] if number % 2 else ["someone-else"]
        self._update(
            name,
            ["market_visibility", "restricted_buyer_ids"],
            pb.Availability(
                market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
                restricted_buyer_ids=buyers,
            ),
        )

    def public(self, name: str, _: int) -> None:
        self._update(
            name,
            ["market_visibility"],
            pb.Availability(market_visibility=pb.Availability.MARKET_VISIBILITY_PUBLIC),
        )

    def region(self, name: str, number: int) -> None:
        location = self.locations[number % 3]
        self._update(name, ["location_id"], pb.Availability(location_id=location))

    def window(self, name: str, number: int) -> None:
        # Opens far in the future (out of every search now) or opened long ago (in).
        days = 30 if number % 2 else -30
        start = timestamp_pb2.Timestamp()
        start.FromDatetime(datetime.now(UTC) + timedelta(days=days))
        self._update(name, ["available_from"], pb.Availability(available_from=start))

    def terms(self, name: str, number: int) -> None:
        # Whether an order_quantity search keeps the lot depends on the hold rules.
        self._update(
            name,
            ["min_order_quantity", "allow_partial_order"],
            pb.Availability(
                min_order_quantity=str(1 + number % 40), allow_partial_order=number % 2 == 0
            ),
        )

    def cancel(self, name: str, _: int) -> None:
        self.seller.DeleteAvailability(api.DeleteAvailabilityRequest(name=name))


def head(caller: Caller) -> int:
    """A revision at or after every change so far (a read's snapshot revision)."""
    return int(
        caller.SearchAvailabilities(
            api.SearchAvailabilitiesRequest(commodity="silver", page_size=1)
        ).revision
    )


def assert_same(built: dict[str, Any], found: dict[str, Any]) -> None:
    """The same lots, each with exactly the result search gives: lot, score, breakdown and
    distance (the standing search reproduces pgvector's and earthdistance's arithmetic)."""
    assert sorted(built) == sorted(found)
    for name, result in found.items():
        assert built[name] == result, name


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(criteria=searches, changes=operations)
def test_at_every_bookmark_the_streamed_set_equals_a_fresh_search(
    seller: Caller,
    admin: Caller,
    service: Caller,
    buyer: Caller,
    criteria: dict[str, Any],
    changes: list[tuple[int, str, int]],
) -> None:
    market = Market(seller, admin, service, buyer)
    search = search_request(criteria)
    stream = Watch(
        buyer,
        api.WatchSearchRequest(
            search=search,
            send_initial_state=True,
            progress_notify_interval=duration_pb2.Duration(nanos=100_000_000),
        ),
        rpc="WatchSearch",
    )
    built: dict[str, Any] = {}
    seen: set[tuple[int, str]] = set()

    def until_bookmark(revision: int) -> None:
        deadline = time.monotonic() + 20
        while True:
            message = stream.message(max(deadline - time.monotonic(), 0.01))
            for change in message.changes:
                assert (change.revision, change.name) not in seen, "a change came twice"
                seen.add((change.revision, change.name))
                if change.kind == LEFT:
                    assert change.name in built
                    del built[change.name]
                else:
                    assert (change.kind == UPDATED) == (change.name in built)
                    built[change.name] = change.result
            if message.HasField("bookmark") and message.revision >= revision:
                return

    try:
        until_bookmark(0)
        assert_same(built, fresh_search(buyer, search))
        for step, (index, action, number) in enumerate(changes):
            market.apply(index, action, number)
            if step % 3 == 2 or step == len(changes) - 1:
                until_bookmark(head(buyer))
                assert_same(built, fresh_search(buyer, search))
    finally:
        stream.close()
