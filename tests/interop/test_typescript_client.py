"""The TypeScript client against a live Python server process: create, approve, search,
reserve, release and watch, with bearer tokens. The Node script prints one JSON object."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.callers import make_token
from tests.support.processes import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def flow(typescript_client: Path, database_url: str, data_dir: Path) -> Iterator[dict[str, Any]]:
    """Runs the interop script once against its own server process; every test reads it."""
    seller = f"seller-ts-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ)
    with ServerProcess(database_url, data_dir) as server:
        env.update(
            {
                "AVAIL_TARGET": server.address,
                "SELLER_ID": seller,
                "SELLER_TOKEN": make_token(seller, ["SELLER"], company="co-ts"),
                "ADMIN_TOKEN": make_token("admin-ts", ["ADMIN"]),
                "HOLDER_TOKEN": make_token("negotiation-engine", ["SERVICE"]),
                "BUYER_TOKEN": make_token("buyer-ts", ["BUYER"], region="IN-GJ"),
            }
        )
        run = subprocess.run(
            ["node", str(typescript_client)], env=env, capture_output=True, text=True, timeout=90
        )
    assert run.stdout.strip(), f"no output; stderr: {run.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    assert run.returncode == 0, f"{result}\n{run.stderr[-2000:]}"
    yield result


def _require(step: Any) -> dict[str, Any]:
    """The step's result, or a skip naming the RPC the server does not offer yet."""
    assert isinstance(step, dict), step
    if "unimplemented" in step:
        pytest.skip(f"{step['unimplemented']} is UNIMPLEMENTED on the server")
    return step


def test_a_call_without_a_valid_token_is_unauthenticated(flow: dict[str, Any]) -> None:
    assert flow["unauthenticated"] == {"code": "Unauthenticated"}


def test_typescript_creates_a_draft_and_an_admin_approves_it(flow: dict[str, Any]) -> None:
    assert flow["create"]["name"].startswith("availabilities/")
    assert flow["create"]["state"] == "DRAFT"
    assert flow["approve"] == {"state": "ACTIVE"}


def test_typescript_search_finds_the_approved_lot(flow: dict[str, Any]) -> None:
    search = _require(flow["search"])
    assert search["found"] is True
    assert 0 <= search["score"] <= 1


def test_typescript_reserve_holds_quantity(flow: dict[str, Any]) -> None:
    reserve = _require(flow["reserve"])
    assert reserve == {"state": "ACTIVE", "quantity": "10", "available": "90", "reserved": "10"}


def test_typescript_lists_the_hold_of_its_negotiation_with_its_price(
    flow: dict[str, Any],
) -> None:
    _require(flow["reserve"])
    assert _require(flow["reservations"]) == {"names": [True], "price": "1650"}


def test_typescript_release_gives_the_quantity_back(flow: dict[str, Any]) -> None:
    _require(flow["reserve"])
    release = _require(flow["release"])
    assert release == {"state": "RELEASED", "available": "100", "reserved": "0"}


def events_of_the_flow(flow: dict[str, Any]) -> list[str]:
    expected = ["CREATED", "APPROVED"]
    if "unimplemented" not in flow["reserve"]:
        expected += ["RESERVED", "RELEASED"]
    return expected


def test_typescript_watch_receives_every_event_of_the_flow_in_order(
    flow: dict[str, Any],
) -> None:
    watch = _require(flow["watch"])
    assert watch == {"types": events_of_the_flow(flow)}


def test_typescript_search_takes_the_new_filters(flow: dict[str, Any]) -> None:
    # The lot's region and a price floor it passes, but an order above all 100 t of it.
    assert _require(flow["filtered_search"]) == {"found": False}


def test_typescript_reads_the_lots_history_oldest_first(flow: dict[str, Any]) -> None:
    history = _require(flow["history"])
    assert history == {"types": events_of_the_flow(flow)}


def test_typescript_lists_the_commodity_catalog(flow: dict[str, Any]) -> None:
    commodities = _require(flow["commodities"])
    assert commodities["quantityUnit"] == "kg" and commodities["count"] > 1


def test_typescript_sends_its_last_write_revision_as_x_min_revision(flow: dict[str, Any]) -> None:
    assert flow["readYourWrites"]["afterCreate"] == flow["create"]["revision"]
    assert flow["readYourWrites"]["beforeCreate"] == ""  # its only call before was a read


def test_typescript_standing_search_starts_with_the_lot_entered(flow: dict[str, Any]) -> None:
    standing = _require(flow["watchSearch"])
    assert standing["kinds"] == ["ENTERED"]
    assert standing["found"] is True
    assert 0 <= standing["score"] <= 1
    assert standing["score"] == _require(flow["search"])["score"]
