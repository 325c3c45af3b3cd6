"""The Python client against the in-process server: typed calls, typed errors, pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.clients.conftest import Identity, identity, registered_seller
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk_availability_client import (
    AvailabilityClient,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
)

ClientFor = Callable[[Identity], AvailabilityClient]


def test_create_approve_and_get_round_trip_typed_messages(client_for: ClientFor) -> None:
    admin = client_for(identity("ADMIN"))
    who = registered_seller(admin)
    seller = client_for(who)
    lot = seller.create_availability(who.lot())
    approved = admin.approve_availability(lot.name)
    assert approved.state == pb.Availability.STATE_ACTIVE
    assert seller.get_availability(lot.name) == approved


def test_a_replayed_request_id_returns_the_first_lot(client_for: ClientFor) -> None:
    who = registered_seller(client_for(identity("ADMIN")))
    seller = client_for(who)
    request_id = str(uuid.uuid4())
    first = seller.create_availability(who.lot(), request_id=request_id)
    again = seller.create_availability(who.lot(), request_id=request_id)
    assert again.name == first.name


def test_errors_are_typed_and_carry_the_google_rpc_details(client_for: ClientFor) -> None:
    admin = client_for(identity("ADMIN"))
    who = registered_seller(admin)
    seller = client_for(who)
    with pytest.raises(NotFoundError):
        seller.get_availability(f"availabilities/{uuid.uuid4()}")
    with pytest.raises(InvalidArgumentError) as bad:
        seller.create_availability(who.lot(total_quantity="-5"))
    assert [v.field for v in bad.value.field_violations] == ["availability.total_quantity"]
    lot = seller.create_availability(who.lot())
    admin.approve_availability(lot.name)
    with pytest.raises(FailedPreconditionError) as wrong_state:
        admin.approve_availability(lot.name)
    assert wrong_state.value.reason
    assert wrong_state.value.details.precondition_violations
    with pytest.raises(PermissionDeniedError):
        seller.approve_availability(lot.name)


def test_a_bad_token_is_unauthenticated_and_not_retried(client_for: ClientFor) -> None:
    stranger = client_for(Identity("nobody", "not-a-jwt"))
    with pytest.raises(UnauthenticatedError):
        stranger.list_availabilities()


def test_the_page_iterator_walks_every_page_once(client_for: ClientFor) -> None:
    who = registered_seller(client_for(identity("ADMIN")))
    seller = client_for(who)
    names = {seller.create_availability(who.lot()).name for _ in range(5)}
    seen = [lot.name for lot in seller.iter_availabilities(seller_id=who.subject, page_size=2)]
    assert sorted(seen) == sorted(names)
