"""`avail` against the in-process server: files in, JSON out when piped, idempotent imports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY

from tests.clients.conftest import Identity, identity, registered_seller, run_avail
from tests.support.server import ServerThread
from tradedesk_availability_client import AvailabilityClient
from tradedesk_availability_client.cli import exit_codes

LOT_YAML = """
commodity: cotton
variety: Shankar-6
grade: 41-4
quantity_unit: t
total_quantity: 100
base_price: {currency_code: USD, amount: 1650.5}
price_unit: t
delivery_region: IN-GJ
delivery_location: {latitude: 22.3, longitude: 70.8}
location_id: {location}
country_of_origin: IN
quality_params:
  staple_length: 29 mm
  micronaire: 4.1
tags: [organic, export]
"""

CSV = """commodity,variety,quantity_unit,total_quantity,base_price.amount,base_price.currency_code,\
price_unit,delivery_region,delivery_location.latitude,delivery_location.longitude,location_id,\
quality.staple_length,tags
cotton,Shankar-6,t,100,1650,USD,t,IN-GJ,22.3,70.8,{location},29 mm,organic|export
cotton,MCU-5,t,-5,1700,USD,t,IN-GJ,22.3,70.8,{location},30 mm,
cotton,DCH-32,t,40,1800,USD,t,IN-GJ,22.3,70.8,{location},31 mm,
"""


def avail(server: ServerThread, who: Identity, *args: str) -> Any:
    return run_avail(server.address, who.token, *args)


def _seller(server: ServerThread) -> Identity:
    with AvailabilityClient(server.address, identity("ADMIN").token) as admin:
        return registered_seller(admin)


def test_create_from_yaml_then_get_and_list_print_json_when_piped(
    server: ServerThread, tmp_path: Path
) -> None:
    who = _seller(server)
    lot_file = tmp_path / "lot.yaml"
    lot_file.write_text(LOT_YAML.replace("{location}", who.location_id))
    created = avail(server, who, "create", str(lot_file))
    assert created.exit_code == 0, created.output
    lot = json.loads(created.output)
    assert (lot["state"], lot["total_quantity"], lot["tags"]) == (
        "STATE_DRAFT",
        "100",
        ["organic", "export"],
    )
    assert lot["base_price"]["amount"] == "1650.5"
    got = avail(server, who, "get", lot["name"].removeprefix("availabilities/"))
    assert json.loads(got.output)["name"] == lot["name"]
    listed = avail(server, who, "list", "--seller", who.subject, "--state", "draft")
    assert [json.loads(line)["name"] for line in listed.output.splitlines()] == [lot["name"]]


def test_import_reports_failed_rows_and_a_rerun_creates_no_duplicates(
    server: ServerThread, tmp_path: Path
) -> None:
    who = _seller(server)
    csv_file = tmp_path / "lots.csv"
    csv_file.write_text(CSV.replace("{location}", who.location_id))
    first = avail(server, who, "import", str(csv_file))
    assert first.exit_code == 1  # one row failed
    report = json.loads(first.output)
    assert report["total"] == 3
    assert [row["row"] for row in report["created"]] == [1, 3]
    [failed] = report["failed"]
    assert (failed["row"], failed["code"]) == (2, "INVALID_ARGUMENT")
    assert failed["fields"][0].startswith("availability.total_quantity")
    again = json.loads(avail(server, who, "import", str(csv_file)).output)
    assert again["created"] == report["created"]  # replayed by request_id, not created again
    listed = avail(server, who, "list", "--seller", who.subject)
    assert len(listed.output.splitlines()) == 2


def rpcs_answered(method: str, code: str) -> float:
    value = REGISTRY.get_sample_value("availability_rpc_total", {"method": method, "code": code})
    return value or 0.0


def test_import_sends_rows_in_batches_and_maps_each_answer_to_its_row(
    server: ServerThread, tmp_path: Path
) -> None:
    who = _seller(server)
    csv_file = tmp_path / "lots.csv"
    csv_file.write_text(CSV.replace("{location}", who.location_id))
    batches = rpcs_answered("BatchCreateAvailabilities", "OK")
    singles = rpcs_answered("CreateAvailability", "OK")
    result = avail(server, who, "import", "--batch-size", "2", str(csv_file))
    report = json.loads(result.output)
    # Rows 1-2 in the first call, row 3 in the second; the bad row fails on its own.
    assert rpcs_answered("BatchCreateAvailabilities", "OK") == batches + 2
    assert rpcs_answered("CreateAvailability", "OK") == singles
    assert [row["row"] for row in report["created"]] == [1, 3]
    [failed] = report["failed"]
    assert (failed["row"], failed["code"], failed["reason"]) == (
        2,
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT",
    )
    names = {row["name"] for row in report["created"]}
    listed = avail(server, who, "list", "--seller", who.subject)
    assert {json.loads(line)["name"] for line in listed.output.splitlines()} == names


def test_an_import_call_refused_as_a_whole_fails_every_row_of_it(
    server: ServerThread, tmp_path: Path
) -> None:
    seller = _seller(server)
    buyer = identity("BUYER")
    csv_file = tmp_path / "lots.csv"
    csv_file.write_text(CSV.replace("{location}", seller.location_id))
    result = avail(server, buyer, "import", str(csv_file))
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["created"] == []
    assert [(f["row"], f["code"]) for f in report["failed"]] == [
        (1, "PERMISSION_DENIED"),
        (2, "PERMISSION_DENIED"),
        (3, "PERMISSION_DENIED"),
    ]


def test_an_error_names_the_code_and_the_fields(server: ServerThread) -> None:
    who = _seller(server)
    result = avail(server, who, "get", "not/a-lot")
    assert result.exit_code == exit_codes.INVALID_ARGUMENT
    assert "INVALID_ARGUMENT" in result.stderr


def test_watch_search_prints_the_standing_search_changes_as_json_lines(
    server: ServerThread, monkeypatch: Any
) -> None:
    who = _seller(server)
    with AvailabilityClient(server.address, identity("ADMIN").token) as admin:
        seller = AvailabilityClient(server.address, who.token)
        lot = seller.create_availability(who.lot())
        admin.approve_availability(lot.name)
        seller.close()
    opened = AvailabilityClient.watch_search

    def until_our_lot(self: AvailabilityClient, *args: Any, **kwargs: Any) -> Any:
        # The command follows the search until Ctrl-C; this one stops at the posted lot.
        stream = opened(self, *args, **kwargs)
        assert kwargs["send_initial_state"] is True
        assert kwargs["max_price"].amount == "1700"

        class UntilOurLot:
            revision = stream.revision

            def __iter__(self) -> Any:
                for change in stream:
                    yield change
                    if change.name == lot.name:
                        stream.cancel()
                        return

            def cancel(self) -> None:
                stream.cancel()

        return UntilOurLot()

    monkeypatch.setattr(AvailabilityClient, "watch_search", until_our_lot)
    result = avail(
        server,
        who,
        "watch-search",
        "cotton",
        "--max-price",
        "1700",
        "--include-anomalies",
        "--initial",
    )
    assert result.exit_code == 0, result.output
    changes = [json.loads(line) for line in result.output.splitlines()]
    assert {c["kind"] for c in changes} == {"MATCH_KIND_ENTERED"}
    assert changes[-1]["name"] == lot.name
    assert 0 < changes[-1]["result"]["score"] <= 1
