"""The initial state's pages, read one by one after the market moved on, still show the market
exactly as it was at the revision the stream started from."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from availability_service.auth.principal import Principal, Role
from availability_service.service_layer.ports import UnitOfWork
from availability_service.storage.unit_of_work import SqlUnitOfWork
from availability_service.watch import reads
from availability_service.watch.filters import WatchFilter
from tests.e2e.test_watch import create, make_private, make_public, reprice, revision_now
from tests.support.callers import Caller
from tradedesk.availability.v1 import availability_service_pb2 as api


def every_page(uow: UnitOfWork, flt: WatchFilter, who: Principal, at: int) -> list[Any]:
    out, after, pages = [], None, 0
    while True:
        page = reads.read_initial_page(uow, flt, who, at, after, 2)
        out.extend(page.lots)
        pages += 1
        after = page.next_after
        if after is None:
            assert pages > 1
            return out


def test_pages_read_after_later_changes_show_each_lot_as_it_was_at_the_start_revision(
    seller: Caller, admin: Caller, engine: Engine
) -> None:
    lots = [create(seller) for _ in range(5)]
    approved = [
        admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name)).availability
        for lot in lots
    ]
    start = revision_now(engine)
    reprice(seller, lots[0].name, "1999")
    make_private(seller, lots[1].name, ["someone-else"])
    seller.DeleteAvailability(api.DeleteAvailabilityRequest(name=lots[2].name))
    late = create(seller)
    flt = WatchFilter(seller_ids=frozenset({seller.subject}))
    as_admin = Principal(admin.subject, roles=frozenset({Role.ADMIN}))
    as_buyer = Principal("buyer-at-start", roles=frozenset({Role.BUYER}), region="IN-GJ")
    expected = {lot.name: lot.revision for lot in approved}
    for who in (as_admin, as_buyer):
        seen = every_page(SqlUnitOfWork(engine), flt, who, start)
        assert {lot.name: lot.revision for lot in seen} == expected
        assert late.name not in {lot.name for lot in seen}
        first = next(lot for lot in seen if lot.name == lots[0].name)
        assert first.base_price_amount == Decimal(1650)
        assert all(lot.delete_time is None for lot in seen)


def test_a_lot_that_became_visible_after_the_start_is_not_in_that_initial_state(
    seller: Caller, admin: Caller, engine: Engine
) -> None:
    lot = create(seller)
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name))
    make_private(seller, lot.name, ["someone-else"])
    start = revision_now(engine)
    make_public(seller, lot.name)
    flt = WatchFilter(seller_ids=frozenset({seller.subject}))
    as_buyer = Principal("buyer-at-start", roles=frozenset({Role.BUYER}), region="IN-GJ")
    page = reads.read_initial_page(SqlUnitOfWork(engine), flt, as_buyer, start, None, 10)
    assert page.lots == []
    now = reads.read_initial_page(
        SqlUnitOfWork(engine), flt, as_buyer, revision_now(engine), None, 10
    )
    assert [x.name for x in now.lots] == [lot.name]
