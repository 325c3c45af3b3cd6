"""BatchCreateAvailabilities: each lot on its own, refusals reported per lot, replays idempotent."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import grpc
import pytest

from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tradedesk.availability.v1 import availability_service_pb2 as api


def trader_lots(trader: Caller) -> list[str]:
    page = trader.ListAvailabilities(api.ListAvailabilitiesRequest(seller_id=trader.subject))
    return sorted(a.name for a in page.availabilities)


def test_a_batch_creates_the_good_lots_and_reports_each_refusal(
    caller: Callable[..., Caller],
) -> None:
    trader = caller("TRADER")
    ids = [str(uuid.uuid4()) for _ in range(3)]
    request = api.BatchCreateAvailabilitiesRequest(
        requests=[
            api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=ids[0]),
            api.CreateAvailabilityRequest(
                availability=cotton_lot(total_quantity="-3"), request_id=ids[1]
            ),
            api.CreateAvailabilityRequest(
                availability=cotton_lot(variety="MCU-5"), request_id=ids[2]
            ),
        ]
    )
    results = trader.BatchCreateAvailabilities(request).results
    assert [r.code for r in results] == [0, grpc.StatusCode.INVALID_ARGUMENT.value[0], 0]
    assert results[1].field_violations[0].startswith("availability.total_quantity:")
    assert [r.reason for r in results] == ["", "INVALID_ARGUMENT", ""]
    assert not results[1].HasField("availability")
    created = sorted(r.availability.name for r in results if r.code == 0)
    assert trader_lots(trader) == created
    again = trader.BatchCreateAvailabilities(request).results
    assert [r.availability.name for r in again] == [r.availability.name for r in results]
    assert trader_lots(trader) == created  # the replay wrote nothing


def test_a_batch_over_the_limit_is_refused_whole(caller: Callable[..., Caller]) -> None:
    trader = caller("TRADER")
    request = api.BatchCreateAvailabilitiesRequest(
        requests=[api.CreateAvailabilityRequest(availability=cotton_lot())] * 501
    )
    with pytest.raises(grpc.RpcError) as err:
        trader.BatchCreateAvailabilities(request)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["fields"] == ["requests"]
    assert trader_lots(trader) == []


def test_a_buyer_may_not_batch_create(buyer: Caller) -> None:
    with pytest.raises(grpc.RpcError) as err:
        buyer.BatchCreateAvailabilities(api.BatchCreateAvailabilitiesRequest())
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
