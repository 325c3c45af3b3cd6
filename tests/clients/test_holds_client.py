"""The Python client and `avail reservations` over the hold features of issue 14."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from click.testing import CliRunner

from tests.clients.conftest import Identity, identity, registered_seller
from tests.support.server import ServerThread
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk_availability_client import AvailabilityClient
from tradedesk_availability_client.cli import exit_codes
from tradedesk_availability_client.cli.main import cli

ClientFor = Callable[[Identity], AvailabilityClient]
Hold = pb.Reservation


def test_the_client_holds_on_terms_releases_part_sells_at_a_price_and_lists_holds(
    client_for: ClientFor,
) -> None:
    admin = client_for(identity("ADMIN"))
    who = registered_seller(admin)
    lot = admin.approve_availability(client_for(who).create_availability(who.lot()).name)
    engine = client_for(identity("SERVICE"))
    negotiation = f"neg-{uuid.uuid4().hex[:8]}"
    held = engine.reserve_availability(
        lot.name, "30", "buyer-1", negotiation_id=negotiation
    ).reservation
    assert held.price == pb.Money(currency_code="USD", amount="1650")
    part = engine.release_reservation(held.name, quantity="10").reservation
    assert (part.state, part.quantity) == (Hold.STATE_ACTIVE, "20")
    price = pb.Money(currency_code="USD", amount="1649")
    sold = engine.mark_sold(held.name, sold_price=price).reservation
    assert sold.sold_price == price
    second = engine.reserve_availability(lot.name, "5", "buyer-2", negotiation_id=negotiation)
    recovered = list(engine.iter_reservations(negotiation_id=negotiation, page_size=1))
    assert [h.name for h in recovered] == [held.name, second.reservation.name]
    only_active = engine.list_reservations(lot.name, states=[Hold.STATE_ACTIVE])
    assert [h.name for h in only_active.reservations] == [second.reservation.name]
    gone = client_for(who).delete_availability(lot.name, force=True)
    assert gone.state == pb.Availability.STATE_CANCELLED
    assert engine.get_reservation(second.reservation.name).release_reason == "LOT_WITHDRAWN"


def test_avail_reservations_lists_a_sellers_holds_as_json_when_piped(
    server: ServerThread, client_for: ClientFor
) -> None:
    admin = client_for(identity("ADMIN"))
    who = registered_seller(admin)
    lot = admin.approve_availability(client_for(who).create_availability(who.lot()).name)
    engine = client_for(identity("SERVICE"))
    first = engine.reserve_availability(lot.name, "10", "buyer-a").reservation
    engine.reserve_availability(lot.name, "15", "buyer-b")
    result = CliRunner().invoke(
        cli,
        ["reservations", lot.name.removeprefix("availabilities/"), "--buyer", "buyer-a"],
        env={"AVAIL_TARGET": server.address, "AVAIL_TOKEN": who.token},
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["name"], r["quantity"], r["state"]) for r in rows] == [
        (first.name, "10", "STATE_ACTIVE")
    ]
    buyer = identity("BUYER")
    refused = CliRunner().invoke(
        cli,
        ["reservations"],
        env={"AVAIL_TARGET": server.address, "AVAIL_TOKEN": buyer.token},
    )
    assert refused.exit_code == exit_codes.PERMISSION_DENIED
    assert "PERMISSION_DENIED" in refused.stderr
