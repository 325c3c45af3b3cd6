"""The CPU clock of GetAvailability's use case in-process: thread CPU time per
`LotService.get` call (an ACTIVE public lot read by a buyer), on an embedded PostgreSQL.

    python -m tests.benchmarks.get_clock [CALLS] [WARM_UP]

CPU time moves far less with the machine's load than throughput does, so this places a
change of the read path even on a busy shared machine (docs/performance.md, issue 13). It
prints three rounds of CALLS/3 and their best. The service's own signature is used whatever
its version (a float timeout before issue 13, a Deadline after), so the same file runs on
older commits to compare.
"""

from __future__ import annotations

import inspect
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from availability_service.app import build_application
from availability_service.auth.principal import Principal, Role
from availability_service.config import Settings
from availability_service.grpc_api.lot_input import draft_from_proto
from availability_service.logs import configure_logging
from availability_service.storage.embedded import start_embedded_postgres
from tests.support.lots import cotton_lot

SELLER = Principal("seller-clock", "co-clock", frozenset({Role.TRADER}), "IN-GJ")
ADMIN = Principal("admin-clock", None, frozenset({Role.ADMIN}), None)
BUYER = Principal("buyer-clock", "co-buyer", frozenset({Role.BUYER}), "IN-GJ")


def main(calls: int = 3000, warm_up: int = 300) -> None:
    configure_logging("warning", json=False)
    url = start_embedded_postgres(Path(tempfile.mkdtemp(prefix="get-clock-")), delete_on_exit=True)
    settings = Settings(
        database_url=url,
        data_dir=Path(tempfile.mkdtemp(prefix="get-clock-data-")),
        jwt_secret="get-clock-secret-0123456789-0123456789",
        address="127.0.0.1:0",
    )
    app = build_application(settings)
    try:
        lots = app.services.lots
        created = lots.create(SELLER, draft_from_proto(cotton_lot()), None).availability
        assert created is not None
        lots.approve(ADMIN, created.name, "", None)
        one = _one_get(lots, created.name)
        for _ in range(warm_up):
            one()
        per_round = calls // 3
        rounds = []
        for _ in range(3):
            started = time.thread_time()
            for _ in range(per_round):
                one()
            rounds.append((time.thread_time() - started) / per_round * 1000)
        figures = " ".join(f"{r:.3f}" for r in rounds)
        print(f"LotService.get ms CPU per call: {figures} best {min(rounds):.3f}")
    finally:
        app.close()


def _one_get(lots: Any, name: str) -> Callable[[], object]:
    if "deadline" in inspect.signature(lots.get).parameters:
        from availability_service.domain.deadline import Deadline

        return lambda: lots.get(BUYER, name, Deadline.within(30.0))
    return lambda: lots.get(BUYER, name, 30.0)  # before issue 13: a timeout in seconds


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
