"""Holds end to end: reserve, extend, release, sell and expire through a real channel."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Engine, select, text

from availability_service.storage.consistency import find_violations
from availability_service.storage.tables import events
from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

Hold = pb.Reservation
Lot = pb.Availability


def live_lot(seller: Caller, admin: Caller, **overrides: object) -> pb.Availability:
    lot = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(**overrides))
    ).availability
    return admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name)).availability


def reserve(
    service: Caller, name: str, quantity: str = "10", ttl: Duration | None = None, **extra: str
) -> api.ReserveAvailabilityResponse:
    request = api.ReserveAvailabilityRequest(
        name=name, quantity=quantity, buyer_id=extra.pop("buyer_id", "buyer-1"), **extra
    )
    if ttl is not None:
        request.ttl.CopyFrom(ttl)
    return service.ReserveAvailability(request)


def seconds(value: float) -> Duration:
    duration = Duration()
    duration.FromTimedelta(timedelta(seconds=value))
    return duration


def lot_of(service: Caller, name: str) -> pb.Availability:
    return service.GetAvailability(api.GetAvailabilityRequest(name=name)).availability


def counts(lot: pb.Availability) -> tuple[str, str, str]:
    return lot.available_quantity, lot.reserved_quantity, lot.sold_quantity


def event_types(engine: Engine, name: str) -> list[str]:
    lot_id = uuid.UUID(name.split("/")[1])
    with engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                select(events.c.event_type)
                .where(events.c.availability_id == lot_id)
                .order_by(events.c.revision)
            )
        ]


def refusal(call: Callable[[], object]) -> tuple[grpc.StatusCode, dict[str, object]]:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code(), error_details(err.value)


def when(ts: Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


def wait_for(check: Callable[[], bool], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_reserve_moves_quantity_from_available_to_reserved_with_one_event(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = live_lot(seller, admin)
    reply = reserve(service, lot.name, "30", negotiation_id="neg-7")
    hold = reply.reservation
    assert hold.name.startswith(lot.name + "/reservations/")
    assert (hold.quantity, hold.quantity_unit, hold.state) == ("30", "t", Hold.STATE_ACTIVE)
    assert (hold.buyer_id, hold.negotiation_id) == ("buyer-1", "neg-7")
    assert counts(reply.availability) == ("70", "30", "0")
    assert reply.availability.state == Lot.STATE_ACTIVE
    assert hold.revision == reply.availability.revision
    assert service.GetReservation(api.GetReservationRequest(name=hold.name)).reservation == hold
    assert event_types(engine, lot.name) == ["CREATED", "APPROVED", "RESERVED"]


def test_a_hold_lasts_24_hours_by_default_and_ttl_is_bounded(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = live_lot(seller, admin)
    hold = reserve(service, lot.name).reservation
    lifetime = when(hold.expire_time) - when(hold.create_time)
    assert abs(lifetime - timedelta(hours=24)) < timedelta(seconds=1)
    for bad in (seconds(0), seconds(-5), seconds(8 * 24 * 3600)):
        code, details = refusal(lambda bad=bad: reserve(service, lot.name, ttl=bad))
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert details["fields"] == ["ttl"]
    assert counts(lot_of(service, lot.name)) == ("90", "10", "0")


def test_malformed_input_names_the_field(seller: Caller, admin: Caller, service: Caller) -> None:
    lot = live_lot(seller, admin)
    cases = [
        (lambda: reserve(service, lot.name, buyer_id=""), ["buyer_id"]),
        (lambda: reserve(service, lot.name, "-3"), ["quantity"]),
        (lambda: reserve(service, lot.name, "lots"), ["quantity"]),
        (lambda: reserve(service, "lots/1"), ["name"]),
        (
            lambda: service.GetReservation(api.GetReservationRequest(name=lot.name + "/holds/x")),
            ["name"],
        ),
        (
            lambda: service.ReleaseReservation(
                api.ReleaseReservationRequest(name=lot.name + "/reservations/not-a-uuid")
            ),
            ["name"],
        ),
        (lambda: service.MarkSold(api.MarkSoldRequest(name=lot.name)), ["quantity"]),
    ]
    for call, fields in cases:
        code, details = refusal(call)
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert details["fields"] == fields


@pytest.mark.parametrize(
    ("overrides", "quantity", "reason"),
    [
        ({}, "101", "INSUFFICIENT_QUANTITY"),
        ({"min_order_quantity": "20"}, "19", "BELOW_MINIMUM_ORDER"),
        ({"allow_partial_order": False}, "50", "PARTIAL_NOT_ALLOWED"),
    ],
)
def test_each_refusal_is_failed_precondition_with_its_reason(
    seller: Caller,
    admin: Caller,
    service: Caller,
    engine: Engine,
    overrides: dict[str, object],
    quantity: str,
    reason: str,
) -> None:
    lot = live_lot(seller, admin, **overrides)
    code, details = refusal(lambda: reserve(service, lot.name, quantity))
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, reason)
    code, details = refusal(
        lambda: service.MarkSold(api.MarkSoldRequest(name=lot.name, quantity=quantity))
    )
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, reason)
    assert counts(lot_of(service, lot.name)) == ("100", "0", "0")
    assert event_types(engine, lot.name) == ["CREATED", "APPROVED"]


def test_a_draft_lot_cannot_be_held(seller: Caller, service: Caller) -> None:
    draft = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability
    code, details = refusal(lambda: reserve(service, draft.name))
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_STATE")


def test_a_remainder_below_the_minimum_may_be_taken_whole(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = live_lot(seller, admin, min_order_quantity="30")
    reserve(service, lot.name, "85")
    _, details = refusal(lambda: reserve(service, lot.name, "10"))
    assert details["reason"] == "BELOW_MINIMUM_ORDER"
    reply = reserve(service, lot.name, "15")
    assert counts(reply.availability) == ("0", "100", "0")
    assert reply.availability.state == Lot.STATE_RESERVED


def test_release_returns_the_quantity_and_a_second_release_is_a_no_op(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = live_lot(seller, admin)
    hold = reserve(service, lot.name, "100").reservation
    release = api.ReleaseReservationRequest(name=hold.name, reason="buyer walked away")
    first = service.ReleaseReservation(release)
    assert first.reservation.state == Hold.STATE_RELEASED
    assert first.reservation.release_reason == "buyer walked away"
    assert counts(first.availability) == ("100", "0", "0")
    assert first.availability.state == Lot.STATE_ACTIVE
    again = service.ReleaseReservation(release)
    assert again.reservation == first.reservation
    assert event_types(engine, lot.name) == ["CREATED", "APPROVED", "RESERVED", "RELEASED"]


def test_selling_a_whole_hold_then_releasing_it_is_refused(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = live_lot(seller, admin)
    hold = reserve(service, lot.name, "100").reservation
    sold = service.MarkSold(api.MarkSoldRequest(name=hold.name, trade_id="trade-1"))
    assert sold.reservation.state == Hold.STATE_SOLD
    assert (sold.reservation.sold_quantity, sold.reservation.trade_id) == ("100", "trade-1")
    assert counts(sold.availability) == ("0", "0", "100")
    assert sold.availability.state == Lot.STATE_SOLD
    code, details = refusal(
        lambda: service.ReleaseReservation(api.ReleaseReservationRequest(name=hold.name))
    )
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_STATE")
    assert event_types(engine, lot.name)[-1] == "SOLD"


def test_selling_part_of_a_hold_returns_the_rest_to_available(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = live_lot(seller, admin)
    hold = reserve(service, lot.name, "40").reservation
    sold = service.MarkSold(api.MarkSoldRequest(name=hold.name, quantity="25", trade_id="t-2"))
    assert (sold.reservation.state, sold.reservation.sold_quantity) == (Hold.STATE_SOLD, "25")
    assert counts(sold.availability) == ("75", "0", "25")
    code, details = refusal(
        lambda: service.MarkSold(api.MarkSoldRequest(name=hold.name, trade_id="t-3"))
    )
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_STATE")


def test_a_direct_sale_sells_available_quantity_without_a_hold_and_keeps_its_record(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = live_lot(seller, admin)
    sold = service.MarkSold(
        api.MarkSoldRequest(name=lot.name, quantity="60", trade_id="t-9", buyer_id="b-9")
    )
    assert counts(sold.availability) == ("40", "0", "60")
    assert event_types(engine, lot.name)[-1] == "SOLD"
    # The sale's record: its own SOLD row under the lot, with the buyer and the trade.
    record = sold.reservation
    assert record.name.startswith(lot.name + "/reservations/")
    assert (record.state, record.sold_quantity, record.buyer_id, record.trade_id) == (
        Hold.STATE_SOLD,
        "60",
        "b-9",
        "t-9",
    )
    assert service.GetReservation(api.GetReservationRequest(name=record.name)).reservation == record


def test_a_hold_cannot_be_sold_to_another_buyer(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = live_lot(seller, admin)
    hold = reserve(service, lot.name, buyer_id="buyer-a").reservation
    code, details = refusal(
        lambda: service.MarkSold(api.MarkSoldRequest(name=hold.name, buyer_id="buyer-b"))
    )
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, "BUYER_MISMATCH")
    sold = service.MarkSold(api.MarkSoldRequest(name=hold.name, buyer_id="buyer-a"))
    assert sold.reservation.state == Hold.STATE_SOLD


def test_a_hold_named_under_another_lot_is_not_found(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    mine, other = live_lot(seller, admin), live_lot(seller, admin)
    hold = reserve(service, mine.name, "10").reservation
    wrong = other.name + "/reservations/" + hold.name.rsplit("/", 1)[1]
    calls = [
        lambda: service.GetReservation(api.GetReservationRequest(name=wrong)),
        lambda: service.ReleaseReservation(api.ReleaseReservationRequest(name=wrong)),
        lambda: service.MarkSold(api.MarkSoldRequest(name=wrong)),
        lambda: service.ExtendReservation(api.ExtendReservationRequest(name=wrong)),
        lambda: service.GetReservation(
            api.GetReservationRequest(name=f"{mine.name}/reservations/{uuid.uuid4()}")
        ),
    ]
    for call in calls:
        assert refusal(call)[0] == grpc.StatusCode.NOT_FOUND
    still = service.GetReservation(api.GetReservationRequest(name=hold.name)).reservation
    assert still.state == Hold.STATE_ACTIVE
    assert counts(lot_of(service, other.name)) == ("100", "0", "0")


def test_only_service_and_admin_callers_may_hold(
    seller: Caller, admin: Caller, buyer: Caller
) -> None:
    lot = live_lot(seller, admin)
    for who in (seller, buyer):
        assert refusal(lambda who=who: reserve(who, lot.name))[0] == (
            grpc.StatusCode.PERMISSION_DENIED
        )
    assert reserve(admin, lot.name).reservation.state == Hold.STATE_ACTIVE


def test_extend_counts_from_now_and_only_for_active_holds(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = live_lot(seller, admin)
    hold = reserve(service, lot.name, ttl=seconds(60)).reservation
    extended = service.ExtendReservation(
        api.ExtendReservationRequest(name=hold.name, ttl=seconds(3600))
    ).reservation
    lifetime = when(extended.expire_time) - datetime.now(UTC)
    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)
    assert extended.revision > hold.revision
    assert event_types(engine, lot.name)[-1] == "UPDATED"
    service.ReleaseReservation(api.ReleaseReservationRequest(name=hold.name))
    code, details = refusal(
        lambda: service.ExtendReservation(
            api.ExtendReservationRequest(name=hold.name, ttl=seconds(60))
        )
    )
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_STATE")


def test_an_overdue_hold_cannot_be_extended_or_sold(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    lot = live_lot(seller, admin)
    hold = reserve(service, lot.name, ttl=seconds(1)).reservation
    time.sleep(1.1)
    for call in (
        lambda: service.ExtendReservation(
            api.ExtendReservationRequest(name=hold.name, ttl=seconds(60))
        ),
        lambda: service.MarkSold(api.MarkSoldRequest(name=hold.name)),
    ):
        code, details = refusal(call)
        assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, "HOLD_EXPIRED")


def test_a_short_hold_expires_and_returns_its_quantity_without_any_further_call(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = live_lot(seller, admin)
    hold = reserve(service, lot.name, "100", ttl=seconds(1)).reservation
    assert lot_of(service, lot.name).state == Lot.STATE_RESERVED
    # Reads stop counting the hold at once; the sweeper then records the expiry by itself.
    wait_for(lambda: lot_of(service, lot.name).reserved_quantity == "0")
    wait_for(lambda: event_types(engine, lot.name)[-1] == "EXPIRED")
    assert event_types(engine, lot.name) == ["CREATED", "APPROVED", "RESERVED", "EXPIRED"]
    after = lot_of(service, lot.name)
    assert counts(after) == ("100", "0", "0")
    assert after.state == Lot.STATE_ACTIVE
    got = service.GetReservation(api.GetReservationRequest(name=hold.name)).reservation
    assert got.state == Hold.STATE_EXPIRED


def test_reads_show_an_overdue_hold_as_expired_before_it_is_swept(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = live_lot(seller, admin)
    hold = reserve(service, lot.name).reservation
    hold_id = uuid.UUID(hold.name.rsplit("/", 1)[1])
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE reservations SET expire_time = now() - interval '1 s' WHERE id = :id"),
            {"id": hold_id},
        )
    got = service.GetReservation(api.GetReservationRequest(name=hold.name)).reservation
    assert got.state == Hold.STATE_EXPIRED
    wait_for(lambda: lot_of(service, lot.name).reserved_quantity == "0")


def test_a_lot_past_valid_until_expires_and_releases_its_holds(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    until = Timestamp()
    until.FromDatetime(datetime.now(UTC) + timedelta(seconds=1.5))
    lot = live_lot(seller, admin, valid_until=until)
    hold = reserve(service, lot.name, "40").reservation
    wait_for(lambda: lot_of(service, lot.name).state == Lot.STATE_EXPIRED)
    assert counts(lot_of(service, lot.name)) == ("100", "0", "0")
    got = service.GetReservation(api.GetReservationRequest(name=hold.name)).reservation
    assert got.state == Hold.STATE_EXPIRED
    assert event_types(engine, lot.name)[-2:] == ["EXPIRED", "EXPIRED"]
    code, details = refusal(lambda: reserve(service, lot.name))
    assert (code, details["reason"]) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_STATE")


def test_each_mutating_rpc_replays_its_first_result_for_the_same_request_id(
    seller: Caller, admin: Caller, service: Caller, engine: Engine
) -> None:
    lot = live_lot(seller, admin)
    key = uuid.uuid4().hex
    first = reserve(service, lot.name, "10", request_id="r-" + key)
    assert reserve(service, lot.name, "10", request_id="r-" + key) == first
    name = first.reservation.name
    extend = api.ExtendReservationRequest(name=name, ttl=seconds(600), request_id="e-" + key)
    assert service.ExtendReservation(extend) == service.ExtendReservation(extend)
    sell = api.MarkSoldRequest(name=name, quantity="4", request_id="s-" + key)
    assert service.MarkSold(sell) == service.MarkSold(sell)
    other = reserve(service, lot.name, "10").reservation
    release = api.ReleaseReservationRequest(name=other.name, request_id="l-" + key)
    assert service.ReleaseReservation(release) == service.ReleaseReservation(release)
    direct = api.MarkSoldRequest(name=lot.name, quantity="5", request_id="d-" + key)
    assert service.MarkSold(direct) == service.MarkSold(direct)
    assert event_types(engine, lot.name) == [
        "CREATED", "APPROVED", "RESERVED", "UPDATED", "SOLD", "RESERVED", "RELEASED", "SOLD",
    ]  # fmt: skip
    assert counts(lot_of(service, lot.name)) == ("91", "0", "9")
    code, details = refusal(lambda: reserve(service, lot.name, "11", request_id="r-" + key))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details["reason"] == "REQUEST_ID_REUSED"


def test_the_consistency_check_finds_a_lot_whose_counters_drift_from_its_holds(
    seller: Caller, admin: Caller, service: Caller, engine: Engine, database_url: str
) -> None:
    lot = live_lot(seller, admin)
    hold = reserve(service, lot.name, "10").reservation
    lot_id = uuid.UUID(lot.name.split("/")[1])
    hold_id = uuid.UUID(hold.name.rsplit("/", 1)[1])
    with engine.connect() as conn:
        assert find_violations(conn, [lot_id]) == []
    drift = "UPDATE reservations SET state = :state WHERE id = :id"
    with engine.begin() as conn:
        conn.execute(text(drift), {"state": "RELEASED", "id": hold_id})
    try:
        with engine.connect() as conn:
            [found] = find_violations(conn, [lot_id])
        assert (found.reserved, found.held_by_active_holds) == (10, 0)
        cli = [sys.executable, "-m", "availability_service.cli", "check"]
        result = subprocess.run(
            [*cli, "--database-url", database_url], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 1
        assert str(lot_id) in result.stdout
    finally:
        with engine.begin() as conn:
            conn.execute(text(drift), {"state": "ACTIVE", "id": hold_id})
    with engine.connect() as conn:
        assert find_violations(conn, [lot_id]) == []
