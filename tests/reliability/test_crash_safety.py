"""SIGKILL the server under mixed load, restart it on the same port, and prove nothing was lost.

Promises checked against the database after the last restart:
- every acknowledged request is there, with the revision the client was told;
- no rejected request left an effect, and every applied request has exactly one event;
- retrying a request whose answer was lost (same request_id, twice) applies it at most once;
- the quantity invariant and contiguous revisions hold on every lot;
- watchers that resume from their last revision together see every event exactly once.
"""

from __future__ import annotations

import random
import time
import uuid
from pathlib import Path

import grpc
import pytest
from sqlalchemy import Engine, text

from tests.reliability import invariants
from tests.reliability.conftest import Figures
from tests.reliability.load import FORBIDDEN, MixedLoad, Sent, identities, rpc_answers
from tests.reliability.watchers import ResumingWatcher
from tests.support.lots import cotton_lot
from tests.support.processes import ServerProcess, free_port
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

KILLS = 3
SOME_LOT = f"availabilities/{uuid.UUID(int=1)}"


def _mix(load: MixedLoad, address: str) -> tuple[bool, bool, str]:
    who = load.who
    holds = rpc_answers(
        address,
        who["SERVICE"],
        "ReserveAvailability",
        api.ReserveAvailabilityRequest(name=SOME_LOT, quantity="1", buyer_id="b"),
    )
    watch = rpc_answers(
        address, who["SERVICE"], "WatchAvailabilities", api.WatchAvailabilitiesRequest()
    )
    note = "mix: create, approve, update" + (
        ", reserve, release, mark sold" if holds else " (holds UNIMPLEMENTED: left out)"
    )
    note += ", watch" if watch else " (watch UNIMPLEMENTED: left out)"
    return holds, watch, note


def _check_acknowledged(
    load: MixedLoad,
    applied: dict[tuple[str, str], int],
    events: dict[int, str],
    replays: list[tuple[Sent, Sent, Sent]],
) -> None:
    final = {(o.role, o.request_id): first for o, first, _ in replays}
    for sent in load.state.sent:
        subject = load.who[sent.role].subject
        outcome = final.get((sent.role, sent.request_id), sent)
        key = (subject, sent.request_id)
        if outcome.outcome == "acked":
            assert applied.get(key) == outcome.revision, f"acknowledged {sent.method} lost"
            lot_id = outcome.lot.removeprefix("availabilities/")
            assert events.get(outcome.revision) == lot_id, f"{sent.method} has no event"
        elif outcome.outcome == "rejected":
            assert key not in applied, f"rejected {sent.method} ({outcome.code}) left an effect"


def _explain(engine: Engine, applied: dict[tuple[str, str], int], ours: dict[int, str]) -> str:
    odd = sorted(set(applied.values()) ^ set(ours))[:5]
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT k.method, k.request_id, e.revision, e.actor, e.event_type "
                "FROM idempotency_keys k "
                "LEFT JOIN events e "
                "ON e.revision = (k.response->'availability'->>'revision')::bigint "
                "WHERE (k.response->'availability'->>'revision')::bigint = ANY(:r)"
            ),
            {"r": odd},
        ).all()
    return f"requests and events differ at {odd}: {rows}"


@pytest.mark.timeout(300)  # three restarts of a real process on a shared, busy machine
def test_acknowledged_requests_survive_repeated_sigkill_and_retries_apply_once(
    database_url: str, tmp_path: Path, engine: Engine, figures: Figures
) -> None:
    seed = int(time.time())
    rng = random.Random(seed)
    proc = ServerProcess(database_url, tmp_path, port=free_port()).start()
    watchers: list[ResumingWatcher] = []
    load = MixedLoad(proc.address, identities(uuid.uuid4().hex[:8]), holds=False, seed=seed)
    try:
        load.holds, watch, mix = _mix(load, proc.address)
        with grpc.insecure_channel(proc.address) as channel:  # a first lot: revision > 0
            load.send(
                api_grpc.AvailabilityServiceStub(channel),
                Sent(
                    "CreateAvailability",
                    "TRADER",
                    api.CreateAvailabilityRequest(availability=cotton_lot(), request_id="first"),
                    "first",
                ),
            )
        with engine.connect() as conn:
            start = invariants.current_revision(conn)
        if watch:
            watchers = [
                ResumingWatcher(proc.address, load.who["SERVICE"], start).start() for _ in range(2)
            ]
        load.start()
        restarts = []
        for _ in range(KILLS):
            time.sleep(rng.uniform(1.0, 3.0))
            proc.kill()
            time.sleep(rng.uniform(0.0, 0.5))
            began = time.monotonic()
            proc.start()
            restarts.append(time.monotonic() - began)
        time.sleep(1.5)
        load.stop()
        began = time.monotonic()
        replays = load.replay_lost()
        replay_seconds = time.monotonic() - began

        assert not load.state.forbidden, load.state.forbidden
        for original, first, second in replays:
            assert first.code not in {c.name for c in FORBIDDEN}, (original.method, first.code)
            assert (second.outcome, second.revision) == (first.outcome, first.revision), (
                f"retry of {original.method} applied twice"
            )

        subjects = [w.subject for w in load.who.values()]
        with engine.connect() as conn:
            applied = invariants.applied_requests(conn, subjects)
            ours = invariants.events_by_actor(conn, subjects, after=0)
            # Only our lots: other tests in this session may hand-craft or compact theirs.
            violations = invariants.all_violations(conn, set(ours.values()), after=start)
            everything = invariants.event_revisions(conn, start)
        _check_acknowledged(load, applied, ours, replays)
        # Every applied request has its event and no event lacks a request behind it. (Releasing
        # an already released hold succeeds without a new event, so a revision may be shared.)
        assert set(applied.values()) == set(ours), _explain(engine, applied, ours)
        assert len(ours) <= len(applied)
        assert violations == []

        for watcher in watchers:
            assert watcher.wait_until(everything[-1] if everything else start)
            assert watcher.errors == []
            assert watcher.duplicates() == 0
            assert watcher.missing(everything) == []

        figures.record(
            "crash_safety",
            seed=seed,
            kills=KILLS,
            requests=len(load.state.sent) + 2 * len(replays),
            acknowledged=load.count("acked"),
            rejected=load.count("rejected"),
            lost_answers_retried=len(replays),
            events_checked=len(everything),
            watchers=len(watchers),
            watch_reconnects=sum(w.reconnects for w in watchers),
            invariant_violations=len(violations),
            events_lost=0,
            mix=mix.replace(" ", "_"),
            restart_seconds=[round(r, 1) for r in restarts],
            replay_seconds=round(replay_seconds, 1),
        )
    finally:
        load.stop()
        for watcher in watchers:
            watcher.stop()
        proc.stop()
