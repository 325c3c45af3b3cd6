"""GetAvailability's read on the event loop: from the lot cache when a probe sent after the
call arrived has brought it up to date, else from the database on the pool (and then kept).

The probe (service_layer.lot_cache) is shared: one at a time, answering every call that
arrived before it was sent, so under load one statement serves many calls, and a cache hit
costs no thread hop and no database work of its own. Its consistency argument is in
service_layer/lot_cache.py. A call's arrival is numbered as it reaches the server, before
grpc reads its request (grpc_api.arrival), not when its handler starts: a probe sent in
between answers it too (about one call in six at c=16), and a call whose probe has already
answered goes on without suspending.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import grpc
import structlog

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import sees_everything
from availability_service.domain.model import Availability
from availability_service.grpc_api import arrival, call_metadata
from availability_service.grpc_api.lot_output import availability_to_pb
from availability_service.grpc_api.read_consistency import read_scope
from availability_service.service_layer.lot_cache import (
    MAX_CHANGES_PER_PROBE,
    PROBE_SECONDS,
    PROBE_SPACING_SECONDS,
    LotCache,
)
from availability_service.service_layer.lots import LotService, lot_id_from_name
from availability_service.service_layer.ports.events import ChangeProbe
from availability_service.telemetry.metrics import GET_CACHE, GET_CACHE_PROBES, GET_CACHE_WAITS
from tradedesk.availability.v1 import availability_service_pb2 as api

if TYPE_CHECKING:
    from availability_service.grpc_api.rpc_base import RpcBase

log = structlog.get_logger(__name__)
_HITS, _READS = GET_CACHE.labels("hit"), GET_CACHE.labels("read")
_AT_ONCE, _OUT, _NEXT = (GET_CACHE_WAITS.labels(wait) for wait in ("none", "out", "next"))


class SharedProbe:
    """Brings the cache up to date for every call that arrived before the probe is sent."""

    def __init__(
        self,
        cache: LotCache,
        changes: ChangeProbe,
        spacing: float = PROBE_SPACING_SECONDS,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self._cache = cache
        self._spacing = spacing
        # Whether calls other than the one starting a run of probes are in flight (LotReads).
        self._busy = busy
        self._sent: float | None = None  # when the last probe was sent (the loop's clock)
        # On this loop (storage.loop_probe): no thread hop, one probe at a time.
        self._changes = changes
        # The next probe, for calls that arrived after the one out was sent.
        self._next: asyncio.Future[bool] | None = None
        # The probe out (its number, grpc_api.arrival) and the newest applied one's number.
        self._out: tuple[int, asyncio.Future[bool]] | None = None
        self._applied = 0
        self._task: asyncio.Task[None] | None = None

    async def caught_up(self, arrived: int) -> bool:
        """True once a probe sent after the call numbered `arrived` (grpc_api.arrival) has
        been applied; False when that probe failed (the caller then reads the database, which
        says what went wrong). Suspends only when no such probe has answered yet."""
        if self._applied > arrived:
            _AT_ONCE.inc()  # no await: the call goes on within this turn of the loop
            return True
        if self._out is not None and self._out[0] > arrived:
            _OUT.inc()
            waited = self._out[1]
        else:
            _NEXT.inc()
            waited = self._next_probe()
        # Shielded: a call cancelled while it waits must not cancel the others' probe.
        return await asyncio.shield(waited)

    def _next_probe(self) -> asyncio.Future[bool]:
        if self._next is None:
            loop = asyncio.get_running_loop()
            self._next = loop.create_future()
            if self._task is None or self._task.done():
                # Kept (a task nobody refers to may be collected mid-run), and in a context of
                # its own rather than the first waiting call's (its caller, its span).
                self._task = loop.create_task(
                    self._run(), name="lot-cache-probe", context=contextvars.Context()
                )
        return self._next

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        follows = False  # this run has sent a probe already
        while self._next is not None:
            # One turn of the loop first: calls that arrived with this one (a burst read in
            # the same poll) join its probe instead of waiting for the next. Under load the
            # probe then waits out the spacing since the last one, so the calls arriving
            # meanwhile join it too (PROBE_SPACING_SECONDS): when it follows another in this
            # run (calls came while one was out), or when other calls are in flight as the
            # run starts (each run's first probe went at once before: at c=64 that was two
            # probes in three). A lone caller is never paced.
            await asyncio.sleep(0)
            if self._sent is not None and (follows or self._busy()):
                wait = self._sent + self._spacing - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            follows = True
            self._sent = loop.time()
            # Calls that arrive from here on wait for the next probe: this one may have
            # been sent before their caller's write was acknowledged.
            batch, self._next = self._next, None
            number = arrival.draw()  # before the statement is sent
            self._out = (number, batch)
            after = self._cache.revision
            try:
                changes = await self._changes.changes_since(after or 0, MAX_CHANGES_PER_PROBE)
                self._cache.catch_up(after, changes)
            except Exception as exc:
                log.warning("lot_cache_probe_failed", error=str(exc).strip()[:200])
                GET_CACHE_PROBES.labels("failed").inc()
                batch.set_result(False)
                continue
            finally:
                self._out = None  # also when cancelled: no later call may wait on this one
            GET_CACHE_PROBES.labels("ok").inc()
            self._applied = number
            batch.set_result(True)


class LotReads:
    """GetAvailability's lot for a caller: cached when provably current, else read."""

    def __init__(self, lots: LotService, cache: LotCache) -> None:
        self._lots = lots
        self._cache = cache
        # Gets inside `get` (waiting for a probe or reading): more than one is load.
        self._reading = 0
        self._probe = SharedProbe(
            cache,
            lots.uow.change_probe(PROBE_SECONDS),
            spacing=PROBE_SPACING_SECONDS,  # read now, not when the module was loaded
            busy=lambda: self._reading > 1,
        )
        # Encoded replies of kept lots, by (lot, revision, the caller sees every field, full
        # view): a stored row at a revision never changes, so neither does its reply.
        self._replies: dict[tuple[uuid.UUID, int, bool, bool], bytes] = {}

    async def reply(
        self, rpc: RpcBase, context: grpc.aio.ServicerContext, who: Principal, name: str, full: bool
    ) -> bytes | api.GetAvailabilityResponse:
        """GetAvailability's response: encoded once per kept lot and view, else built."""
        lot, kept = await self.get(rpc, context, who, name)
        if not kept:
            return api.GetAvailabilityResponse(availability=availability_to_pb(lot, who, full))
        # The same decision redact() makes: owner, ADMIN and SERVICE see every field.
        key = (lot.id, lot.revision, sees_everything(who, lot.seller_id), full)
        data = self._replies.get(key)
        if data is None:
            response = api.GetAvailabilityResponse(availability=availability_to_pb(lot, who, full))
            data = self._replies[key] = response.SerializeToString()
            if len(self._replies) > self._cache.capacity:
                del self._replies[next(iter(self._replies))]
        return data

    async def get(
        self, rpc: RpcBase, context: grpc.aio.ServicerContext, who: Principal, name: str
    ) -> tuple[Availability, bool]:
        """The lot for `who`, and whether it came from the cache."""
        scope = read_scope(call_metadata.of(context))  # a bad header fails either way
        lot_id = lot_id_from_name(name)
        self._reading += 1
        try:
            read_at = None
            if await self._probe.caught_up(arrival.arrival()):
                kept = self._cache.answer(who, lot_id, name)
                if kept is not None:
                    _HITS.inc()
                    return kept, True
                read_at = self._cache.revision
            _READS.inc()
            lot, stored = await rpc.offload(context, self._lots.read, who, name, scope=scope)
            # Only the primary's answer: a standby may not have replayed what the cache has seen.
            if stored and scope.chosen is None:
                self._cache.offer(lot, read_at)
            return lot, False
        finally:
            self._reading -= 1
