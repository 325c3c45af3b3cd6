"""WatchAvailabilities: the server-streaming RPC over the process's watch hub."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import structlog

from availability_service.grpc_api.errors import build_status, status_for
from availability_service.grpc_api.rpc_base import RpcBase, principal
from availability_service.telemetry import metrics
from availability_service.watch.hub import HubClosing, WatchHub, WatchSlot
from availability_service.watch.stream import StreamUnavailable, cut_off, open_stream
from tradedesk.availability.v1 import availability_service_pb2 as api

log = structlog.get_logger(__name__)


def _status(exc: Exception) -> grpc.Status:
    if isinstance(exc, StreamUnavailable):
        metadata = {} if exc.last_revision is None else {"last_revision": str(exc.last_revision)}
        return build_status(
            grpc.StatusCode.UNAVAILABLE, exc.message, "WATCH_UNAVAILABLE", metadata, retry_after=1.0
        )
    if isinstance(exc, HubClosing):
        return build_status(grpc.StatusCode.UNAVAILABLE, str(exc), "SHUTTING_DOWN", retry_after=1.0)
    status = status_for(exc)
    if status is None:
        log.exception("watch_failed")
        return build_status(grpc.StatusCode.INTERNAL, "internal error", "INTERNAL")
    return status


class WatchRpcs(RpcBase):
    async def WatchAvailabilities(
        self,
        request: api.WatchAvailabilitiesRequest,
        context: grpc.aio.ServicerContext,
    ) -> None:
        await serve_watch(self.hub, context, lambda hub: open_stream(request, principal(), hub))


async def serve_watch(
    hub: WatchHub,
    context: grpc.aio.ServicerContext,
    opened: Callable[[WatchHub], Awaitable[tuple[WatchSlot, Any]]],
) -> None:
    """Runs one watch-like stream (WatchAvailabilities, WatchSearch) under the hub's
    governance: its slot (caps per caller and process), send timeout and maximum age.

    A coroutine writing with context.write, not a generator: only then can a write that the
    client does not take be timed out while the write itself stays pending.
    """
    try:
        slot, stream = await opened(hub)
        messages = stream.run()
        try:
            await _send_all(messages, context, stream.send_timeout, slot)
        finally:
            slot.release()
            await messages.aclose()
        return
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # mapped to a status below, outside the handler
        if context.cancelled():
            # The client cancelled while a write was in flight: nobody is left to tell, and
            # the failed write is not a server error.
            return
        status = _status(exc)
    await context.abort_with_status(status)


async def _send_all(
    stream: AsyncIterator[Any],
    context: grpc.aio.ServicerContext,
    send_timeout: Callable[[float], float],
    slot: WatchSlot,
) -> None:
    """Writes every message; a write the transport has not taken within the send timeout (the
    client stopped reading and the HTTP/2 windows are full), or past the stream's maximum
    age, ends the stream.

    The process slot is given back when the timer fires (the caller's, once the write is
    done: see WatchSlot). The write cannot be withdrawn from the transport, so it stays
    pending: a client that reads again gets that message and then
    RESOURCE_EXHAUSTED (SEND_TIMEOUT) with the revision to resume from; one that never reads
    holds only that message until it disconnects (availability_watch_unread_streams).
    A timer per message, not a task: the fast path costs next to nothing.
    """
    loop = asyncio.get_running_loop()
    stuck = _Stuck(slot)
    async for response in stream:
        seconds = send_timeout(time.monotonic())
        timer = loop.call_later(seconds, stuck.cut_off, response.revision, seconds)
        try:
            await context.write(response)
        except Exception:
            if not stuck.timed_out:
                raise
            # The client went away without reading: the stream had already ended for it.
        finally:
            timer.cancel()
            stuck.written()
        if stuck.timed_out:
            why = f"the client took no message for {stuck.seconds:g}s"
            raise cut_off("SEND_TIMEOUT", why, response.revision)


class _Stuck:
    """What happens when a write outlives the send timeout: the slot goes back at once."""

    def __init__(self, slot: WatchSlot) -> None:
        self.slot = slot
        self.timed_out = False
        self.seconds = 0.0
        self._unread = False

    def cut_off(self, revision: int, seconds: float) -> None:
        self.timed_out = self._unread = True
        self.seconds = seconds
        self.slot.cut_off()
        metrics.WATCH_CUTOFFS.labels("send_timeout").inc()
        metrics.WATCH_UNREAD.inc()
        log.warning("watch_send_timeout", revision=revision, seconds=seconds)

    def written(self) -> None:
        """The pending write finished (or failed): it no longer waits in the transport."""
        if self._unread:
            self._unread = False
            metrics.WATCH_UNREAD.dec()
