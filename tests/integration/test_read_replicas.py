"""Reads on a real hot standby (embedded primary + pg_basebackup standby), read-your-writes.

Which database answered is shown by the standby's own statistics and by the router's
per-database counter, never by timing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY
from sqlalchemy import text

from availability_service.read_databases import HEALTH_PREFIX
from tests.support.callers import Caller
from tests.support.lots import RAJKOT, error_details
from tests.support.replication import Replicated, paused, replicated  # noqa: F401  # fixtures
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import history_pb2
from tradedesk.availability.v1 import resources_pb2 as pb


def routed(database: str, reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "availability_reads_routed_total", {"database": database, "reason": reason}
    )
    return value or 0.0


def at_revision(revision: int) -> list[tuple[str, str]]:
    return [("x-min-revision", str(revision))]


def live_lot(rep: Replicated, seller: Caller, admin: Caller) -> pb.Availability:
    lot = rep.draft(seller)
    return admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name)).availability


def near_rajkot(page_size: int) -> api.SearchAvailabilitiesRequest:
    return api.SearchAvailabilitiesRequest(
        commodity="cotton", page_size=page_size, near=RAJKOT, radius_km=50
    )


def get(caller: Caller, name: str, metadata: list[tuple[str, str]] | None = None) -> Any:
    return caller.stub.GetAvailability(
        api.GetAvailabilityRequest(name=name),
        metadata=caller.metadata + (metadata or []),
        timeout=30,
    )


def listed(caller: Caller, metadata: list[tuple[str, str]] | None = None) -> list[str]:
    page = caller.stub.ListAvailabilities(
        api.ListAvailabilitiesRequest(seller_id=caller.subject, page_size=100),
        metadata=caller.metadata + (metadata or []),
        timeout=30,
    )
    return [lot.name for lot in page.availabilities]


def test_every_read_rpc_is_answered_by_the_standby_when_it_has_the_callers_write(
    replicated: Replicated,  # noqa: F811  # the fixture
) -> None:
    rep = replicated
    seller, admin = rep.caller("SELLER"), rep.caller("ADMIN")
    buyer, service = rep.caller("BUYER", region="IN-GJ"), rep.caller("SERVICE")
    lot = live_lot(rep, seller, admin)
    hold = service.ReserveAvailability(
        api.ReserveAvailabilityRequest(name=lot.name, quantity="5", buyer_id="b-1")
    )
    written = hold.availability.revision
    rep.wait_for_fresh_standby(written)
    scans_before = rep.standby_scans()
    meta = at_revision(written)
    reads: dict[str, Callable[[], Any]] = {
        "Get": lambda: get(buyer, lot.name, meta),
        "List": lambda: listed(seller, meta),
        "Search": lambda: buyer.stub.SearchAvailabilities(
            near_rajkot(page_size=10),
            metadata=buyer.metadata + meta,
        ),
        "ListSimilar": lambda: buyer.stub.ListSimilarAvailabilities(
            api.ListSimilarAvailabilitiesRequest(name=lot.name), metadata=buyer.metadata + meta
        ),
        "Readiness": lambda: buyer.stub.GetNegotiationReadiness(
            api.GetNegotiationReadinessRequest(name=lot.name), metadata=buyer.metadata + meta
        ),
        "GetReservation": lambda: service.stub.GetReservation(
            api.GetReservationRequest(name=hold.reservation.name),
            metadata=service.metadata + meta,
        ),
        "ListLocations": lambda: rep.registrar.stub.ListLocations(
            api.ListLocationsRequest(), metadata=rep.registrar.metadata + meta
        ),
        "ListReservations": lambda: service.stub.ListReservations(
            api.ListReservationsRequest(parent=lot.name), metadata=service.metadata + meta
        ),
        "ListAvailabilityEvents": lambda: seller.stub.ListAvailabilityEvents(
            history_pb2.ListAvailabilityEventsRequest(parent=lot.name),
            metadata=seller.metadata + meta,
        ),
    }
    for rpc, read in reads.items():
        before = routed(rep.standby_name, "fresh") + routed(rep.standby_name, "waited")
        read()
        after = routed(rep.standby_name, "fresh") + routed(rep.standby_name, "waited")
        assert after == before + 1, f"{rpc} was not answered by the standby"
    # The answers are the write's: the standby had replayed it.
    assert get(buyer, lot.name, meta).availability.reserved_quantity == "5"
    assert lot.name in listed(seller, meta)
    search = buyer.stub.SearchAvailabilities(
        near_rajkot(page_size=500),
        metadata=buyer.metadata + meta,
    )
    assert lot.name in [r.availability.name for r in search.results]
    assert search.revision >= written
    holds = reads["ListReservations"]().reservations
    assert [h.name for h in holds] == [hold.reservation.name]
    history = reads["ListAvailabilityEvents"]().events
    assert history and history[-1].revision == written
    # And the standby's own statistics show the reads ran there.
    rep.wait_until(lambda: rep.standby_scans() > scans_before, "the standby counts the scans")


def test_a_read_naming_a_revision_the_paused_standby_lacks_still_sees_the_write(
    paused: Replicated,  # noqa: F811  # the fixture
) -> None:
    seller = paused.caller("SELLER")
    lot = paused.draft(seller)
    fallbacks = routed("primary", "revision_not_replayed")
    assert get(seller, lot.name, at_revision(lot.revision)).availability.name == lot.name
    assert lot.name in listed(seller, at_revision(lot.revision))
    assert routed("primary", "revision_not_replayed") == fallbacks + 2


def test_reads_without_a_revision_may_miss_a_write_younger_than_the_lag_bound_never_older(
    paused: Replicated,  # noqa: F811  # the fixture
) -> None:
    seller = paused.caller("SELLER")
    lot = paused.draft(seller)
    # Within the bound (120 s here), the paused standby answers and does not have the lot yet.
    with pytest.raises(grpc.RpcError) as missing:
        get(seller, lot.name)
    assert missing.value.code() is grpc.StatusCode.NOT_FOUND
    assert lot.name not in listed(seller)
    # Once the lot is older than the bound, the standby is skipped: the primary answers.
    router = paused.app.reads
    assert router is not None
    bound = router.max_lag_seconds
    router.max_lag_seconds = 0.5
    try:
        paused.wait_until(
            lambda: lot.name in listed(seller), "a standby further behind than the bound is skipped"
        )
        assert get(seller, lot.name).availability.name == lot.name
    finally:
        router.max_lag_seconds = bound


def test_a_read_naming_a_revision_waits_for_the_standby_to_replay_it_within_the_bound(
    paused: Replicated,  # noqa: F811  # the fixture
) -> None:
    seller = paused.caller("SELLER")
    lot = paused.draft(seller)
    router = paused.app.reads
    assert router is not None
    bound, router.wait_seconds = router.wait_seconds, 60.0
    waited = routed(paused.standby_name, "waited")
    try:
        resumer = threading.Timer(0.3, paused.resume_replay)
        resumer.start()
        assert get(seller, lot.name, at_revision(lot.revision)).availability.name == lot.name
        resumer.join()
    finally:
        router.wait_seconds = bound
    assert routed(paused.standby_name, "waited") == waited + 1


def test_a_malformed_min_revision_header_is_invalid_argument_naming_the_header(
    replicated: Replicated,  # noqa: F811  # the fixture
) -> None:
    seller = replicated.caller("SELLER")
    for bad in ["-1", "abc", "1.5", str(2**63)]:
        with pytest.raises(grpc.RpcError) as error:
            listed(seller, [("x-min-revision", bad)])
        assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert error_details(error.value)["fields"] == ["x-min-revision"]


def test_a_probe_leaves_no_statement_timeout_on_the_connection_a_read_borrows_next(
    replicated: Replicated,  # noqa: F811  # the fixture
) -> None:
    router = replicated.app.reads
    assert router is not None
    standby = router.standbys[0].engine
    standby.dispose()
    router.refresh()  # the pool now holds only connections a probe used
    with standby.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"


def health_of(rep: Replicated) -> int:
    stub = health_pb2_grpc.HealthStub(rep.channel)
    request = health_pb2.HealthCheckRequest(service=HEALTH_PREFIX + rep.standby_name)
    return int(stub.Check(request, timeout=10).status)


def lag_metric(rep: Replicated) -> float | None:
    return REGISTRY.get_sample_value(
        "availability_read_database_lag_seconds", {"database": rep.standby_name}
    )


def test_a_stopped_standby_fails_no_read_and_health_and_metrics_show_it(
    replicated: Replicated,  # noqa: F811  # the fixture
) -> None:
    rep = replicated
    seller = rep.caller("SELLER")
    lot = rep.draft(seller)
    rep.wait_for_fresh_standby(lot.revision)
    rep.wait_until(lambda: health_of(rep) == health_pb2.HealthCheckResponse.SERVING, "SERVING")
    assert lag_metric(rep) == 0.0
    get(seller, lot.name)  # the pool now holds a connection to the standby
    rep.standby.stop()
    try:
        # The router still believes the standby is up: the first reads hit the dead standby
        # and must be answered by the primary all the same, with and without a revision.
        for _ in range(3):
            assert get(seller, lot.name).availability.name == lot.name
            assert lot.name in listed(seller, at_revision(lot.revision))
            time.sleep(0.1)
        rep.wait_until(
            lambda: health_of(rep) == health_pb2.HealthCheckResponse.NOT_SERVING,
            "health shows the standby NOT_SERVING",
        )
        assert lag_metric(rep) == float("inf")
        assert get(seller, lot.name).availability.name == lot.name
    finally:
        rep.standby.start()
    rep.wait_until(lambda: health_of(rep) == health_pb2.HealthCheckResponse.SERVING, "back")
