"""The micro-events a matching engine consumes: every type that applies to a change, the lot
before it, and changed fields named as the contract names them. Real stream, real database."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from google.protobuf import duration_pb2, field_mask_pb2
from sqlalchemy import Engine

from tests.support.callers import Caller
from tests.support.lots import approved_lot, cotton_lot
from tests.support.watching import Watch, revision_now
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

E = watch_pb2
QUANTITY = E.EVENT_TYPE_QUANTITY_CHANGED


def counts(lot: pb.Availability) -> tuple[str, str, str]:
    return lot.available_quantity, lot.reserved_quantity, lot.sold_quantity


def events_until(stream: Watch, done: Callable[[Any], bool], timeout: float = 20.0) -> list[Any]:
    """Events as they arrive, up to and including the first one `done` accepts."""
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    while True:
        for event in stream.message(max(deadline - time.monotonic(), 0.01)).events:
            out.append(event)
            if done(event):
                return out


def update(caller: Caller, name: str, paths: list[str], **fields: Any) -> pb.Availability:
    return caller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(name=name, **fields),
            update_mask=field_mask_pb2.FieldMask(paths=paths),
        )
    ).availability


def test_a_quantity_watcher_sees_every_reserve_release_sale_and_expiry_with_previous_quantities(
    seller: Caller, admin: Caller, service: Caller, engine: Engine, watch: Callable[..., Watch]
) -> None:
    stream = watch(
        service,
        start_revision=revision_now(engine),
        seller_ids=[seller.subject],
        event_types=[QUANTITY],
    )
    lot = approved_lot(seller, admin)

    def reserve(quantity: str, ttl: float = 600) -> pb.Reservation:
        request = api.ReserveAvailabilityRequest(name=lot.name, quantity=quantity, buyer_id="b-1")
        request.ttl.CopyFrom(duration_pb2.Duration(seconds=int(ttl)))
        return service.ReserveAvailability(request).reservation

    def release(hold: pb.Reservation, quantity: str = "") -> None:
        service.ReleaseReservation(api.ReleaseReservationRequest(name=hold.name, quantity=quantity))

    first, second = reserve("30"), reserve("20")
    release(second, "5")
    release(second)
    service.MarkSold(api.MarkSoldRequest(name=first.name, trade_id="t-1"))
    service.MarkSold(api.MarkSoldRequest(name=lot.name, quantity="10", buyer_id="b-2"))
    reserve("10", ttl=1)  # the sweeper expires it

    found = events_until(stream, lambda e: e.type == E.EVENT_TYPE_EXPIRED)
    assert [e.type for e in found] == [
        E.EVENT_TYPE_RESERVED,
        E.EVENT_TYPE_RESERVED,
        E.EVENT_TYPE_RELEASED,
        E.EVENT_TYPE_RELEASED,
        E.EVENT_TYPE_SOLD,
        E.EVENT_TYPE_SOLD,
        E.EVENT_TYPE_RESERVED,
        E.EVENT_TYPE_EXPIRED,
    ]
    assert all(list(e.types) == [e.type, QUANTITY] for e in found)
    assert [counts(e.availability) for e in found] == [
        ("70", "30", "0"),
        ("50", "50", "0"),
        ("55", "45", "0"),
        ("70", "30", "0"),
        ("70", "0", "30"),
        ("60", "0", "40"),
        ("50", "10", "40"),
        ("60", "0", "40"),
    ]
    # Each event's previous lot is exactly the lot after the one before it.
    assert counts(found[0].previous) == ("100", "0", "0")
    for earlier, later in itertools.pairwise(found):
        assert later.previous == earlier.availability
    quantities = {"available_quantity", "reserved_quantity", "sold_quantity"}
    assert all(quantities & set(e.changed_fields) for e in found)
    assert found[-1].actor == "system:expiry"
    # The direct sale's record travels with its event.
    assert (found[5].reservation.buyer_id, found[5].reservation.sold_quantity) == ("b-2", "10")


def test_an_update_of_price_and_visibility_carries_both_types_and_contract_paths(
    seller: Caller, admin: Caller, engine: Engine, watch: Callable[..., Watch]
) -> None:
    start = revision_now(engine)
    lot = approved_lot(seller, admin)
    price_watcher = watch(
        admin, start_revision=start, names=[lot.name], event_types=[E.EVENT_TYPE_PRICE_CHANGED]
    )
    changed = update(
        seller,
        lot.name,
        ["base_price", "market_visibility"],
        base_price=pb.Money(currency_code="USD", amount="1700"),
        market_visibility=pb.Availability.MARKET_VISIBILITY_INTERNAL,
    )
    [event] = price_watcher.events_until(changed.revision)
    assert event.type == E.EVENT_TYPE_VISIBILITY_CHANGED  # the primary, by precedence
    assert list(event.types) == [E.EVENT_TYPE_VISIBILITY_CHANGED, E.EVENT_TYPE_PRICE_CHANGED]
    assert {"base_price", "market_visibility"} <= set(event.changed_fields)
    assert "base_price_amount" not in event.changed_fields
    assert (event.previous.base_price.amount, event.availability.base_price.amount) == (
        "1650",
        "1700",
    )


def test_changed_fields_name_quality_keys_and_location_as_contract_paths(
    seller: Caller, engine: Engine, watch: Callable[..., Watch]
) -> None:
    start = revision_now(engine)
    lot = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability
    stream = watch(seller, start_revision=start, names=[lot.name])
    wanted = cotton_lot()
    wanted.name = lot.name
    wanted.quality_params["staple_length"].number = 30.5
    wanted.description = "longer staple"
    changed = seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=wanted,
            update_mask=field_mask_pb2.FieldMask(paths=["quality_params", "description"]),
        )
    ).availability
    events = stream.events_until(changed.revision)
    assert [e.type for e in events] == [E.EVENT_TYPE_CREATED, E.EVENT_TYPE_UPDATED]
    assert not events[0].HasField("previous")  # a new lot has no past
    fields = set(events[1].changed_fields)
    assert {"quality_params.staple_length", "description"} <= fields
    assert "quality_params.micronaire" not in fields
    assert "quality_params" not in fields
    assert events[1].previous.quality_params["staple_length"].number == 29.0


def test_a_watcher_who_could_not_see_the_lot_before_gets_no_previous(
    seller: Caller, buyer: Caller, engine: Engine, admin: Caller, watch: Callable[..., Watch]
) -> None:
    lot = approved_lot(
        seller,
        admin,
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=["someone-else"],
    )
    stream = watch(buyer, start_revision=revision_now(engine), names=[lot.name])
    public = update(
        seller,
        lot.name,
        ["market_visibility", "restricted_buyer_ids"],
        market_visibility=pb.Availability.MARKET_VISIBILITY_PUBLIC,
    )
    repriced = update(
        seller, lot.name, ["base_price"], base_price=pb.Money(currency_code="USD", amount="1600")
    )
    added, modified = stream.events_until(repriced.revision)
    assert (added.change, added.availability.revision) == (E.CHANGE_KIND_ADDED, public.revision)
    assert not added.HasField("previous")  # the private lot it was is not this buyer's to read
    assert modified.change == E.CHANGE_KIND_MODIFIED
    assert modified.previous.revision == public.revision
    assert modified.previous.base_price.amount == "1650"
