"""One WatchSearch stream: the match set of a standing search, kept current from the events.

The stream starts from the match set at its start revision (now, the initial state, or a
resume point; search_reads.lots_at), then applies every event of the search's commodity in
revision order: a lot whose new state passes and did not is ENTERED, one that passes and did
is UPDATED (every event changes a lot's revision and etag, so its payload), one that passed
and no longer does is LEFT. As in the watch stream, `pos` is the highest revision this stream
has fully dealt with, and every bookmark and error carries it: resuming from it gives the rest
with no gap and no duplicate.
"""

from __future__ import annotations

import time
import uuid
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from sqlalchemy.exc import DBAPIError

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import can_see_lot
from availability_service.domain.errors import (
    FieldViolation,
    InvalidArgument,
    OutOfRange,
    ResourceExhausted,
)
from availability_service.domain.model import Availability, availability_from_snapshot
from availability_service.grpc_api.search_input import search_query
from availability_service.grpc_api.search_rpc import search_result_pb
from availability_service.service_layer.search import SearchHit, SearchService
from availability_service.watch import reads, search_reads, similarity
from availability_service.watch.feed import End, Subscription, WatchEvent
from availability_service.watch.filters import WatchRequest, parse_request
from availability_service.watch.hub import PAGE_SIZE, WatchHub
from availability_service.watch.search_index import index_for
from availability_service.watch.standing import Match, StandingSearch
from availability_service.watch.stream import (
    BATCH_MAX_BYTES,
    BATCH_MAX_EVENTS,
    READY_TIMEOUT_SECONDS,
    StreamUnavailable,
)
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import watch_pb2

Reason = watch_pb2.Bookmark.Reason
ENTERED = watch_pb2.MATCH_KIND_ENTERED
UPDATED = watch_pb2.MATCH_KIND_UPDATED
LEFT = watch_pb2.MATCH_KIND_LEFT

# Each event's lot is decoded once per process, however many standing searches it concerns.
_LOTS: weakref.WeakKeyDictionary[WatchEvent, Availability] = weakref.WeakKeyDictionary()


def lot_after(event: WatchEvent, standing: StandingSearch) -> Availability:
    """The event's lot, decoded once; its embedding (left out of snapshots) is computed once
    too, by the first standing search of its commodity that needs it."""
    lot = _LOTS.get(event)
    if lot is None:
        lot = _LOTS[event] = availability_from_snapshot(event.after)
    if lot.ai_score_vector is None and lot.commodity == standing.commodity.code:
        lot.ai_score_vector = [float(x) for x in standing.embedding(lot)]
    return lot


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
        standing = StandingSearch(principal, query, commodity, plan, search.embedder)
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


async def search_stream(
    request: api.WatchSearchRequest, principal: Principal, hub: WatchHub, search: SearchService
) -> AsyncIterator[api.WatchSearchResponse]:
    standing, parsed = parse_search_request(request, principal, search)
    if not await hub.wait_ready(READY_TIMEOUT_SECONDS):
        raise StreamUnavailable("the change feed is not ready yet; retry")
    with hub.slot():
        async for response in _SearchStream(standing, parsed, hub).run():
            yield response


def _bookmark(revision: int, reason: int) -> api.WatchSearchResponse:
    return api.WatchSearchResponse(revision=revision, bookmark=watch_pb2.Bookmark(reason=reason))


def _event_types(names: Iterable[str]) -> list[int]:
    out = []
    for name in names:
        try:
            out.append(int(watch_pb2.EventType.Value(f"EVENT_TYPE_{name}")))
        except ValueError:
            out.append(watch_pb2.EVENT_TYPE_UNSPECIFIED)
    return out


class _SearchStream:
    def __init__(self, standing: StandingSearch, request: WatchRequest, hub: WatchHub) -> None:
        self.standing = standing
        self.request = request
        self.principal = standing.principal
        self.commodity = standing.commodity.code
        self.hub = hub
        self.matches: dict[uuid.UUID, Match] = {}
        self.pos = 0
        now = time.monotonic()
        self.deadline = now + hub.limits.max_stream_age_seconds
        self.last_sent = now

    async def run(self) -> AsyncIterator[api.WatchSearchResponse]:
        start: int | None = None  # None: now, as the initial state
        if self.request.start_revision > 0:
            head = await self._read(reads.current_revision, self.hub.engine)
            self._check_not_future(head)
            start = self.request.start_revision
        elif not self.request.send_initial_state:
            start = self.hub.position
        self.standing.summation = await self._read(similarity.calibrated, self.hub.engine)
        state = await self._read(search_reads.lots_at, self.hub.engine, self.commodity, start)
        self.pos = state.revision if start is None else start
        self._check_retained(state.oldest)
        for lot in state.lots:
            match = self.standing.evaluate(lot)
            if match is not None:
                self.matches[lot.id] = match
        if self.request.send_initial_state:
            for response in self._initial_state():
                yield self._sent(response)
        index = index_for(self.hub)
        # Catch up from the table first, so a long replay never fills the live queue...
        async for response in self._catch_up(None):
            yield response
        feed, joined_at = index.join(self.commodity)
        try:
            # ...then close the gap between where the replay ended and where the queue starts.
            async for response in self._catch_up(joined_at):
                yield response
            async for response in self._live(feed):
                yield response
        finally:
            index.leave(self.commodity, feed)

    # --- phases ----------------------------------------------------------------------------

    def _initial_state(self) -> Iterator[api.WatchSearchResponse]:
        ranked = sorted(self.matches.values(), key=lambda m: (-m.score, str(m.lot.id)))
        changes = (self._change(ENTERED, m.lot, m, m.lot.revision, ()) for m in ranked)
        for batch in _split(changes):
            yield api.WatchSearchResponse(revision=self.pos, changes=batch)
        yield _bookmark(self.pos, Reason.REASON_INITIAL_STATE_END)

    async def _catch_up(self, until: int | None) -> AsyncIterator[api.WatchSearchResponse]:
        while not self.hub.closing and time.monotonic() < self.deadline:
            if self.pos >= (self.hub.position if until is None else until):
                return
            page = await self._read(reads.read_page, self.hub.engine, self.pos, PAGE_SIZE, until)
            if page and page[0].revision > self.pos + 1:
                self._check_retained(await self._read(reads.oldest_revision, self.hub.engine))
            for response in self._messages(page):
                yield self._sent(response)
            if len(page) < PAGE_SIZE:
                return

    async def _live(self, feed: Subscription) -> AsyncIterator[api.WatchSearchResponse]:
        progress = self.request.progress_seconds
        while True:
            if feed.ended is End.OVERFLOW:
                raise ResourceExhausted(
                    f"standing search fell more than {feed.capacity} events behind; resume "
                    f"from revision {self.pos}",
                    reason="SLOW_WATCHER",
                    retry_after_seconds=1.0,
                    metadata={"last_revision": str(self.pos)},
                )
            now = time.monotonic()
            if feed.ended is End.SHUTDOWN or self.hub.closing or now >= self.deadline:
                yield _bookmark(self.pos, Reason.REASON_STREAM_END)
                return
            batch = [e for e in feed.take(BATCH_MAX_EVENTS) if e.revision > self.pos]
            if batch:
                for response in self._messages(batch):
                    yield self._sent(response)
                continue
            # Every event of this commodity up to the hub's position is queued or done, so
            # the stream has dealt with everything up to there.
            self.pos = max(self.pos, self.hub.position)
            if progress is not None and now >= self.last_sent + progress:
                yield self._sent(_bookmark(self.pos, Reason.REASON_PROGRESS))
                continue
            wait = self.deadline - now
            if progress is not None:
                wait = min(wait, self.last_sent + progress - now)
            await feed.wait(max(wait, 0.0))

    # --- the match set ---------------------------------------------------------------------

    def _apply(self, event: WatchEvent) -> watch_pb2.SearchChange | None:
        """The change this event makes to the match set, if any (and the set updated)."""
        before = event.before or {}
        if self.commodity not in (event.after.get("commodity"), before.get("commodity")):
            return None
        lot = lot_after(event, self.standing)
        new = self.standing.evaluate(lot)
        old = self.matches.pop(lot.id, None)
        if new is not None:
            self.matches[lot.id] = new
            kind = ENTERED if old is None else UPDATED
            return self._change(kind, lot, new, event.revision, event.types, event)
        if old is None:
            return None
        if lot.delete_time is not None or not can_see_lot(self.principal, lot):
            # The caller lost sight of the lot: nothing of its new state may be shown.
            return self._change(LEFT, lot, None, event.revision, event.types)
        last, _ = self.standing.score(lot)
        return self._change(LEFT, lot, last, event.revision, event.types, event)

    def _change(
        self,
        kind: int,
        lot: Availability,
        match: Match | None,
        revision: int,
        types: Iterable[str],
        event: WatchEvent | None = None,
    ) -> watch_pb2.SearchChange:
        change = watch_pb2.SearchChange(
            kind=kind,
            name=f"availabilities/{lot.id}",
            revision=revision,
            event_types=_event_types(types),
        )
        if match is not None:
            hit = SearchHit(match.lot, match.score, match.breakdown, match.distance_km)
            shared = None if event is None else event.after_for(self.principal)
            change.result.CopyFrom(search_result_pb(hit, self.principal, shared))
        return change

    # --- helpers ---------------------------------------------------------------------------

    def _messages(self, events: list[WatchEvent]) -> Iterator[api.WatchSearchResponse]:
        """Messages for these consecutive events; advances pos past all of them."""
        batch: list[Any] = []
        size = 0
        last = self.pos
        for event in events:
            change = self._apply(event)
            if change is not None:
                change_size = change.ByteSize()
                if batch and (
                    len(batch) >= BATCH_MAX_EVENTS or size + change_size > BATCH_MAX_BYTES
                ):
                    yield api.WatchSearchResponse(revision=last, changes=batch)
                    self.pos = last
                    batch, size = [], 0
                batch.append(change)
                size += change_size
            last = event.revision
        if batch:
            yield api.WatchSearchResponse(revision=last, changes=batch)
        self.pos = max(self.pos, last)

    def _sent(self, response: api.WatchSearchResponse) -> api.WatchSearchResponse:
        self.last_sent = time.monotonic()
        return response

    def _check_not_future(self, head: int) -> None:
        if self.request.start_revision > head:
            raise OutOfRange(
                f"start_revision {self.request.start_revision} is beyond the current revision "
                f"{head}; resume from a revision this service returned",
                reason="REVISION_NOT_YET_WRITTEN",
                metadata={"current_revision": str(head)},
            )

    def _check_retained(self, oldest: int | None) -> None:
        if oldest is not None and self.pos < oldest - 1:
            raise OutOfRange(
                f"revision {self.pos} is compacted; the oldest kept is {oldest}: watch again "
                "with send_initial_state",
                reason="REVISION_COMPACTED",
                metadata={"oldest_revision": str(oldest)},
            )

    async def _read(self, fn: Any, *args: Any) -> Any:
        try:
            return await self.hub.read(fn, *args)
        except DBAPIError as exc:
            raise StreamUnavailable(
                "database unavailable; resume from last_revision", self.pos or None
            ) from exc


def _split(changes: Iterable[Any]) -> Iterator[list[Any]]:
    """Groups initial-state changes into messages under the size and count caps."""
    batch: list[Any] = []
    size = 0
    for change in changes:
        change_size = change.ByteSize()
        if batch and (len(batch) >= BATCH_MAX_EVENTS or size + change_size > BATCH_MAX_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(change)
        size += change_size
    if batch:
        yield batch
