"""A hold's terms and endings: the price it was made on, partial release, the sold price, the
direct sale's record, and a forced withdrawal. Real server, real database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import Engine, select

from availability_service.storage.comparables import seller_open_holds_ratio
from availability_service.storage.consistency import find_violations
from availability_service.storage.tables import events
from tests.support.callers import Caller
from tests.support.lots import approved_lot, error_details
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

Hold = pb.Reservation
USD = "USD"
MATRIX = {
    "price_type": pb.Availability.PRICE_TYPE_MATRIX,
    "price_options": [
        pb.PriceOption(label="FOB cash", price=pb.Money(currency_code=USD, amount="1600")),
        pb.PriceOption(
            label="FOB 60 days",
            price=pb.Money(currency_code=USD, amount="1690.5"),
            incoterm="FOB",
            payment_terms_days=60,
        ),
    ],
}


def reserve(service: Caller, lot: str, quantity: str = "30", **extra: str) -> Hold:
    return service.ReserveAvailability(
        api.ReserveAvailabilityRequest(name=lot, quantity=quantity, buyer_id="buyer-1", **extra)
    ).reservation


def refused(call: Callable[[], object]) -> tuple[grpc.StatusCode, dict[str, object]]:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code(), error_details(err.value)


def lot_of(caller: Caller, name: str) -> pb.Availability:
    return caller.GetAvailability(api.GetAvailabilityRequest(name=name)).availability


def counts(lot: pb.Availability) -> tuple[str, str, str]:
    return lot.available_quantity, lot.reserved_quantity, lot.sold_quantity


def stored_events(engine: Engine, name: str) -> list[tuple[str, dict[str, object] | None]]:
    lot_id = uuid.UUID(name.split("/")[1])
    query = (
        select(events.c.event_type, events.c.reservation)
        .where(events.c.availability_id == lot_id)
        .order_by(events.c.revision)
    )
    with engine.connect() as conn:
        return [(row[0], row[1]) for row in conn.execute(query)]


def test_a_hold_keeps_the_lot_price_it_was_made_on(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = approved_lot(seller, admin)
    held = reserve(service, lot.name)
    assert (held.price, held.price_unit, held.price_option_label) == (
        pb.Money(currency_code=USD, amount="1650"),
        "t",
        "",
    )
    # A later reprice changes the lot, not the basis the hold was made on.
    seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(
                name=lot.name, base_price=pb.Money(currency_code=USD, amount="1800")
            ),
            update_mask={"paths": ["base_price"]},
        )
    )
    again = service.GetReservation(api.GetReservationRequest(name=held.name)).reservation
    assert again.price.amount == "1650"


def test_a_matrix_hold_keeps_the_option_it_chose(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = approved_lot(seller, admin, **MATRIX)
    held = reserve(service, lot.name, price_option_label="FOB 60 days")
    assert (held.price.amount, held.price.currency_code, held.price_option_label) == (
        "1690.5",
        USD,
        "FOB 60 days",
    )


def test_an_unknown_price_option_is_invalid_and_holds_nothing(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = approved_lot(seller, admin, **MATRIX)
    before = stored_events(engine, lot.name)
    code, details = refused(lambda: reserve(service, lot.name, price_option_label="CIF"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details["fields"] == ["price_option_label"]
    assert counts(lot_of(service, lot.name)) == ("100", "0", "0")
    assert stored_events(engine, lot.name) == before


def test_releasing_part_of_a_hold_keeps_the_rest_held(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = approved_lot(seller, admin)
    held = reserve(service, lot.name, "30")
    out = service.ReleaseReservation(
        api.ReleaseReservationRequest(name=held.name, quantity="12.5", reason="smaller deal")
    )
    assert (out.reservation.state, out.reservation.quantity) == (Hold.STATE_ACTIVE, "17.5")
    assert out.reservation.release_reason == "smaller deal"
    assert counts(out.availability) == ("82.5", "17.5", "0")
    # The rest is still a hold like any other: it can be sold whole.
    sold = service.MarkSold(api.MarkSoldRequest(name=held.name, trade_id="t-1"))
    assert (sold.reservation.sold_quantity, counts(sold.availability)) == (
        "17.5",
        ("82.5", "0", "17.5"),
    )
    assert [kind for kind, _ in stored_events(engine, lot.name)][-3:] == [
        "RESERVED",
        "RELEASED",
        "SOLD",
    ]
    with engine.connect() as conn:
        assert find_violations(conn, [uuid.UUID(lot.name.split("/")[1])]) == []


def test_releasing_all_that_is_held_ends_the_hold(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = approved_lot(seller, admin)
    held = reserve(service, lot.name, "30")
    out = service.ReleaseReservation(api.ReleaseReservationRequest(name=held.name, quantity="30"))
    assert out.reservation.state == Hold.STATE_RELEASED
    assert counts(out.availability) == ("100", "0", "0")


@pytest.mark.parametrize(
    ("quantity", "code", "reason"),
    [
        ("31", grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_QUANTITY"),
        ("0", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        ("ten", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
    ],
)
def test_a_partial_release_beyond_the_hold_or_malformed_is_refused(
    seller: Caller, admin: Caller, service: Caller, quantity: str, code: object, reason: str
) -> None:
    lot = approved_lot(seller, admin)
    held = reserve(service, lot.name, "30")
    got, details = refused(
        lambda: service.ReleaseReservation(
            api.ReleaseReservationRequest(name=held.name, quantity=quantity)
        )
    )
    assert (got, details["reason"]) == (code, reason)
    assert counts(lot_of(service, lot.name)) == ("70", "30", "0")


def test_a_lot_without_partial_orders_releases_its_holds_only_whole(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = approved_lot(seller, admin, allow_partial_order=False)
    held = reserve(service, lot.name, "100")
    code, details = refused(
        lambda: service.ReleaseReservation(
            api.ReleaseReservationRequest(name=held.name, quantity="40")
        )
    )
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, "PARTIAL_NOT_ALLOWED")


def test_a_partial_release_of_a_released_hold_is_refused(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = approved_lot(seller, admin)
    held = reserve(service, lot.name, "30")
    service.ReleaseReservation(api.ReleaseReservationRequest(name=held.name))
    code, details = refused(
        lambda: service.ReleaseReservation(
            api.ReleaseReservationRequest(name=held.name, quantity="5")
        )
    )
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_STATE")


def test_a_sale_from_a_hold_keeps_its_sold_price(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = approved_lot(seller, admin)
    held = reserve(service, lot.name, "30")
    price = pb.Money(currency_code=USD, amount="1640")
    sold = service.MarkSold(api.MarkSoldRequest(name=held.name, trade_id="t-7", sold_price=price))
    assert (sold.reservation.sold_price, sold.reservation.price.amount) == (price, "1650")
    got = service.GetReservation(api.GetReservationRequest(name=held.name)).reservation
    assert got.sold_price == price


def test_a_sale_without_a_sold_price_records_none(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = approved_lot(seller, admin)
    held = reserve(service, lot.name, "30")
    sold = service.MarkSold(api.MarkSoldRequest(name=held.name))
    assert not sold.reservation.HasField("sold_price")


@pytest.mark.parametrize(
    ("price", "field"),
    [
        (pb.Money(currency_code="usd", amount="10"), "sold_price.currency_code"),
        (pb.Money(currency_code=USD, amount="-1"), "sold_price.amount"),
        (pb.Money(currency_code=USD), "sold_price.amount"),
    ],
)
def test_a_malformed_sold_price_is_invalid_and_sells_nothing(
    seller: Caller, admin: Caller, service: Caller, price: pb.Money, field: str
) -> None:
    lot = approved_lot(seller, admin)
    held = reserve(service, lot.name, "30")
    code, details = refused(
        lambda: service.MarkSold(api.MarkSoldRequest(name=held.name, sold_price=price))
    )
    assert (code, details["fields"]) == (grpc.StatusCode.INVALID_ARGUMENT, [field])
    assert counts(lot_of(service, lot.name)) == ("70", "30", "0")


def test_a_direct_sale_keeps_trade_buyer_and_price_in_its_record_and_event(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = approved_lot(seller, admin)
    price = pb.Money(currency_code=USD, amount="1655")
    sold = service.MarkSold(
        api.MarkSoldRequest(
            name=lot.name, quantity="25", trade_id="t-d", buyer_id="b-d", sold_price=price
        )
    )
    record = sold.reservation
    assert (record.trade_id, record.buyer_id, record.sold_price, record.price.amount) == (
        "t-d",
        "b-d",
        price,
        "1650",
    )
    kind, snapshot = stored_events(engine, lot.name)[-1]
    assert kind == "SOLD"
    assert snapshot is not None
    assert (snapshot["trade_id"], snapshot["buyer_id"], snapshot["sold_price_amount"]) == (
        "t-d",
        "b-d",
        "1655",
    )
    listed = service.ListReservations(api.ListReservationsRequest(parent=lot.name))
    assert list(listed.reservations) == [record]


def test_a_forced_withdrawal_releases_every_open_hold_with_an_event_each(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = approved_lot(seller, admin)
    first, second = reserve(service, lot.name, "30"), reserve(service, lot.name, "20")
    code, details = refused(
        lambda: seller.DeleteAvailability(api.DeleteAvailabilityRequest(name=lot.name))
    )
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, "ACTIVE_HOLDS")
    gone = seller.DeleteAvailability(
        api.DeleteAvailabilityRequest(name=lot.name, force=True)
    ).availability
    assert gone.state == pb.Availability.STATE_CANCELLED
    assert counts(gone) == ("100", "0", "0")
    for held in (first, second):
        after = service.GetReservation(api.GetReservationRequest(name=held.name)).reservation
        assert (after.state, after.release_reason) == (Hold.STATE_RELEASED, "LOT_WITHDRAWN")
    tail = stored_events(engine, lot.name)[-3:]
    assert [kind for kind, _ in tail] == ["RELEASED", "RELEASED", "CANCELLED"]
    with engine.connect() as conn:
        assert find_violations(conn, [uuid.UUID(lot.name.split("/")[1])]) == []


def test_a_request_id_covers_the_new_fields(seller: Caller, admin: Caller, service: Caller) -> None:
    lot = approved_lot(seller, admin)
    held = reserve(service, lot.name, "30")
    first = service.ReleaseReservation(
        api.ReleaseReservationRequest(name=held.name, quantity="5", request_id="rel-1")
    )
    replay = service.ReleaseReservation(
        api.ReleaseReservationRequest(name=held.name, quantity="5", request_id="rel-1")
    )
    assert replay == first
    assert counts(lot_of(service, lot.name)) == ("75", "25", "0")
    code, details = refused(
        lambda: service.ReleaseReservation(
            api.ReleaseReservationRequest(name=held.name, quantity="6", request_id="rel-1")
        )
    )
    assert (code, details["reason"]) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")
    sale = api.MarkSoldRequest(
        name=held.name, request_id="sell-1", sold_price=pb.Money(currency_code=USD, amount="1")
    )
    service.MarkSold(sale)
    sale.sold_price.amount = "2"
    code, details = refused(lambda: service.MarkSold(sale))
    assert (code, details["reason"]) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")


def test_a_direct_sale_record_does_not_count_as_a_sellers_hold_load(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = approved_lot(seller, admin)
    since = datetime.now(UTC) - timedelta(minutes=1)
    reserve(service, lot.name, "10")
    service.MarkSold(api.MarkSoldRequest(name=lot.name, quantity="50", buyer_id="b-d"))
    with engine.connect() as conn:
        ratio = seller_open_holds_ratio(conn, seller.subject, since, datetime.now(UTC), None)
    assert ratio == 1.0  # the one hold is open; the sale was never a hold
