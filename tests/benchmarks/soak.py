"""`--soak MINUTES` (issue 9): minutes of mixed load with every promise checked continuously.

The load is the crash test's (tests/reliability/load.py): create, approve, update and, when the
hold RPCs answer, reserve, release and mark sold, with a resuming watcher following every event.
Every few seconds, inside one REPEATABLE READ snapshot, the SQL invariants of
tests/reliability/invariants.py run against the live database: the quantity invariant on every
lot, reserved = what ACTIVE holds hold, contiguous revisions, each lot's revision = its newest
event. At the end: every acknowledged request is stored, and the watcher saw every event once.
Not part of `make test`; run it with `make bench` (`--soak MINUTES`).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import Engine

from availability_service.storage.database import make_engine
from tests.benchmarks import env
from tests.benchmarks.context import Context
from tests.reliability import invariants
from tests.reliability.load import MixedLoad, identities, rpc_answers
from tests.reliability.watchers import ResumingWatcher
from tests.support.callers import TEST_SECRET
from tradedesk.availability.v1 import availability_service_pb2 as api

CHECK_SECONDS = 5.0


def _check(engine: Engine) -> list[str]:
    # One snapshot, so a check never sees half of a concurrent writer's transaction.
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            return invariants.all_violations(conn)


def soak(ctx: Context, minutes: float) -> dict[str, Any]:
    deadline = time.monotonic() + minutes * 60
    engine = make_engine(ctx.db.url, 2)
    samples: list[str] = []
    checks = violations = 0
    # The load's callers sign with the test secret, so the service must accept it.
    with env.service(
        ctx.db, ctx.folder, extra_env={"AVAILABILITY_JWT_SECRET": TEST_SECRET.decode()}
    ) as server:
        who = identities(f"soak{uuid.uuid4().hex[:6]}")
        holds = rpc_answers(
            server.address,
            who["SERVICE"],
            "ReserveAvailability",
            api.ReserveAvailabilityRequest(
                name=f"availabilities/{uuid.uuid4()}", quantity="1", buyer_id="b"
            ),
        )
        watch = rpc_answers(
            server.address, who["SERVICE"], "WatchAvailabilities", api.WatchAvailabilitiesRequest()
        )
        with engine.connect() as conn:
            start = invariants.current_revision(conn)
        watcher = ResumingWatcher(server.address, who["SERVICE"], start).start() if watch else None
        load = MixedLoad(server.address, who, holds=holds, workers=8)
        rss_start = server.rss_bytes()
        load.start()
        try:
            while time.monotonic() < deadline:
                time.sleep(min(CHECK_SECONDS, max(0.0, deadline - time.monotonic())))
                found = _check(engine)
                checks += 1
                violations += len(found)
                samples += found[: max(0, 5 - len(samples))]
        finally:
            load.stop()
        rss_end = server.rss_bytes()
        final = _check(engine)
        with engine.connect() as conn:
            everything = invariants.event_revisions(conn, start)
            applied = invariants.applied_requests(conn, [w.subject for w in who.values()])
        missing = duplicates = 0
        if watcher is not None:
            watcher.wait_until(everything[-1] if everything else start)
            missing, duplicates = len(watcher.missing(everything)), watcher.duplicates()
            watcher.stop()
    engine.dispose()
    acked = [s for s in load.state.sent if s.outcome == "acked"]
    unstored = sum(
        1 for s in acked if applied.get((who[s.role].subject, s.request_id)) != s.revision
    )
    return {
        "minutes": minutes,
        "mix": "create, approve, update"
        + (", reserve, release, mark sold" if holds else "")
        + (", watch" if watch else ""),
        "requests": len(load.state.sent),
        "acknowledged": len(acked),
        "rejected": load.count("rejected"),
        "internal_or_unknown": len(load.state.forbidden),
        "invariant_checks": checks + 1,
        "invariant_violations": violations + len(final),
        "violation_samples": samples + final[:5],
        "acknowledged_not_stored": unstored,
        "events": len(everything),
        "events_missed_by_watcher": missing,
        "events_seen_twice": duplicates,
        "rss_mb_start": rss_start // 2**20,
        "rss_mb_end": rss_end // 2**20,
    }
