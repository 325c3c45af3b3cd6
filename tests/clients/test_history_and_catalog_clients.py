"""The Python client and `avail` for issue 14: history, the catalog and the new search filters."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner

from tests.clients.conftest import Identity, identity, registered_seller
from tests.support.server import ServerThread
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2
from tradedesk_availability_client import AvailabilityClient
from tradedesk_availability_client.cli.main import cli


def approved_lot(admin: AvailabilityClient, seller: AvailabilityClient, who: Identity) -> str:
    name: str = seller.create_availability(who.lot(total_quantity="40")).name
    admin.approve_availability(name)
    return name


def avail(server: ServerThread, who: Identity, *args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(
        cli, list(args), env={"AVAIL_TARGET": server.address, "AVAIL_TOKEN": who.token}
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_the_client_pages_through_a_lots_history(
    client_for: Callable[..., AvailabilityClient],
) -> None:
    admin = client_for(identity("ADMIN"))
    who = registered_seller(admin)
    seller = client_for(who)
    name = approved_lot(admin, seller, who)
    service = client_for(identity("SERVICE"))
    hold = service.reserve_availability(name, "5", "buyer-c").reservation
    service.release_reservation(hold.name)
    events = list(seller.iter_availability_events(name, page_size=1))
    assert [watch_pb2.EventType.Name(e.type) for e in events] == [
        "EVENT_TYPE_CREATED",
        "EVENT_TYPE_APPROVED",
        "EVENT_TYPE_RESERVED",
        "EVENT_TYPE_RELEASED",
    ]
    first = seller.list_availability_events(name, page_size=2)
    assert len(first.events) == 2 and first.next_page_token


def test_the_client_lists_the_catalog(client_for: Callable[..., AvailabilityClient]) -> None:
    buyer = client_for(identity("BUYER"))
    codes = [c.code for c in buyer.iter_commodities(page_size=3)]
    assert codes == sorted(codes) and "cotton" in codes
    assert [c.code for c in buyer.list_commodities().commodities] == codes


def test_the_client_searches_with_the_new_filters(
    client_for: Callable[..., AvailabilityClient],
) -> None:
    admin = client_for(identity("ADMIN"))
    who = registered_seller(admin)
    seller = client_for(who)
    name = approved_lot(admin, seller, who)  # 40 t in IN-GJ at 1650 USD/t
    buyer = client_for(identity("BUYER"))
    near = {"near": pb.LatLng(latitude=22.3, longitude=70.8), "radius_km": 1}

    def found(**filters: object) -> bool:
        return name in {r.availability.name for r in buyer.iter_search("cotton", **near, **filters)}

    assert found(delivery_regions=["IN-GJ"], order_quantity="40000")
    assert not found(order_quantity="40001")
    assert not found(delivery_regions=["US-TX"])
    assert found(min_price=pb.Money(currency_code="USD", amount="1650"))
    assert not found(min_price=pb.Money(currency_code="USD", amount="1651"))


def test_avail_history_and_commodities_print_json_when_piped(
    server: ServerThread, client_for: Callable[..., AvailabilityClient]
) -> None:
    admin = client_for(identity("ADMIN"))
    who = registered_seller(admin)
    name = approved_lot(admin, client_for(who), who)
    events = avail(server, who, "history", name.removeprefix("availabilities/"), "--page-size", "1")
    assert [e["type"] for e in events] == ["EVENT_TYPE_CREATED", "EVENT_TYPE_APPROVED"]
    [cotton] = avail(server, who, "commodities", "--code", "cotton")
    assert cotton["quantity_unit"] == "kg"
    staple = next(p for p in cotton["quality_parameters"] if p["name"] == "staple_length")
    assert (staple["canonical_unit"], staple["range_min"], staple["range_max"]) == ("mm", 20, 40)


def test_avail_search_takes_the_new_filters(
    server: ServerThread, client_for: Callable[..., AvailabilityClient]
) -> None:
    admin = client_for(identity("ADMIN"))
    who = registered_seller(admin)
    name = approved_lot(admin, client_for(who), who)
    base = ["search", "cotton", "--near", "22.3,70.8", "--radius-km", "1", "--include-anomalies"]
    hits = avail(
        server, who, *base, "--region", "IN-GJ", "--order-quantity", "40000", "--min-price", "1600"
    )
    assert name in {h["availability"]["name"] for h in hits}
    too_much = avail(server, who, *base, "--order-quantity", "40001")
    assert name not in {h["availability"]["name"] for h in too_much}
