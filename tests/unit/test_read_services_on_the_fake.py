"""The read use cases on the in-memory unit of work: search, similar lots, history, the watch's
initial state and resume point, the location registry. No PostgreSQL: they run through the
persistence port on tests/support/fake_uow.py, as on the database in tests/e2e/. Each shows
what one caller sees and what another must not.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from availability_service.auth.principal import Principal
from availability_service.domain.errors import NotFound, PermissionDenied
from availability_service.domain.locations import Location
from availability_service.domain.model import Availability, LotState, Visibility
from availability_service.intelligence import FeatureEmbedder, load_catalog
from availability_service.service_layer import search as search_module
from availability_service.service_layer.insight import InsightService
from availability_service.service_layer.locations import LocationService
from availability_service.service_layer.search import SearchService
from availability_service.service_layer.search_criteria import SearchQuery
from availability_service.watch import reads, search_reads
from availability_service.watch.filters import ChangeKind, WatchFilter
from availability_service.watch.history import HistoryService
from tests.support.fake_services import ADMIN, BUYER, OTHER_SELLER, SELLER, Market, market

CATALOG = load_catalog()


@pytest.fixture
def m() -> Market:
    return market()


def search(m: Market, query: SearchQuery, who: Principal = BUYER) -> list[str]:
    """Every page of the search, in order."""
    service = SearchService(m.uow, CATALOG, FeatureEmbedder(CATALOG))
    names: list[str] = []
    token = ""
    while True:
        page = service.search(who, dataclasses.replace(query, page_token=token))
        names += [hit.availability.name for hit in page.results]
        assert all(hit.availability.revision <= page.revision for hit in page.results)
        token = page.next_page_token
        if not token:
            return names


def reprice(m: Market, lot: Availability, amount: str) -> Availability:
    lot = m.lots.get(SELLER, lot.name, None)
    updated = m.lots.update(
        SELLER, lot.name, lot.etag, {"base_price_amount": Decimal(amount)}, None
    ).availability
    assert updated is not None
    return updated


def test_search_pages_through_every_match_once_and_never_shows_a_private_lot_to_a_stranger(
    m: Market,
) -> None:
    public = {m.live(base_price_amount=Decimal(1900 + i)).name for i in range(5)}
    private = m.live(market_visibility=Visibility.PRIVATE, restricted_buyer_ids=["buyer-9"])
    names = search(m, SearchQuery(commodity="cotton", page_size=2))
    assert sorted(names) == sorted(public) and len(names) == len(set(names))
    assert private.name not in names
    assert private.name in search(m, SearchQuery(commodity="cotton"), SELLER)  # its owner


def test_a_price_ceiling_keeps_only_lots_priced_within_it(m: Market) -> None:
    cheap = m.live(base_price_amount=Decimal(1500))
    m.live(base_price_amount=Decimal(2600))
    query = SearchQuery(commodity="cotton", max_price=Decimal(1600), currency="USD")
    assert search(m, query) == [cheap.name]


def test_a_search_with_a_point_pages_the_lots_within_its_radius_nearest_first(
    m: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `near`, pages come from score bounds (search_bounded): the lots in the radius,
    each once, best first (here every factor but the distance is alike), never a private
    lot of someone else's, and one read of one lot at a time proves the same pages."""
    near = [m.live(latitude=21.0 + i / 10, longitude=72.0).name for i in range(6)]
    m.live(latitude=30.0, longitude=72.0)  # about 1000 km away
    m.live(
        latitude=21.0,
        longitude=72.0,
        market_visibility=Visibility.PRIVATE,
        restricted_buyer_ids=["buyer-9"],
    )
    query = SearchQuery(commodity="cotton", near=(21.0, 72.0), radius_km=100, page_size=4)
    assert search(m, query) == near
    for name, value in (("FIRST_PREFIX", 1), ("PREFIX_FACTOR", 1), ("CANDIDATE_LIMIT", 2)):
        monkeypatch.setattr(search_module, name, value)
    assert search(m, dataclasses.replace(query, page_size=1)) == near


def test_similar_lots_leave_out_what_the_caller_may_not_see(m: Market) -> None:
    lot = m.live()
    other = m.live(base_price_amount=Decimal(2100))
    hidden = m.live(market_visibility=Visibility.PRIVATE, restricted_buyer_ids=["buyer-9"])
    insight = InsightService(m.uow, CATALOG)
    seen = [s.availability.name for s in insight.similar(BUYER, lot.name, 0)]
    assert other.name in seen and hidden.name not in seen and lot.name not in seen
    assert hidden.name in [s.availability.name for s in insight.similar(ADMIN, lot.name, 0)]
    with pytest.raises(NotFound):
        insight.similar(BUYER, hidden.name, 0)


def test_history_shows_a_lots_events_to_its_owner_and_not_found_to_a_stranger_of_a_draft(
    m: Market,
) -> None:
    draft = m.draft()
    history = HistoryService(m.uow)
    page = history.list(SELLER, draft.name, 0, "")
    assert [(e.event.event_type, e.kind) for e in page.events] == [("CREATED", ChangeKind.ADDED)]
    with pytest.raises(NotFound):
        history.list(BUYER, draft.name, 0, "")


def test_the_watchs_initial_state_shows_each_lot_as_it_was_at_the_start_revision(
    m: Market,
) -> None:
    lot = m.live()
    start = m.uow.store.revision
    reprice(m, lot, "2500")
    hidden = m.live(market_visibility=Visibility.PRIVATE, restricted_buyer_ids=["buyer-9"])
    page = reads.read_initial_page(m.uow, WatchFilter(), BUYER, start, None, 10)
    assert [(x.name, x.base_price_amount) for x in page.lots] == [(lot.name, Decimal(2000))]
    assert page.next_after is None
    later = reads.read_initial_page(m.uow, WatchFilter(), BUYER, m.uow.store.revision, None, 10)
    assert [x.base_price_amount for x in later.lots] == [Decimal(2500)]
    assert hidden.name not in [x.name for x in later.lots]


def test_a_standing_search_resumes_from_the_commodity_as_it_was(m: Market) -> None:
    lot = m.live()
    start = m.uow.store.revision
    reprice(m, lot, "2400")
    m.live()  # created after the start: not in the market as it was
    at_start = search_reads.lots_at(m.uow, "cotton", start)
    assert [(x.name, x.base_price_amount, x.state) for x in at_start.lots] == [
        (lot.name, Decimal(2000), LotState.ACTIVE)
    ]
    assert at_start.revision == m.uow.store.revision and at_start.oldest == 1
    assert len(search_reads.lots_at(m.uow, "cotton", None).lots) == 2


def test_a_seller_lists_only_its_own_locations(m: Market) -> None:
    service = LocationService(m.uow)
    for i, owner in enumerate(["seller-1", "seller-2", "seller-1"]):
        service.upsert(Location(f"loc-{i}", owner, "Yard", 23.0, 72.5, "IN-GJ"))
    page = service.list(SELLER, owner_id="", page_size=1, page_token="")
    assert [x.location_id for x in page.locations] == ["loc-0"] and page.next_page_token
    rest = service.list(SELLER, owner_id="", page_size=1, page_token=page.next_page_token)
    assert [x.location_id for x in rest.locations] == ["loc-2"]
    assert len(service.list(ADMIN, owner_id="", page_size=0, page_token="").locations) == 3
    with pytest.raises(PermissionDenied):
        service.list(OTHER_SELLER, owner_id="seller-1", page_size=0, page_token="")
