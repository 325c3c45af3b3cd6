"""AvailabilityClient: one typed method per RPC of tradedesk.availability.v1."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import grpc
from google.protobuf import duration_pb2, field_mask_pb2

from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2, watch_pb2
from tradedesk_availability_client.history import HistoryCalls
from tradedesk_availability_client.pages import iter_pages
from tradedesk_availability_client.retry import RetryPolicy
from tradedesk_availability_client.tls import Tls
from tradedesk_availability_client.tokens import TokenLike
from tradedesk_availability_client.transport import (
    DEFAULT_KEEPALIVE_SECONDS,
    DEFAULT_TARGET,
    Transport,
    new_request_id,
)
from tradedesk_availability_client.watch import SearchWatch, Watch


def _duration(ttl: timedelta | float | None) -> duration_pb2.Duration | None:
    if ttl is None:
        return None
    out = duration_pb2.Duration()
    out.FromTimedelta(ttl if isinstance(ttl, timedelta) else timedelta(seconds=ttl))
    return out


class AvailabilityClient(HistoryCalls):
    """Calls the Availability Engine. Mutating calls get a UUID request_id unless given one,
    and keep it across retries, so a retried call never does the work twice."""

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        token: TokenLike = None,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        tls: Tls | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        channel: grpc.Channel | None = None,
        keepalive_seconds: float = DEFAULT_KEEPALIVE_SECONDS,
    ) -> None:
        """token: a string, a TokenSource (FileToken, CommandToken) or a callable returning
        the current token, asked before every call and watch reconnect. timeout: seconds for
        a whole unary call, its retries included. tls: Tls(...) for TLS and mTLS (None:
        plaintext, for loopback development servers)."""
        self._t = Transport(
            target,
            token,
            timeout=timeout,
            retry=retry or RetryPolicy(),
            tls=tls,
            credentials=credentials,
            channel=channel,
            keepalive_seconds=keepalive_seconds,
        )

    def close(self) -> None:
        self._t.close()

    def __enter__(self) -> AvailabilityClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Lots

    def create_availability(
        self, availability: pb.Availability, *, request_id: str | None = None
    ) -> pb.Availability:
        request = api.CreateAvailabilityRequest(
            availability=availability, request_id=request_id or new_request_id()
        )
        return self._t.call("CreateAvailability", request).availability

    def get_availability(self, name: str, *, full: bool = False) -> pb.Availability:
        request = api.GetAvailabilityRequest(
            name=name, view=api.VIEW_FULL if full else api.VIEW_BASIC
        )
        return self._t.call("GetAvailability", request).availability

    def list_availabilities(
        self,
        *,
        page_size: int = 0,
        page_token: str = "",
        seller_id: str = "",
        commodity: str = "",
        states: Sequence[int] = (),
        show_deleted: bool = False,
        full: bool = False,
    ) -> api.ListAvailabilitiesResponse:
        request = api.ListAvailabilitiesRequest(
            page_size=page_size,
            page_token=page_token,
            seller_id=seller_id,
            commodity=commodity,
            states=list(states),
            show_deleted=show_deleted,
            view=api.VIEW_FULL if full else api.VIEW_BASIC,
        )
        return self._t.call("ListAvailabilities", request)

    def iter_availabilities(self, **filters: Any) -> Iterator[pb.Availability]:
        """Every matching lot across all pages (same filters as list_availabilities)."""
        return iter_pages(
            lambda token: self.list_availabilities(page_token=token, **filters),
            lambda page: page.availabilities,
        )

    def update_availability(
        self,
        availability: pb.Availability,
        update_mask: Iterable[str],
        *,
        request_id: str | None = None,
    ) -> pb.Availability:
        request = api.UpdateAvailabilityRequest(
            availability=availability,
            update_mask=field_mask_pb2.FieldMask(paths=list(update_mask)),
            request_id=request_id or new_request_id(),
        )
        return self._t.call("UpdateAvailability", request).availability

    def delete_availability(
        self, name: str, *, etag: str = "", force: bool = False, request_id: str | None = None
    ) -> pb.Availability:
        """Soft-deletes a lot; with force, its open holds are released (LOT_WITHDRAWN) first."""
        request = api.DeleteAvailabilityRequest(
            name=name, etag=etag, force=force, request_id=request_id or new_request_id()
        )
        return self._t.call("DeleteAvailability", request).availability

    def approve_availability(
        self, name: str, *, etag: str = "", request_id: str | None = None
    ) -> pb.Availability:
        request = api.ApproveAvailabilityRequest(
            name=name, etag=etag, request_id=request_id or new_request_id()
        )
        return self._t.call("ApproveAvailability", request).availability

    def reject_availability(
        self, name: str, reason: str, *, etag: str = "", request_id: str | None = None
    ) -> pb.Availability:
        request = api.RejectAvailabilityRequest(
            name=name, reason=reason, etag=etag, request_id=request_id or new_request_id()
        )
        return self._t.call("RejectAvailability", request).availability

    def batch_create_availabilities(
        self,
        availabilities: Iterable[pb.Availability | api.CreateAvailabilityRequest],
    ) -> list[api.BatchCreateResult]:
        requests = [
            item
            if isinstance(item, api.CreateAvailabilityRequest)
            else api.CreateAvailabilityRequest(availability=item)
            for item in availabilities
        ]
        for item in requests:
            item.request_id = item.request_id or new_request_id()
        request = api.BatchCreateAvailabilitiesRequest(requests=requests)
        return list(self._t.call("BatchCreateAvailabilities", request).results)

    # Search

    def search_availabilities(
        self, commodity: str, *, page_size: int = 0, page_token: str = "", **criteria: Any
    ) -> api.SearchAvailabilitiesResponse:
        """criteria are SearchAvailabilitiesRequest fields, such as max_price=pb.Money(...),
        near=pb.LatLng(...), radius_km=50, min_quantity="10", quality_targets={...}."""
        request = api.SearchAvailabilitiesRequest(
            commodity=commodity, page_size=page_size, page_token=page_token, **criteria
        )
        return self._t.call("SearchAvailabilities", request)

    def iter_search(self, commodity: str, **criteria: Any) -> Iterator[search_pb2.SearchResult]:
        """Every ranked result across all pages, best first."""
        return iter_pages(
            lambda token: self.search_availabilities(commodity, page_token=token, **criteria),
            lambda page: page.results,
        )

    def list_similar_availabilities(
        self,
        name: str,
        *,
        page_size: int = 0,
    ) -> list[search_pb2.SimilarAvailability]:
        request = api.ListSimilarAvailabilitiesRequest(name=name, page_size=page_size)
        return list(self._t.call("ListSimilarAvailabilities", request).results)

    def get_negotiation_readiness(self, name: str) -> api.GetNegotiationReadinessResponse:
        request = api.GetNegotiationReadinessRequest(name=name)
        return self._t.call("GetNegotiationReadiness", request)

    # Holds and sales

    def reserve_availability(
        self,
        name: str,
        quantity: str,
        buyer_id: str,
        *,
        ttl: timedelta | float | None = None,
        negotiation_id: str = "",
        price_option_label: str = "",
        request_id: str | None = None,
    ) -> api.ReserveAvailabilityResponse:
        request = api.ReserveAvailabilityRequest(
            name=name,
            quantity=quantity,
            buyer_id=buyer_id,
            negotiation_id=negotiation_id,
            price_option_label=price_option_label,
            ttl=_duration(ttl),
            request_id=request_id or new_request_id(),
        )
        return self._t.call("ReserveAvailability", request)

    def get_reservation(self, name: str) -> pb.Reservation:
        request = api.GetReservationRequest(name=name)
        return self._t.call("GetReservation", request).reservation

    def extend_reservation(
        self, name: str, ttl: timedelta | float, *, request_id: str | None = None
    ) -> pb.Reservation:
        request = api.ExtendReservationRequest(
            name=name, ttl=_duration(ttl), request_id=request_id or new_request_id()
        )
        return self._t.call("ExtendReservation", request).reservation

    def release_reservation(
        self, name: str, *, reason: str = "", quantity: str = "", request_id: str | None = None
    ) -> api.ReleaseReservationResponse:
        """Releases the hold whole, or only `quantity` of it (the rest stays held)."""
        request = api.ReleaseReservationRequest(
            name=name, reason=reason, quantity=quantity, request_id=request_id or new_request_id()
        )
        return self._t.call("ReleaseReservation", request)

    def mark_sold(
        self,
        name: str,
        *,
        quantity: str = "",
        trade_id: str = "",
        buyer_id: str = "",
        sold_price: pb.Money | None = None,
        request_id: str | None = None,
    ) -> api.MarkSoldResponse:
        request = api.MarkSoldRequest(
            name=name,
            quantity=quantity,
            trade_id=trade_id,
            buyer_id=buyer_id,
            sold_price=sold_price,
            request_id=request_id or new_request_id(),
        )
        return self._t.call("MarkSold", request)

    def list_reservations(
        self,
        parent: str = "availabilities/-",
        *,
        buyer_id: str = "",
        negotiation_id: str = "",
        states: Sequence[int] = (),
        page_size: int = 0,
        page_token: str = "",
    ) -> api.ListReservationsResponse:
        """One page of holds, oldest first; parent "availabilities/-" means every lot."""
        request = api.ListReservationsRequest(
            parent=parent,
            buyer_id=buyer_id,
            negotiation_id=negotiation_id,
            states=list(states),
            page_size=page_size,
            page_token=page_token,
        )
        return self._t.call("ListReservations", request)

    def iter_reservations(
        self, parent: str = "availabilities/-", **filters: Any
    ) -> Iterator[pb.Reservation]:
        """Every matching hold across all pages (same filters as list_reservations)."""
        return iter_pages(
            lambda token: self.list_reservations(parent, page_token=token, **filters),
            lambda page: page.reservations,
        )

    # Watch

    def watch_availabilities(
        self,
        request: api.WatchAvailabilitiesRequest,
    ) -> Iterator[api.WatchAvailabilitiesResponse]:
        """The raw stream, one connection, no resumption (see watch() for that)."""
        return self._t.stream("WatchAvailabilities", request)

    def watch(
        self,
        *,
        commodities: Sequence[str] = (),
        seller_ids: Sequence[str] = (),
        delivery_regions: Sequence[str] = (),
        names: Sequence[str] = (),
        event_types: Sequence[watch_pb2.EventType.ValueType] = (),
        start_revision: int | None = None,
        send_initial_state: bool = False,
        progress_notify_interval: float | None = None,
        give_up_after: float | None = 300.0,
        on_bookmark: Callable[[int, int], None] | None = None,
    ) -> Watch:
        """Matching events, each exactly once, resuming after disconnects. Without
        start_revision it starts from the current revision (read once with a list call).
        It stops with UnavailableError after give_up_after seconds without a server (None:
        never). on_bookmark(revision, reason) sees every bookmark (progress, end of the initial
        state, stream end)."""
        request = api.WatchAvailabilitiesRequest(
            commodities=commodities,
            seller_ids=seller_ids,
            delivery_regions=delivery_regions,
            names=names,
            event_types=event_types,
            send_initial_state=send_initial_state,
            progress_notify_interval=_duration(progress_notify_interval),
        )
        if start_revision is None and not send_initial_state:
            # "0 means from now" would lose the events of a first disconnect; pin "now" here.
            start_revision = self.list_availabilities(page_size=1).revision
        request.start_revision = start_revision or 0
        return Watch(self.watch_availabilities, request, self._t.retry, give_up_after, on_bookmark)

    def watch_search_raw(
        self, request: api.WatchSearchRequest
    ) -> Iterator[api.WatchSearchResponse]:
        """The raw WatchSearch stream, one connection, no resumption (see watch_search())."""
        return self._t.stream("WatchSearch", request)

    def watch_search(
        self,
        commodity: str,
        *,
        start_revision: int | None = None,
        send_initial_state: bool = False,
        progress_notify_interval: float | None = None,
        give_up_after: float | None = 300.0,
        on_bookmark: Callable[[int, int], None] | None = None,
        **criteria: Any,
    ) -> SearchWatch:
        """A standing search: the lots entering (ENTERED), changing in (UPDATED) and leaving
        (LEFT) the match set of these criteria (SearchAvailabilitiesRequest fields, as for
        search_availabilities), each change exactly once, resuming after disconnects. Without
        start_revision and send_initial_state it starts from the current revision."""
        request = api.WatchSearchRequest(
            search=api.SearchAvailabilitiesRequest(commodity=commodity, **criteria),
            send_initial_state=send_initial_state,
            progress_notify_interval=_duration(progress_notify_interval),
        )
        if start_revision is None and not send_initial_state:
            start_revision = self.list_availabilities(page_size=1).revision
        request.start_revision = start_revision or 0
        return SearchWatch(
            self.watch_search_raw, request, self._t.retry, give_up_after, on_bookmark
        )

    # Locations

    def upsert_location(self, location: pb.Location) -> pb.Location:
        request = api.UpsertLocationRequest(location=location)
        return self._t.call("UpsertLocation", request).location

    def list_locations(
        self, *, owner_id: str = "", page_size: int = 0, page_token: str = ""
    ) -> api.ListLocationsResponse:
        request = api.ListLocationsRequest(
            owner_id=owner_id, page_size=page_size, page_token=page_token
        )
        return self._t.call("ListLocations", request)

    def iter_locations(self, *, owner_id: str = "", page_size: int = 0) -> Iterator[pb.Location]:
        return iter_pages(
            lambda token: self.list_locations(
                owner_id=owner_id, page_size=page_size, page_token=token
            ),
            lambda page: page.locations,
        )
