"""Random and hostile requests for every RPC: never INTERNAL or UNKNOWN, never a write on rejection.

The RPC list comes from the service descriptor, so an RPC added later is fuzzed automatically.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from tests.reliability.conftest import Figures
from tests.reliability.hostile import hostile_message
from tests.support.callers import make_token
from tests.support.lots import cotton_lot
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

SERVICE = api.DESCRIPTOR.services_by_name["AvailabilityService"]
METHODS = [m.name for m in SERVICE.methods]
EXAMPLES_PER_RPC = 20
FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
# Everything a write leaves behind; the hold sweeper's EXPIRED events are not ours.
WRITES = """
SELECT (SELECT count(*) FROM availabilities), (SELECT count(*) FROM reservations),
       (SELECT count(*) FROM idempotency_keys),
       (SELECT count(*) FROM events WHERE event_type <> 'EXPIRED')
"""
TRIED: dict[str, int] = {}


@pytest.fixture(scope="module")
def everyone(channel: grpc.Channel) -> Iterator[tuple[api_grpc.AvailabilityServiceStub, list]]:
    """A caller holding every role, so requests reach validation instead of stopping at auth."""
    token = make_token(
        f"fuzz-{uuid.uuid4().hex[:6]}",
        ["ADMIN", "SERVICE", "TRADER", "SELLER", "BUYER"],
        company="co-fuzz",
        region="IN-GJ",
    )
    yield api_grpc.AvailabilityServiceStub(channel), [("authorization", f"Bearer {token}")]


def _call(stub: Any, metadata: list, method: str, request: Any) -> grpc.StatusCode:
    streaming = SERVICE.methods_by_name[method].server_streaming
    try:
        reply = getattr(stub, method)(request, metadata=metadata, timeout=1.5 if streaming else 15)
        if streaming:
            next(reply, None)
            reply.cancel()
        return grpc.StatusCode.OK
    except grpc.RpcError as err:
        return err.code()


@pytest.mark.parametrize("method", METHODS)
def test_hostile_requests_never_crash_an_rpc_or_write_when_rejected(
    method: str, everyone: tuple[Any, list], engine: Engine, figures: Figures
) -> None:
    stub, metadata = everyone
    # From the descriptor: a request message may live in another file of the package.
    cls = message_factory.GetMessageClass(SERVICE.methods_by_name[method].input_type)

    @settings(
        max_examples=EXAMPLES_PER_RPC,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def one_request(data: st.DataObject) -> None:
        request = hostile_message(cls, data)
        with engine.connect() as conn:
            before = tuple(conn.execute(text(WRITES)).one())
        code = _call(stub, metadata, method, request)
        TRIED[method] = TRIED.get(method, 0) + 1
        assert code not in FORBIDDEN, f"{method} answered {code.name} to {request!r:.2000}"
        if code not in (grpc.StatusCode.OK, grpc.StatusCode.DEADLINE_EXCEEDED):
            with engine.connect() as conn:
                after = tuple(conn.execute(text(WRITES)).one())
            assert after == before, f"rejected {method} ({code.name}) wrote {before} -> {after}"

    one_request()
    figures.record(
        "hostile_input",
        rpcs=len(TRIED),
        bad_inputs_tried=sum(TRIED.values()),
        internal_or_unknown=0,
        writes_on_rejection=0,
    )


def test_a_request_over_the_message_size_limit_is_resource_exhausted_and_the_server_lives_on(
    everyone: tuple[Any, list], app: Any
) -> None:
    stub, metadata = everyone
    limit = app.settings.max_message_bytes
    huge = api.CreateAvailabilityRequest(
        availability=cotton_lot(description="x" * (limit + 1024)), request_id=uuid.uuid4().hex
    )
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateAvailability(huge, metadata=metadata, timeout=30)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    ok = stub.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=uuid.uuid4().hex),
        metadata=metadata,
        timeout=30,
    )
    assert ok.availability.name.startswith("availabilities/")
