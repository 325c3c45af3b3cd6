"""Standing searches with equal criteria share their scores: a change is scored once per
distinct criteria, whoever watches, and each watcher still gets what SearchAvailabilities
gives it, and nothing about a lot it may not see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf import duration_pb2
from sqlalchemy import Engine

from availability_service.grpc_api import watch_search_wire as search_wire
from availability_service.intelligence import Scorer
from tests.e2e.test_watch_search import (
    changes_until,
    criteria,
    price,
    searched,
    watch_search,  # noqa: F401 (the fixture)
)
from tests.e2e.test_watch_search import update as write
from tests.support.callers import Caller
from tests.support.lots import approved_lot
from tests.support.watching import revision_now
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[object]:
    """The calls of module.name from now on (it still does what it did)."""
    calls: list[object] = []
    exact = getattr(module, name)

    def counted(*args: Any) -> Any:
        calls.append(args)
        return exact(*args)

    monkeypatch.setattr(module, name, counted)
    return calls


def following(
    open_search: Any, engine: Engine, searches: dict[str, tuple[Caller, Any]]
) -> dict[str, Any]:
    """A standing search per (caller, criteria) from now on, each already following the hub
    (its first progress bookmark taken, so its starting set is judged)."""
    every = {
        "start_revision": revision_now(engine),
        "progress_notify_interval": duration_pb2.Duration(nanos=2 * 10**8),
    }
    streams = {who: open_search(c, search, **every) for who, (c, search) in searches.items()}
    for stream in streams.values():
        assert stream.message().bookmark.reason == watch_pb2.Bookmark.REASON_PROGRESS
    return streams


def test_equal_criteria_score_a_change_once_and_each_watcher_gets_what_search_gives(
    seller: Caller,
    admin: Caller,
    buyer: Caller,
    caller: Callable[..., Caller],
    engine: Engine,
    watch_search: Any,  # noqa: F811 (the fixture, imported)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    colleague = caller("BUYER", region="IN-GJ")
    outsider = caller("BUYER", region="IN-GJ")  # not invited: must see nothing of the lot
    lot = approved_lot(
        seller,
        admin,
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=[buyer.subject, colleague.subject],
    )
    scored = counting(monkeypatch, Scorer, "score")
    streams = following(
        watch_search,
        engine,
        {
            "buyer": (buyer, criteria()),
            # Page fields are ignored by a standing search: the same criteria.
            "colleague": (colleague, criteria(page_size=7)),
            "outsider": (outsider, criteria()),
            "other criteria": (
                buyer,
                criteria(max_price=pb.Money(currency_code="USD", amount="1750")),
            ),
        },
    )
    before = len(scored)
    cheaper = write(seller, lot.name, ["base_price"], **price("1500"))

    seen = {who: changes_until(s, cheaper.revision) for who, s in streams.items()}
    assert len(scored) - before == 2  # once per distinct criteria, for the one change
    expected = searched(buyer, criteria(), lot.name)
    for who in ("buyer", "colleague"):
        [change] = [c for c in seen[who] if c.name == lot.name]
        assert change.kind == watch_pb2.MATCH_KIND_UPDATED
        assert change.result == expected
    assert [c for c in seen["outsider"] if c.name == lot.name] == []


def test_a_change_is_built_once_per_criteria_and_view_and_each_watcher_gets_its_own_view(
    seller: Caller,
    admin: Caller,
    buyer: Caller,
    caller: Callable[..., Caller],
    engine: Engine,
    watch_search: Any,  # noqa: F811 (the fixture, imported)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    colleague = caller("BUYER", region="IN-GJ")
    lot = approved_lot(seller, admin, internal_reference="internal-42")
    built = counting(monkeypatch, search_wire, "event_change")
    streams = following(
        watch_search,
        engine,
        {
            "buyer": (buyer, criteria()),
            "colleague": (colleague, criteria(page_size=7)),
            "owner": (seller, criteria()),  # sees its owner-only fields
        },
    )
    before = len(built)
    cheaper = write(seller, lot.name, ["base_price"], **price("1500"))

    seen = {who: changes_until(s, cheaper.revision) for who, s in streams.items()}
    assert len(built) - before == 2  # one per view: the market's, the owner's
    changes = {who: [c for c in seen[who] if c.name == lot.name] for who in streams}
    for who, reader in (("buyer", buyer), ("colleague", colleague), ("owner", seller)):
        [change] = changes[who]
        assert change.kind == watch_pb2.MATCH_KIND_UPDATED
        assert change.result == searched(reader, criteria(), lot.name)
    assert changes["owner"][0].result.availability.internal_reference == "internal-42"
    assert changes["buyer"][0].result.availability.internal_reference == ""
