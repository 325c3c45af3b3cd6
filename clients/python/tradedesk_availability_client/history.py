"""Client calls for what is around the lots: a lot's history and the commodity catalog."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tradedesk.availability.v1 import catalog_pb2, history_pb2, watch_pb2
from tradedesk_availability_client.pages import iter_pages


class HistoryCalls:
    """ListAvailabilityEvents and ListCommodities; mixed into AvailabilityClient."""

    _t: Any  # the client's Transport

    def list_availability_events(
        self, parent: str, *, page_size: int = 0, page_token: str = ""
    ) -> history_pb2.ListAvailabilityEventsResponse:
        """One page of a lot's events, oldest first, as the caller's watch would show them."""
        request = history_pb2.ListAvailabilityEventsRequest(
            parent=parent, page_size=page_size, page_token=page_token
        )
        return self._t.call("ListAvailabilityEvents", request)

    def iter_availability_events(
        self, parent: str, *, page_size: int = 0
    ) -> Iterator[watch_pb2.AvailabilityEvent]:
        """Every event of the lot's life, oldest first, page after page."""
        return iter_pages(
            lambda token: self.list_availability_events(
                parent, page_size=page_size, page_token=token
            ),
            lambda page: page.events,
        )

    def list_commodities(
        self, *, page_size: int = 0, page_token: str = ""
    ) -> catalog_pb2.ListCommoditiesResponse:
        """One page of the commodity catalog, ordered by code (the default page holds it all)."""
        request = catalog_pb2.ListCommoditiesRequest(page_size=page_size, page_token=page_token)
        return self._t.call("ListCommodities", request)

    def iter_commodities(self, *, page_size: int = 0) -> Iterator[catalog_pb2.Commodity]:
        """Every commodity of the catalog."""
        return iter_pages(
            lambda token: self.list_commodities(page_size=page_size, page_token=token),
            lambda page: page.commodities,
        )
