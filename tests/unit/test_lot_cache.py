"""GetAvailability's lot cache on the in-memory unit of work, and its shared probe.

The cache may answer only for lots no change since its revision touched, and only once a
probe sent after the call began has been applied; the probe is shared by the calls waiting
when it is sent, never by a call that began after it was sent.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from availability_service.domain.errors import NotFound
from availability_service.domain.model import Availability, Visibility
from availability_service.grpc_api import arrival
from availability_service.grpc_api.lot_reads import SharedProbe
from availability_service.service_layer.lot_cache import MAX_CHANGES_PER_PROBE, LotCache
from availability_service.service_layer.ports.events import LotChanges
from tests.support.fake_services import BUYER, OTHER_SELLER, SELLER, Market, market


@pytest.fixture
def m() -> Market:
    return market()


def _probed(m: Market, cache: LotCache) -> LotCache:
    with m.uow.read() as tx:
        changes = tx.events.changes_since(cache.revision or 0, MAX_CHANGES_PER_PROBE)
    cache.catch_up(cache.revision, changes)
    return cache


def _kept(m: Market, lot: Availability, capacity: int = 10) -> LotCache:
    cache = _probed(m, LotCache(capacity))
    assert cache.offer(m.stored(lot), cache.revision)
    return cache


def test_a_kept_lot_answers_until_a_probe_finds_it_changed(m: Market) -> None:
    lot = m.live()
    cache = _kept(m, lot)
    assert cache.answer(BUYER, lot.id, lot.name) == m.stored(lot)
    m.lots.update(SELLER, lot.name, "", {"grade": "A"}, None)
    assert cache.answer(BUYER, lot.id, lot.name) is not None  # no probe yet: not vouched for
    _probed(m, cache)
    assert cache.answer(BUYER, lot.id, lot.name) is None
    assert cache.revision == m.uow.store.revision


def test_a_change_to_another_lot_keeps_the_lot(m: Market) -> None:
    lot, other = m.live(), m.live()
    cache = _kept(m, lot)
    m.lots.update(SELLER, other.name, "", {"grade": "A"}, None)
    _probed(m, cache)
    assert cache.answer(BUYER, lot.id, lot.name) == m.stored(lot)


def test_a_lot_read_before_a_probe_moved_the_cache_is_not_kept(m: Market) -> None:
    lot = m.live()
    cache = _probed(m, LotCache(10))
    read_at = cache.revision
    read = m.stored(lot)
    m.lots.update(SELLER, lot.name, "", {"grade": "A"}, None)
    _probed(m, cache)  # the probe dropped a lot the cache did not hold yet
    assert not cache.offer(read, read_at)
    assert cache.answer(BUYER, lot.id, lot.name) is None


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(lambda head: LotChanges(head + 1, None), id="log cannot tell"),
        pytest.param(lambda head: LotChanges(head - 1, frozenset()), id="database went back"),
    ],
)
def test_the_cache_starts_afresh_when_a_probe_cannot_vouch_for_it(m: Market, changes: Any) -> None:
    lot = m.live()
    cache = _kept(m, lot)
    cache.catch_up(cache.revision, changes(cache.revision))
    assert len(cache) == 0


def test_a_probe_of_another_state_of_the_cache_empties_it(m: Market) -> None:
    lot = m.live()
    cache = _kept(m, lot)
    assert cache.revision is not None
    cache.catch_up(cache.revision - 1, LotChanges(cache.revision, frozenset()))
    assert len(cache) == 0


def test_a_kept_lot_is_shown_only_to_callers_who_may_see_it(m: Market) -> None:
    lot = m.live(market_visibility=Visibility.PRIVATE, restricted_buyer_ids=["buyer-1"])
    cache = _kept(m, lot)
    assert cache.answer(BUYER, lot.id, lot.name) is not None
    assert cache.answer(SELLER, lot.id, lot.name) is not None
    with pytest.raises(NotFound):
        cache.answer(OTHER_SELLER, lot.id, lot.name)


def test_a_draft_is_kept_for_its_owner_and_hidden_from_a_buyer(m: Market) -> None:
    lot = m.draft()
    cache = _kept(m, lot)
    assert cache.answer(SELLER, lot.id, lot.name) is not None
    with pytest.raises(NotFound):
        cache.answer(BUYER, lot.id, lot.name)


def test_a_lot_with_a_hold_is_left_to_the_read_that_applies_its_expiry(m: Market) -> None:
    lot = m.live()
    m.reserve(lot, "10")
    cache = _kept(m, lot)
    assert cache.answer(BUYER, lot.id, lot.name) is None


def test_the_oldest_kept_lot_goes_first_beyond_capacity(m: Market) -> None:
    first, second, third = m.live(), m.live(), m.live()
    cache = _probed(m, LotCache(2))
    for lot in (first, second, third):
        cache.offer(m.stored(lot), cache.revision)
    assert cache.answer(BUYER, first.id, first.name) is None
    assert cache.answer(BUYER, third.id, third.name) is not None
    assert len(cache) == 2


def test_a_cache_of_no_lots_keeps_nothing(m: Market) -> None:
    lot = m.live()
    cache = _probed(m, LotCache(0))
    assert not cache.offer(m.stored(lot), cache.revision)


class _GatedProbe:
    """A change probe whose answers each wait for the test to let them through."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.sent_at: list[float] = []  # the loop's clock as each probe went out
        self.gates: list[asyncio.Event] = []
        self.head = 7
        self.fail = False

    async def changes_since(self, after: int, limit: int) -> LotChanges:
        gate = asyncio.Event()
        self.sent.append(after)
        self.sent_at.append(asyncio.get_running_loop().time())
        self.gates.append(gate)
        await gate.wait()
        if self.fail:
            raise ConnectionError("database gone")
        return LotChanges(self.head, frozenset())

    def close(self) -> None:
        pass

    async def probes_sent(self, count: int) -> None:
        while len(self.sent) < count:
            await asyncio.sleep(0.001)


async def _one_answered_run(probe: SharedProbe, log: _GatedProbe) -> None:
    """One call, its probe answered, and the probe's run over (no call waits)."""
    first = asyncio.create_task(probe.caught_up(arrival.draw()))
    await log.probes_sent(1)
    log.gates[0].set()
    assert await first
    await asyncio.sleep(0)


async def _the_paced_probe_takes_a_call_that_came_meanwhile(
    probe: SharedProbe, log: _GatedProbe, waiting: asyncio.Task[bool]
) -> None:
    """The second probe (spacing 0.2 s) is not sent at once; a call arriving meanwhile joins
    it with `waiting`, and no third probe is needed."""
    await asyncio.sleep(0.05)
    assert len(log.sent) == 1
    meanwhile = asyncio.create_task(probe.caught_up(arrival.draw()))
    await log.probes_sent(2)
    assert log.sent_at[1] - log.sent_at[0] >= 0.2
    log.gates[1].set()
    assert await asyncio.gather(waiting, meanwhile) == [True, True]
    assert len(log.sent) == 2


async def test_calls_waiting_together_share_one_probe() -> None:
    log = _GatedProbe()
    probe = SharedProbe(LotCache(10), log)
    calls = [asyncio.create_task(probe.caught_up(arrival.draw())) for _ in range(5)]
    await log.probes_sent(1)
    log.gates[0].set()
    assert await asyncio.gather(*calls) == [True] * 5
    assert len(log.sent) == 1


async def test_a_call_that_arrived_before_the_probe_out_was_sent_shares_it() -> None:
    log = _GatedProbe()
    probe = SharedProbe(LotCache(10), log)
    arrived = arrival.draw()  # grpc was still reading its request when the probe went out
    first = asyncio.create_task(probe.caught_up(arrival.draw()))
    await log.probes_sent(1)
    second = asyncio.create_task(probe.caught_up(arrived))
    await asyncio.sleep(0)
    log.gates[0].set()
    assert await asyncio.gather(first, second) == [True, True]
    assert len(log.sent) == 1


async def test_a_call_that_arrived_before_an_answered_probe_was_sent_does_not_wait() -> None:
    log = _GatedProbe()
    cache = LotCache(10)
    probe = SharedProbe(cache, log)
    arrived = arrival.draw()
    first = asyncio.create_task(probe.caught_up(arrival.draw()))
    await log.probes_sent(1)
    log.gates[0].set()
    assert await first
    # No suspension: the coroutine finishes on its first step, and no probe is sent.
    answer = probe.caught_up(arrived)
    with pytest.raises(StopIteration) as done:
        answer.send(None)
    assert done.value.value is True
    assert len(log.sent) == 1 and cache.revision == 7


async def test_a_call_that_arrived_after_the_answered_probe_was_sent_waits_for_another() -> None:
    log = _GatedProbe()
    probe = SharedProbe(LotCache(10), log)
    first = asyncio.create_task(probe.caught_up(arrival.draw()))
    await log.probes_sent(1)
    arrived = arrival.draw()  # after the probe went out: its caller's write may be newer
    log.gates[0].set()
    assert await first
    late = asyncio.create_task(probe.caught_up(arrived))
    await log.probes_sent(2)
    assert not late.done()
    log.gates[1].set()
    assert await late


async def test_a_call_that_begins_while_a_probe_is_out_waits_for_the_next() -> None:
    log = _GatedProbe()
    cache = LotCache(10)
    probe = SharedProbe(cache, log)
    early = asyncio.create_task(probe.caught_up(arrival.draw()))
    await log.probes_sent(1)
    late = asyncio.create_task(probe.caught_up(arrival.draw()))  # its caller's write may be newer
    log.gates[0].set()
    assert await early
    await log.probes_sent(2)
    assert not late.done() and cache.revision == 7
    log.head = 9
    log.gates[1].set()
    assert await late
    assert log.sent == [0, 7] and cache.revision == 9


async def test_a_failed_probe_sends_its_calls_to_the_database() -> None:
    log = _GatedProbe()
    log.fail = True
    cache = LotCache(10)
    probe = SharedProbe(cache, log)
    call = asyncio.create_task(probe.caught_up(arrival.draw()))
    await log.probes_sent(1)
    log.gates[0].set()
    assert await call is False
    assert cache.revision is None


async def test_under_load_a_probe_waits_out_the_spacing_and_answers_the_calls_that_came() -> None:
    log = _GatedProbe()
    probe = SharedProbe(LotCache(10), log, spacing=0.2)
    early = asyncio.create_task(probe.caught_up(arrival.draw()))
    await log.probes_sent(1)
    waiting = asyncio.create_task(probe.caught_up(arrival.draw()))  # came while one was out
    log.gates[0].set()
    assert await early
    # The next probe is paced: a call arriving meanwhile joins it instead of needing a third.
    await _the_paced_probe_takes_a_call_that_came_meanwhile(probe, log, waiting)


async def test_a_call_after_a_quiet_spell_is_not_paced() -> None:
    # A lone caller (no other call in flight) right after a probe: its run's probe goes at
    # once, whatever the spacing.
    log = _GatedProbe()
    probe = SharedProbe(LotCache(10), log, spacing=60.0, busy=lambda: False)
    await _one_answered_run(probe, log)
    later = asyncio.create_task(probe.caught_up(arrival.draw()))
    await asyncio.wait_for(log.probes_sent(2), timeout=10)  # not the 60 s spacing
    log.gates[1].set()
    assert await later


async def test_a_run_of_probes_started_under_load_is_paced_after_the_last_probe() -> None:
    # Other calls in flight as a new run of probes starts (load): its first probe waits out
    # the spacing since the last probe, and the calls arriving meanwhile join it.
    log = _GatedProbe()
    probe = SharedProbe(LotCache(10), log, spacing=0.2, busy=lambda: True)
    await _one_answered_run(probe, log)
    started = asyncio.create_task(probe.caught_up(arrival.draw()))  # starts another run
    await _the_paced_probe_takes_a_call_that_came_meanwhile(probe, log, started)
