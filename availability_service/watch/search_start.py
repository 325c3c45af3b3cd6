"""Where WatchSearch streams start: one read and one judging shared by the streams starting
together, and a match set kept as ids.

A stream starts from its match set at its start revision: the lots of its commodity a search
could match as of then (search_reads.lots_at), judged against its criteria. Done per stream,
1,000 streams starting over a 100,000-lot market each read and judged their whole commodity,
and each held it (9.6 GB; none started). Here:

- **One read per (commodity, start) at a time.** A stream that asks while a read is in
  flight waits for the next one, which is sent after it asked (so its start reflects every
  write acknowledged before its call), and every stream asking meanwhile shares that next
  read: as GetAvailability's probe is shared (grpc_api.lot_reads). Starts at the head (no
  `start_revision`, with or without the initial state) share one key per commodity.
- **Judged once per distinct criteria** among the streams sharing the read, lot by lot (so a
  lot's shared work, its embedding and distances, serves every criteria in a row), and the
  clock-bound filters at one moment for all of them, as a batch of events is judged.
- **Kept as ids.** A PUBLIC lot that passes is in the set of every caller alike (an ACTIVE
  PUBLIC lot is visible to everyone): those ids are one frozenset shared by every stream with
  the criteria; a stream adds the other lots its own caller may see, and later changes are
  its own differences (MatchSet). The lots are dropped once the streams that send an initial
  state have sent it.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from availability_service.domain.model import Availability, Visibility
from availability_service.service_layer.changes import now
from availability_service.watch import reads, search_reads
from availability_service.watch.hub import WatchHub
from availability_service.watch.per_hub import PerHub
from availability_service.watch.standing import Match, StandingSearch

# Lot judgements (a lot against one criteria) between two turns of the event loop: a large
# commodity must not hold the loop for its whole start.
JUDGEMENTS_PER_TURN = 500

# A lot state that passes a criteria, and its score: the breakdown is not kept (a list of
# factors per criteria and lot: most of a start's memory over a large market); the initial
# state judges its lots again, through the stream's own shared caches.
Passing = tuple[Availability, float]


class MatchSet:
    """A stream's match set by lot id (an int: cheaper to hash): the ids its start shares
    with every stream of equal criteria, and this stream's own differences from them."""

    __slots__ = ("_added", "_removed", "_shared")

    def __init__(self, shared: frozenset[int] = frozenset(), own: set[int] | None = None) -> None:
        self._shared = shared
        self._added = set() if own is None else own - shared
        self._removed: set[int] = set()

    def __contains__(self, lot_id: object) -> bool:
        return lot_id in self._added or (lot_id in self._shared and lot_id not in self._removed)

    def add(self, lot_id: int) -> None:
        if lot_id in self._shared:
            self._removed.discard(lot_id)
        else:
            self._added.add(lot_id)

    def discard(self, lot_id: int) -> None:
        if lot_id in self._shared:
            self._removed.add(lot_id)
        else:
            self._added.discard(lot_id)

    def __len__(self) -> int:
        return len(self._shared) - len(self._removed) + len(self._added)


@dataclass
class CriteriaStart:
    """One criteria judged on one read: the lot states that pass it."""

    judge: StandingSearch
    passing: list[Passing] = field(default_factory=list)
    _ranked: list[Passing] | None = None
    _restricted: list[Availability] | None = None

    def restricted(self) -> list[Availability]:
        """The passing lots that are not PUBLIC: whether a caller sees them is its own."""
        if self._restricted is None:
            self._restricted = [
                lot for lot, _ in self.passing if lot.market_visibility is not Visibility.PUBLIC
            ]
        return self._restricted

    def public(self, moment: datetime) -> frozenset[int]:
        """The passing PUBLIC lots the clock-bound filters admit at `moment`: in the set of
        every caller alike (an ACTIVE PUBLIC lot is visible to everyone)."""
        return frozenset(
            lot.id.int
            for lot, _ in self.passing
            if lot.market_visibility is Visibility.PUBLIC and self.judge.admits(lot, moment)
        )

    def ranked(self) -> list[Passing]:
        """The passing lot states best score first (ties by id), as an initial state is sent;
        sorted once for every stream that sends one."""
        if self._ranked is None:
            self._ranked = sorted(self.passing, key=lambda p: (-p[1], p[0].id))
        return self._ranked


@dataclass(frozen=True)
class Start:
    """A shared start: the snapshot's head and oldest kept revision, the moment the clock-bound
    filters were judged at, and each criteria's start."""

    revision: int
    oldest: int | None
    moment: datetime
    criteria: dict[Hashable, CriteriaStart]
    public: dict[Hashable, frozenset[int]]  # CriteriaStart.public at `moment`, per criteria

    def of(self, search: StandingSearch) -> CriteriaStart:
        return self.criteria[_criteria(search)]

    def match_set(self, search: StandingSearch) -> MatchSet:
        """The search's starting set: its criteria's PUBLIC ids, shared, and the other lot
        states passing them that its own caller may see (a PUBLIC lot the clock turns away
        is turned away for everyone)."""
        restricted = self.of(search).restricted()
        own = {lot.id.int for lot in restricted if search.admits(lot, self.moment)}
        return MatchSet(self.public[_criteria(search)], own)


def _criteria(search: StandingSearch) -> Hashable:
    """Equal for searches that judge every lot state alike (StandingSearch.criteria_id)."""
    return search.criteria_id if search.criteria_id is not None else id(search)


def _judge(search: StandingSearch) -> StandingSearch:
    """A copy of the search's criteria that judges without the process's score caches: a
    start judges a whole commodity once, which would only push the live changes' entries
    out of them."""
    judge = StandingSearch(
        search.principal, search.query, search.commodity, search.plan, search.embedder
    )
    judge.summation = search.summation
    return judge


class _Batch:
    """The streams waiting for the next read of one (commodity, start): their criteria."""

    def __init__(self) -> None:
        self.done: asyncio.Future[Start] = asyncio.get_running_loop().create_future()
        # Retrieved here, so a failure whose every waiter was cancelled is not reported.
        self.done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.judges: dict[Hashable, StandingSearch] = {}


@dataclass
class _Read:
    """A read of one (commodity, start), and the criteria judged on it so far."""

    lots: search_reads.LotsAt
    judged: dict[Hashable, CriteriaStart] = field(default_factory=dict)


class StartReads:
    """The hub's shared starts (one per hub, `starts_for`); touched only on the event loop.

    One read and judging at a time per process: a start is CPU-bound (decoding and judging
    the lots, under the interpreter's lock), so two at once only hold twice the lots in
    memory for the same total time, and a stream waiting for its turn joins the next read
    of its commodity rather than causing one more. While streams keep asking for a
    (commodity, start) and no other is waiting, its last read is kept and used again as long
    as no write has committed since (the head is unchanged): only criteria not judged on it
    yet are judged. Memory comes first: a read is never kept while another commodity waits.
    """

    def __init__(self, hub: WatchHub) -> None:
        self.hub = hub
        self.reads = 0  # reads sent so far (one per batch of streams starting together)
        self._next: dict[tuple[str, int | None], _Batch] = {}
        self._tasks: dict[tuple[str, int | None], asyncio.Task[None]] = {}
        self._last: dict[tuple[str, int | None], _Read] = {}
        self._turn = asyncio.Lock()

    async def start(self, search: StandingSearch, at: int | None) -> Start:
        """The search's commodity as of `at` (None: the head) judged for its criteria, from
        the next read of it (shared with every stream asking meanwhile). Its summation must
        be calibrated first (it is part of the criteria)."""
        key = (search.commodity.code, at)
        batch = self._next.get(key)
        if batch is None:
            batch = self._next[key] = _Batch()
            if key not in self._tasks:
                # In a context of its own rather than the first waiting stream's.
                self._tasks[key] = asyncio.get_running_loop().create_task(
                    self._run(key), name="search-start", context=contextvars.Context()
                )
        batch.judges.setdefault(_criteria(search), search)
        # Shielded: a stream cancelled while it waits must not cancel the others' start.
        return await asyncio.shield(batch.done)

    async def _run(self, key: tuple[str, int | None]) -> None:
        batch = None
        try:
            while (batch := self._next.get(key)) is not None:
                # One turn of the loop first: streams opened with this one join its read.
                await asyncio.sleep(0)
                async with self._turn:
                    # Streams asking from here on wait for the next read: this one may be
                    # sent before their caller's write was acknowledged.
                    del self._next[key]
                    try:
                        begun = await self._read_and_judge(key, batch)
                    except Exception as exc:
                        batch.done.set_exception(exc)
                    else:
                        batch.done.set_result(begun)
                    if key not in self._next or len(self._next) > 1:
                        # Kept only for streams of this commodity that are next in turn: the
                        # lots of a commodity are not held while others take their turn.
                        self._last.pop(key, None)
        finally:
            del self._tasks[key]
            self._last.pop(key, None)
            if batch is not None and not batch.done.done():
                batch.done.cancel()  # the loop is stopping

    async def _read_and_judge(self, key: tuple[str, int | None], batch: _Batch) -> Start:
        commodity, at = key
        read = self._last.get(key)
        head = await self.hub.read(reads.current_revision, self.hub.uow)
        if read is None or read.lots.revision != head:
            self._last.pop(key, None)  # its lots go before the next are read
            self.reads += 1
            lots = await self.hub.read(search_reads.lots_at, self.hub.uow, commodity, at)
            read = self._last[key] = _Read(lots)
        fresh = {
            k: CriteriaStart(_judge(search))
            for k, search in batch.judges.items()
            if k not in read.judged
        }
        await _judge_all(read.lots.lots, list(fresh.values()))
        read.judged.update(fresh)
        moment = now()
        criteria = {k: read.judged[k] for k in batch.judges}
        public = {k: found.public(moment) for k, found in criteria.items()}
        return Start(read.lots.revision, read.lots.oldest, moment, criteria, public)


async def _judge_all(lots: list[Availability], starts: list[CriteriaStart]) -> None:
    """Every lot against every criteria, lot by lot, letting other work run between turns."""
    done = 0
    for lot in lots:
        for found in starts:
            judged = found.judge.judged(lot)
            if judged is not None:
                found.passing.append((lot, judged[0]))
        done += len(starts)
        if done >= JUDGEMENTS_PER_TURN:
            done = 0
            await asyncio.sleep(0)


def initial(start: CriteriaStart, search: StandingSearch, inside: MatchSet) -> Iterator[Match]:
    """The stream's initial state, best first: its criteria's ranking within its set, each
    lot judged again by the search (the same criteria: the same verdict)."""
    for lot, _ in start.ranked():
        if lot.id.int in inside and (judged := search.judged(lot)) is not None:
            yield Match(lot, *judged)


# The hub's shared starts (one per hub, made on first use).
starts_for: PerHub[StartReads] = PerHub(StartReads)
