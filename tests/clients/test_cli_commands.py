"""`avail` has a command for every RPC, each printing the reply as table, JSON or YAML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.clients.conftest import Identity, identity, registered_seller, run_avail
from tests.clients.test_cli import LOT_YAML
from tests.support.server import ServerThread
from tradedesk_availability_client import AvailabilityClient
from tradedesk_availability_client.cli import exit_codes


class Avail:
    """`avail` as one identity against the test server; JSON replies parsed."""

    def __init__(self, server: ServerThread, who: Identity) -> None:
        self.server, self.who = server, who

    def run(self, *args: str) -> Any:
        result = run_avail(self.server.address, self.who.token, *args)
        assert result.exit_code == 0, (args, result.output, result.stderr)
        return result

    def one(self, *args: str) -> dict[str, Any]:
        return json.loads(self.run("-o", "json", *args).stdout)  # type: ignore[no-any-return]

    def lines(self, *args: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.run("-o", "json", *args).stdout.splitlines()]


def _people(server: ServerThread) -> tuple[Avail, Avail, Avail]:
    with AvailabilityClient(server.address, identity("ADMIN").token) as admin:
        who = registered_seller(admin)
    return Avail(server, identity("ADMIN")), Avail(server, who), Avail(server, identity("SERVICE"))


def _lot_file(folder: Path, who: Identity) -> str:
    path = folder / "lot.yaml"
    path.write_text(LOT_YAML.replace("{location}", who.location_id))
    return str(path)


def test_lot_commands_create_update_approve_reject_delete_and_list(
    server: ServerThread, tmp_path: Path
) -> None:
    admin, seller, _ = _people(server)
    lot_file = _lot_file(tmp_path, seller.who)
    lot = seller.one("create", lot_file)
    name = lot["name"]
    updated = seller.one(
        "update", name, "--set", "base_price.amount=1700", "--set", "base_price.currency_code=USD",
        "--set", "tags=dry|ginned",
    )  # fmt: skip
    assert (updated["base_price"]["amount"], updated["tags"]) == ("1700", ["dry", "ginned"])
    assert updated["etag"] != lot["etag"]
    assert admin.one("approve", name)["state"] == "STATE_ACTIVE"
    assert seller.one("get", name.removeprefix("availabilities/"))["state"] == "STATE_ACTIVE"
    rejected = seller.one("create", lot_file)["name"]
    assert admin.one("reject", rejected, "--reason", "no certificate")["state"] == "STATE_REJECTED"
    deleted = seller.one("create", lot_file)["name"]
    assert "delete_time" in seller.one("delete", deleted)
    listed = seller.lines("list", "--seller", seller.who.subject, "--show-deleted")
    assert {item["name"] for item in listed} == {name, rejected, deleted}
    both = seller.lines("create", "--batch", _two_lots(tmp_path, lot_file))
    assert [result["availability"]["state"] for result in both] == ["STATE_DRAFT"] * 2


def _two_lots(folder: Path, lot_file: str) -> str:
    doc = yaml.safe_load(Path(lot_file).read_text())
    path = folder / "two.yaml"
    path.write_text(yaml.safe_dump([doc, {**doc, "variety": "MCU-5"}]))
    return str(path)


def test_hold_commands_reserve_show_extend_release_and_sell(
    server: ServerThread, tmp_path: Path
) -> None:
    admin, seller, engine = _people(server)
    name = seller.one("create", _lot_file(tmp_path, seller.who))["name"]
    admin.run("approve", name)
    held = engine.one("reserve", name, "30", "--buyer", "buyer-7", "--ttl", "1h")
    hold = held["reservation"]["name"]
    assert held["availability"]["available_quantity"] == "70"
    assert engine.one("reservation", hold)["reservation"]["state"] == "STATE_ACTIVE"
    before = held["reservation"]["expire_time"]
    assert engine.one("extend", hold, "2h")["reservation"]["expire_time"] > before
    released = engine.one("release", hold, "--reason", "deal off")
    assert released["reservation"]["state"] == "STATE_RELEASED"
    again = engine.one("reserve", name, "40", "--buyer", "buyer-7")["reservation"]["name"]
    sold = engine.one("mark-sold", again, "--trade-id", "T-1")
    assert (sold["reservation"]["state"], sold["availability"]["sold_quantity"]) == (
        "STATE_SOLD",
        "40",
    )


def test_finding_commands_search_similar_readiness_and_watch(
    server: ServerThread, tmp_path: Path
) -> None:
    admin, seller, engine = _people(server)
    lot_file = _lot_file(tmp_path, seller.who)
    first = seller.one("create", lot_file)
    names = [first["name"], seller.one("create", lot_file)["name"]]
    for name in names:
        admin.run("approve", name)
    found = engine.lines("search", "cotton", "--near", "22.3,70.8", "--radius-km", "5")
    assert set(names) <= {result["availability"]["name"] for result in found}
    alike = engine.lines("similar", names[0])
    assert names[1] in {result["availability"]["name"] for result in alike}
    assert engine.one("readiness", names[0])["name"] == names[0]
    events = engine.lines(
        "watch", "--seller", seller.who.subject, "--from-revision", str(int(first["revision"]) - 1),
        "--limit", "4",
    )  # fmt: skip
    assert [(e["type"], e["availability"]["name"]) for e in events] == [
        ("EVENT_TYPE_CREATED", names[0]),
        ("EVENT_TYPE_CREATED", names[1]),
        ("EVENT_TYPE_APPROVED", names[0]),
        ("EVENT_TYPE_APPROVED", names[1]),
    ]


def test_location_commands_upsert_and_list(server: ServerThread) -> None:
    admin = Avail(server, identity("ADMIN"))
    owner = identity("SELLER").subject
    place = admin.one(
        "upsert-location", f"loc-{owner}", "--owner", owner, "--point", "22.3,70.8",
        "--region", "IN-GJ", "--display-name", "Rajkot yard",
    )  # fmt: skip
    assert (place["owner_id"], place["region"]) == (owner, "IN-GJ")
    listed = admin.lines("locations", "--owner", owner)
    assert [item["location_id"] for item in listed] == [f"loc-{owner}"]


def test_yaml_and_table_output_show_the_same_reply_as_json(
    server: ServerThread, tmp_path: Path
) -> None:
    _, seller, _ = _people(server)
    lot_file = _lot_file(tmp_path, seller.who)
    name = seller.one("create", lot_file)["name"]
    seller.run("create", lot_file)
    as_json = seller.one("get", name)
    assert yaml.safe_load(seller.run("-o", "yaml", "get", name).stdout) == as_json
    listed = seller.run("-o", "yaml", "list", "--seller", seller.who.subject).stdout
    assert len(list(yaml.safe_load_all(listed))) == 2
    table = seller.run("-o", "table", "list", "--seller", seller.who.subject).stdout
    assert "2 lots" in table
    assert "DRAFT" in table
    assert "{" not in table


def test_hold_flags_release_part_sell_at_a_price_and_force_a_withdrawal(
    server: ServerThread, tmp_path: Path
) -> None:
    admin, seller, engine = _people(server)
    name = seller.one("create", _lot_file(tmp_path, seller.who))["name"]
    admin.run("approve", name)
    hold = engine.one("reserve", name, "30", "--buyer", "buyer-7")["reservation"]["name"]
    part = engine.one("release", hold, "--quantity", "10")
    assert (part["reservation"]["quantity"], part["availability"]["available_quantity"]) == (
        "20",
        "80",
    )
    sold = engine.one("mark-sold", hold, "--price", "1690", "--currency", "USD")
    assert sold["reservation"]["sold_price"] == {"currency_code": "USD", "amount": "1690"}
    open_hold = engine.one("reserve", name, "5", "--buyer", "buyer-8")["reservation"]["name"]
    refused = run_avail(server.address, seller.who.token, "delete", name)
    assert refused.exit_code == exit_codes.PRECONDITION
    assert "delete_time" in seller.one("delete", name, "--force")
    withdrawn = engine.one("reservation", open_hold)["reservation"]
    assert (withdrawn["state"], withdrawn["release_reason"]) == ("STATE_RELEASED", "LOT_WITHDRAWN")
