"""One WatchSearch stream: the match set of a standing search, kept current from the events.

The stream starts from the match set at its start revision (now, the initial state, or a
resume point), read and judged once for every stream starting together (watch.search_start),
then applies every event of the search's commodity in
revision order: a lot whose new state passes and did not is ENTERED, one that passes and did
is UPDATED (every event changes a lot's revision and etag, so its payload), one that passed
and no longer does is LEFT. As in the watch stream, `pos` is the highest revision this stream
has fully dealt with, and every bookmark and error carries it: resuming from it gives the rest
with no gap and no duplicate.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import can_see_lot
from availability_service.domain.errors import FieldViolation, InvalidArgument
from availability_service.domain.model import Availability, availability_from_snapshot
from availability_service.grpc_api import watch_search_wire as search_wire
from availability_service.grpc_api.lot_output import availability_to_pb
from availability_service.grpc_api.search_input import search_query
from availability_service.grpc_api.watch_events import event_type_pb
from availability_service.grpc_api.watch_input import parse_request
from availability_service.grpc_api.watch_stream import BATCH_MAX_BYTES, REASONS
from availability_service.service_layer.changes import now
from availability_service.service_layer.search import SearchService
from availability_service.watch import reads, search_start, similarity
from availability_service.watch.feed import WatchEvent
from availability_service.watch.filters import WatchRequest
from availability_service.watch.follow import (
    BATCH_MAX_EVENTS,
    READY_TIMEOUT_SECONDS,
    Follow,
    Mark,
    StreamUnavailable,
)
from availability_service.watch.hub import WatchHub, WatchSlot
from availability_service.watch.search_index import index_for
from availability_service.watch.search_start import MatchSet, starts_for
from availability_service.watch.standing import Judged, Match, StandingSearch
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import watch_pb2

ENTERED = watch_pb2.MATCH_KIND_ENTERED
UPDATED = watch_pb2.MATCH_KIND_UPDATED
LEFT = watch_pb2.MATCH_KIND_LEFT
SELLER_VIEWS_KEPT = 1000  # per stream (_sees_everything), forgotten all at once past it


def decoded(event: WatchEvent) -> tuple[Availability, bytes]:
    """The event's lot and its event types in their wire form, decoded once per process
    however many standing searches the event concerns (kept in the event's memo)."""
    found: tuple[Availability, bytes] | None = event.memo.get(_DECODED)
    if found is None:
        found = event.memo[_DECODED] = (availability_from_snapshot(event.after), _types(event))
    return found


_DECODED = "watch_search.decoded"  # the memo key of `decoded`
_CHANGE = "watch_search.change"  # memo keys of changes: (_CHANGE, criteria id, view, kind)


def criteria_key(search: api.SearchAvailabilitiesRequest) -> bytes:
    """The criteria as bytes, equal for requests that differ only in their (ignored) page
    fields: searches with equal keys score every lot state alike (StandingSearch.score)."""
    criteria = api.SearchAvailabilitiesRequest()
    criteria.CopyFrom(search)
    criteria.ClearField("page_size")
    criteria.ClearField("page_token")
    return bytes(criteria.SerializeToString(deterministic=True))


def parse_search_request(
    request: api.WatchSearchRequest, principal: Principal, search: SearchService
) -> tuple[StandingSearch, WatchRequest]:
    """Validates every field at once: the criteria as SearchAvailabilities does (named
    search.<field>), the start and progress fields as WatchAvailabilities does."""
    violations: list[FieldViolation] = []
    standing: StandingSearch | None = None
    query, found = search_query(request.search)
    try:
        found.raise_if_any()
        commodity, plan = search.plan(query)
        standing = StandingSearch(
            principal, query, commodity, plan, search.embedder, criteria_key(request.search)
        )
    except InvalidArgument as exc:
        violations += [FieldViolation(f"search.{v.field}", v.description) for v in exc.violations]
    watch = api.WatchAvailabilitiesRequest(
        start_revision=request.start_revision, send_initial_state=request.send_initial_state
    )
    if request.HasField("progress_notify_interval"):
        watch.progress_notify_interval.CopyFrom(request.progress_notify_interval)
    parsed: WatchRequest | None = None
    try:
        parsed = parse_request(watch)
    except InvalidArgument as exc:
        violations += exc.violations
    if violations or standing is None or parsed is None:
        raise InvalidArgument(violations)
    return standing, parsed


async def open_search_stream(
    request: api.WatchSearchRequest, principal: Principal, hub: WatchHub, search: SearchService
) -> tuple[WatchSlot, _SearchStream]:
    """Validates the request and takes a slot of the hub (the same per-caller and per-process
    caps as WatchAvailabilities); the caller sends the messages of `run()` and releases it."""
    standing, parsed = parse_search_request(request, principal, search)
    if not await hub.wait_ready(READY_TIMEOUT_SECONDS):
        raise StreamUnavailable("the change feed is not ready yet; retry")
    return hub.admit(principal), _SearchStream(standing, parsed, hub)


class _SearchStream(Follow):
    """The watch stream's phases (catch-up, live, bookmarks, limits, errors) over a standing
    search's match set instead of a filter: only how events become messages differs."""

    def __init__(self, standing: StandingSearch, request: WatchRequest, hub: WatchHub) -> None:
        super().__init__(request, standing.principal, hub)
        self.standing = standing
        self.commodity = standing.commodity.code
        self.inside = MatchSet()  # the match set, by lot id (as an int: cheaper to hash)
        self._views: dict[Any, bool] = {}  # seller id -> this caller sees everything of its lots

    def _bookmark(self, revision: int, mark: Mark) -> search_wire.Encoded:
        return _bookmark(revision, REASONS[mark])

    async def run(self) -> AsyncIterator[Any]:
        start: int | None = None  # None: the head, with or without the initial state
        if self.request.start_revision > 0:
            self._check_not_future(await self._read(reads.current_revision, self.hub.uow))
            start = self.request.start_revision
        self.standing.summation = await self._read(similarity.calibrated, self.hub.uow)
        try:
            # Shared with every stream starting from the same read (watch.search_start).
            begun = await starts_for(self.hub).start(self.standing, start)
        except self.hub.database.unavailable as exc:
            raise StreamUnavailable("database unavailable; resume from last_revision") from exc
        self.pos = begun.revision if start is None else start
        self._check_retained(begun.oldest)
        # Only membership is kept, by id: ENTERED or UPDATED depends on it, and LEFT shows the
        # lot's new state.
        self.inside = begun.match_set(self.standing)
        if self.request.send_initial_state:
            ranked = search_start.initial(begun.of(self.standing), self.standing, self.inside)
            changes = ((self.pos, self._initial_change(match)) for match in ranked)
            for response in self._batches(changes):
                yield self._sent(response)
            yield self._sent(self._bookmark(self.pos, Mark.INITIAL_STATE_END))
        del begun  # the start's lots go once every stream starting with them is past here
        index = index_for(self.hub)
        commodity = self.commodity
        joined = self._follow(
            lambda: index.join(commodity, self._may_change),
            lambda feed: index.leave(commodity, feed),
        )
        async for response in joined:
            yield response

    def _messages(self, events: list[WatchEvent]) -> Iterator[Any]:
        """Messages for these consecutive events; advances pos past all of them."""
        moment = now()  # the clock-bound filters of the whole batch, judged at one time
        return self._batches((event.revision, self._apply(event, moment)) for event in events)

    def _batches(
        self, changes: Iterable[tuple[int, bytes | None]]
    ) -> Iterator[search_wire.Encoded]:
        """Messages of whole revisions under the count and size caps; a message goes out only
        once the next revision starts or the input ends, and pos follows what went out."""
        batch: list[bytes] = []
        size = 0
        last = self.pos
        for revision, change in changes:
            if change is not None:
                if batch and (
                    len(batch) >= BATCH_MAX_EVENTS or size + len(change) > BATCH_MAX_BYTES
                ):
                    yield search_wire.response(last, batch)
                    self.pos = max(self.pos, last)
                    batch, size = [], 0
                batch.append(change)
                size += len(change)
            last = max(last, revision)
        if batch:
            yield search_wire.response(last, batch)
        self.pos = max(self.pos, last)

    def _may_change(self, event: WatchEvent) -> bool:
        """Whether the event can change the match set as the criteria alone tell: the lot is
        in it, or its new state passes the criteria (who may see it, and when, is judged
        when it is applied). Asked by the search's queue as the hub offers the event
        (SearchFeed), when every earlier event of the lot is applied."""
        if event.availability_id.int in self.inside:
            return True
        if event.after.get("commodity") != self.commodity:
            return False
        return self.standing.judged(decoded(event)[0]) is not None

    def _apply(self, event: WatchEvent, moment: datetime) -> bytes | None:
        """The change this event makes to the match set, if any (and the set updated).

        Run for every event of the commodity by every search of it (a thousand searches at
        100 changes a second): what the criteria decide is shared (`judged`), and so is each
        change's bytes (`_event_change`); what is left here is this search's own."""
        commodity = self.commodity
        if event.after.get("commodity") != commodity and (
            event.before is None or event.before.get("commodity") != commodity
        ):
            return None
        lot, types = decoded(event)
        standing = self.standing
        judged = standing.judged(lot)
        lot_id = lot.id.int
        inside = self.inside
        if judged is not None and standing.admits(lot, moment):
            kind = UPDATED if lot_id in inside else ENTERED
            inside.add(lot_id)
            return self._event_change(kind, event, lot, judged)
        if lot_id not in inside:
            return None
        inside.discard(lot_id)
        if lot.delete_time is not None or not can_see_lot(self.principal, lot):
            # The caller lost sight of the lot: nothing of its new state may be shown.
            return search_wire.change(LEFT, f"availabilities/{lot.id}", event.revision, types, None)
        return self._event_change(LEFT, event, lot, None)

    def _event_change(
        self, kind: int, event: WatchEvent, lot: Availability, judged: Judged | None
    ) -> bytes:
        """The change of `kind` for this event (`judged`: the lot's score in the set, None for
        LEFT: its score now): the same bytes for every search with these criteria whose
        caller sees the same redacted view of the lot, built once per event."""
        standing = self.standing
        view = self._sees_everything(event)
        key = (_CHANGE, standing.criteria_id, view, kind)
        found: bytes | None = event.memo.get(key) if standing.criteria_id is not None else None
        if found is None:
            match = Match(lot, *judged) if judged is not None else standing.score(lot)[0]
            types = decoded(event)[1]
            found = search_wire.event_change(kind, event, self.principal, types, match, view)
            if standing.criteria_id is not None:
                event.memo[key] = found
        return found

    def _sees_everything(self, event: WatchEvent) -> bool:
        """Whether this caller sees the lot's every field (WatchEvent.sees_everything), kept
        per seller: it depends only on the caller and the lot's seller, and is asked for
        every event of every search."""
        seller = event.after.get("seller_id")
        found = self._views.get(seller)
        if found is None:
            if len(self._views) >= SELLER_VIEWS_KEPT:
                self._views.clear()
            found = self._views[seller] = event.sees_everything(self.principal)
        return found

    def _initial_change(self, match: Match) -> bytes:
        """An initial-state ENTERED change with the match's result, as SearchAvailabilities
        returns it (the lot: this caller's own conversion; the lot's own revision)."""
        lot = availability_to_pb(match.availability, self.principal).SerializeToString()
        found = search_wire.result(lot, match)
        revision = match.availability.revision
        return search_wire.change(ENTERED, match.availability.name, revision, b"", found)


@functools.lru_cache(maxsize=64)
def _bookmark(revision: int, reason: int) -> search_wire.Encoded:
    """A bookmark, serialised once for every search at this revision (the progress
    bookmarks of a thousand idle searches are mostly at the hub's position)."""
    message = api.WatchSearchResponse(revision=revision, bookmark=watch_pb2.Bookmark(reason=reason))
    return search_wire.Encoded(revision, message.SerializeToString())


def _types(event: WatchEvent) -> bytes:
    return search_wire.event_types([event_type_pb(name) for name in event.types])
