"""One hub per server process: reads new events once, in revision order, and fans them out.

The hub never waits on a subscriber: each has a bounded queue, and one that is full is cut
off (its stream ends with RESOURCE_EXHAUSTED and the last revision it got) while the others
carry on. LISTEN/NOTIFY only wakes the hub up; a periodic poll covers lost notifications, and
the hub always reads the events table from its own last revision, so after a database restart
it simply catches up and streams keep going.

The composition root (serving.py) makes the hub with its server and hands it to that server's
servicer; nothing finds a hub any other way.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from availability_service.auth.concurrency import KeyedConcurrencyLimiter
from availability_service.auth.principal import Principal
from availability_service.config import Settings
from availability_service.domain.errors import ResourceExhausted
from availability_service.service_layer.ports import UnitOfWork
from availability_service.telemetry import metrics
from availability_service.watch import reads
from availability_service.watch.database import WatchDatabase
from availability_service.watch.feed import End, Subscription, WatchEvent

log = structlog.get_logger(__name__)
T = TypeVar("T")
PAGE_SIZE = 500
MAX_BACKOFF_SECONDS = 5.0
# Reads start at least this far apart: the notifications of a busy market (a hundred
# commits a second) are served a batch per read rather than one read each, for at most
# this much more delay. A read's own cost (a transaction and a query) otherwise grows
# with the commit rate, in every process following the changes.
READ_SPACING_SECONDS = 0.02


class HubClosing(Exception):
    """The server is shutting down: no new streams."""


@dataclass(frozen=True)
class HubLimits:
    queue_size: int = 1000
    max_watchers: int = 2000
    max_stream_age_seconds: float = 1800.0
    poll_interval_seconds: float = 1.0
    send_timeout_seconds: float = 30.0
    max_per_caller: int = 100
    # Slots of max_watchers that only ADMIN and SERVICE may take: however many buyers
    # connect, the other engines can still follow the market.
    reserved_privileged: int = 200

    @classmethod
    def from_settings(cls, settings: Settings) -> HubLimits:
        return cls(
            queue_size=settings.watch_queue_size,
            max_watchers=settings.watch_max_watchers,
            max_stream_age_seconds=settings.watch_max_stream_age_seconds,
            poll_interval_seconds=settings.watch_poll_interval_seconds,
            send_timeout_seconds=settings.watch_send_timeout_seconds,
            max_per_caller=settings.watch_max_per_caller,
            reserved_privileged=min(
                settings.watch_reserved_privileged, settings.watch_max_watchers // 2
            ),
        )


class WatchSlot:
    """One admitted stream's place in the process and in its caller's cap.

    A stream cut off for not reading gives its process slot back at once (cut_off), so it
    crowds out nobody; its caller's slot is given back with release(), once its last message
    no longer waits in the transport (the client read it or went away). So one caller's
    unread streams, and the memory they hold, stay within that caller's own cap.
    """

    def __init__(self, hub: WatchHub, subject: str, caller_class: str) -> None:
        self._hub = hub
        self.subject = subject
        self.caller_class = caller_class
        self._in_process = True
        self._of_caller = True

    def cut_off(self) -> None:
        if self._in_process:
            self._in_process = False
            self._hub._leave_process(self)

    def release(self) -> None:
        self.cut_off()
        if self._of_caller:
            self._of_caller = False
            self._hub._leave_caller(self)


class WatchHub:
    def __init__(
        self,
        database: WatchDatabase,
        executor: ThreadPoolExecutor,
        limits: HubLimits,
    ) -> None:
        self.database = database
        self.limits = limits
        # Streams' own reads (initial state, catch-up) share the RPC pool; the hub's reads get
        # a thread of their own so live fan-out never queues behind request traffic.
        self._executor = executor
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="watch-hub")
        self.position = 0  # every event up to here has been offered to every subscriber
        self.closing = False
        self._subs: set[Subscription] = set()
        self._active = 0
        self._per_caller = KeyedConcurrencyLimiter(limits.max_per_caller)
        self._by_class: Counter[str] = Counter()
        self._tasks: list[asyncio.Task[Any]] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        # asyncio.Event binds to a loop on first wait, so creating them here is safe.
        self._ready = asyncio.Event()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> list[asyncio.Task[Any]]:
        """Starts the hub in the running loop; returns its tasks (for the app's background)."""
        self.loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._run(), name="watch-hub"),
            asyncio.create_task(self.database.listen(self._wake.set), name="watch-listen"),
        ]
        return list(self._tasks)

    async def wait_ready(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)
        return self._ready.is_set()

    async def shutdown(self, timeout: float = 3.0) -> None:
        """Ends every stream with a final bookmark, waits (bounded) for them, stops the hub."""
        self.closing = True
        for sub in list(self._subs):
            sub.end(End.SHUTDOWN)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._reader.shutdown(wait=False, cancel_futures=True)

    # --- streams ---------------------------------------------------------------------------

    def admit(self, principal: Principal) -> WatchSlot:
        """A slot for a new stream, or RESOURCE_EXHAUSTED (TOO_MANY_WATCHERS) when the caller
        has its maximum, or the process has no room left for this class of caller."""
        if self.closing:
            raise HubClosing("server is shutting down")
        caller_class = "privileged" if principal.is_privileged else "other"
        limit = self.limits.max_watchers
        if self._active >= limit:
            raise _too_many("process", limit, f"this server already serves {limit} watch streams")
        share = limit - self.limits.reserved_privileged
        if not principal.is_privileged and self._by_class[caller_class] >= share:
            raise _too_many(
                "process",
                share,
                f"this server already serves {share} watch streams of callers other than "
                "ADMIN and SERVICE",
            )
        if not self._per_caller.try_enter(principal.subject):
            raise _too_many(
                "caller",
                self.limits.max_per_caller,
                f"this caller already has {self.limits.max_per_caller} watch streams",
            )
        self._active += 1
        self._by_class[caller_class] += 1
        self._idle.clear()
        metrics.WATCH_STREAMS.inc()
        return WatchSlot(self, principal.subject, caller_class)

    def _leave_caller(self, slot: WatchSlot) -> None:
        self._per_caller.exit(slot.subject)

    def _leave_process(self, slot: WatchSlot) -> None:
        metrics.WATCH_STREAMS.dec()
        self._by_class[slot.caller_class] -= 1
        self._active -= 1
        if self._active == 0:
            self._idle.set()

    def subscribe(self) -> tuple[Subscription, int]:
        """A new subscription, and the revision after which it receives every event."""
        if self.closing:
            raise HubClosing("server is shutting down")
        sub = Subscription(self.limits.queue_size)
        self._subs.add(sub)
        return sub, self.position

    def attach(self, sub: Subscription) -> int:
        """Adds a subscription built elsewhere (the standing-search index routes events on to
        its own subscribers); returns the revision after which it receives every event."""
        if self.closing:
            raise HubClosing("server is shutting down")
        self._subs.add(sub)
        return self.position

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    @property
    def uow(self) -> UnitOfWork:
        """The unit of work of every watch read (on the primary)."""
        return self.database.uow

    @property
    def watchers(self) -> int:
        return self._active

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Runs a blocking read for a stream on the RPC pool."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    # --- the fan-out loop ------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        self.position = await self._retry(
            lambda: loop.run_in_executor(self._reader, reads.current_revision, self.uow)
        )
        self._ready.set()
        last_read = -math.inf
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.limits.poll_interval_seconds)
            early = last_read + READ_SPACING_SECONDS - loop.time()
            if early > 0:
                await asyncio.sleep(early)  # what is notified meanwhile joins this read
            self._wake.clear()
            last_read = loop.time()
            await self._retry(self._catch_up)

    async def _catch_up(self) -> None:
        loop = asyncio.get_running_loop()
        if not self._subs:
            # Nobody to offer events to: move to the head without reading (and parsing) the
            # events. Revisions commit in order, so every event up to the committed counter
            # is committed, and a subscriber never misses one: one arriving during this read
            # is seen by the second check, and the events are read for it as usual.
            head = await loop.run_in_executor(self._reader, reads.current_revision, self.uow)
            if not self._subs:
                self.position = max(self.position, head)
                metrics.WATCH_HUB_REVISION.set(self.position)
                return
        while True:
            page = await loop.run_in_executor(
                self._reader, reads.read_page, self.uow, self.position, PAGE_SIZE
            )
            await self._dispatch(page)
            if len(page) < PAGE_SIZE:
                return

    async def _dispatch(self, page: list[WatchEvent]) -> None:
        for i, event in enumerate(page):
            cut: list[Subscription] = []
            # A copy: an offer may unsubscribe (the standing-search index leaves the hub
            # when its last search is cut off), which would end the iteration with an error.
            for sub in tuple(self._subs):
                if not sub.offer(event):
                    cut.append(sub)
            metrics.WATCH_EVENTS_SENT.inc(len(self._subs) - len(cut))
            for sub in cut:
                sub.end(End.OVERFLOW)
                self._subs.discard(sub)
                metrics.WATCH_SLOW_WATCHERS.inc()
                metrics.WATCH_CUTOFFS.labels("slow_watcher").inc()
                log.warning("watch_slow_watcher_cut_off", revision=event.revision)
            self.position = event.revision
            metrics.WATCH_HUB_REVISION.set(event.revision)
            if i % 64 == 63:
                await asyncio.sleep(0)  # let streams run during a long catch-up

    async def _retry(self, action: Callable[[], Any]) -> Any:
        """Retries a database step with backoff: the hub outlives database restarts."""
        attempt = 0
        while True:
            try:
                return await action()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempt += 1
                delay = min(0.1 * 2**attempt, MAX_BACKOFF_SECONDS)
                log.warning(
                    "watch_hub_read_failed",
                    error=str(exc).strip()[:200],
                    retry_in=delay,
                    position=self.position,
                )
                await asyncio.sleep(delay)


def _too_many(scope: str, limit: int, message: str) -> ResourceExhausted:
    metrics.WATCH_CUTOFFS.labels(f"too_many_watchers_{scope}").inc()
    return ResourceExhausted(
        message,
        reason="TOO_MANY_WATCHERS",
        retry_after_seconds=1.0,
        metadata={"scope": scope, "max_watchers": str(limit)},
    )
