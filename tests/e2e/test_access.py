"""Who may call what: the role x RPC matrix, bad tokens, open health/reflection, rate limits,
and the token's subject as the actor of every event. All through a real server."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2, message_factory
from google.protobuf.descriptor import MethodDescriptor
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from sqlalchemy import Engine, select

from availability_service.app import Application
from availability_service.auth.policy import POLICY
from availability_service.auth.ratelimit import RateLimitConfig, RateLimiter
from availability_service.auth.tokens import mint_token
from availability_service.storage.tables import events
from tests.support.callers import TEST_SECRET, Caller, make_token
from tests.support.lots import cotton_lot, error_details
from tests.support.server import ServerThread
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

SERVICE = api.DESCRIPTOR.services_by_name["AvailabilityService"]
ROLES = ["SELLER", "TRADER", "BUYER", "ADMIN", "SERVICE"]
NO_TOKEN = "no token"
NO_ROLES = "no roles"
# What an allowed role may get for an empty request: anything but an access error or a bug.
# A stream that waits for events runs into the short test deadline instead.
ANSWERS_TO_EMPTY_REQUESTS = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.OUT_OF_RANGE,
}
STREAM_WAIT_SECONDS = 1.0


def call_raw(
    channel: grpc.Channel, method: MethodDescriptor, metadata: list[tuple[str, str]]
) -> grpc.StatusCode:
    """Call any RPC of the service with an empty request; return the status code."""
    request = message_factory.GetMessageClass(method.input_type)()
    response_class = message_factory.GetMessageClass(method.output_type)
    path = f"/{SERVICE.full_name}/{method.name}"
    codec: dict[str, Any] = {
        "request_serializer": type(request).SerializeToString,
        "response_deserializer": response_class.FromString,
    }
    sent: Any = iter([request]) if method.client_streaming else request
    try:
        if method.server_streaming:
            kind = channel.stream_stream if method.client_streaming else channel.unary_stream
            responses = kind(path, **codec)(sent, metadata=metadata, timeout=STREAM_WAIT_SECONDS)
            try:
                next(responses)
            except StopIteration:
                pass
            finally:
                responses.cancel()
        else:
            kind = channel.stream_unary if method.client_streaming else channel.unary_unary
            kind(path, **codec)(sent, metadata=metadata, timeout=30)
    except grpc.RpcError as error:
        code: grpc.StatusCode = error.code()
        return code
    return grpc.StatusCode.OK


def metadata_for(role: str) -> list[tuple[str, str]]:
    if role == NO_TOKEN:
        return []
    roles = [] if role == NO_ROLES else [role]
    token = make_token(f"matrix-{role.replace(' ', '-').lower()}", roles, "co-matrix", "IN-GJ")
    return [("authorization", f"Bearer {token}")]


@pytest.mark.parametrize("role", [*ROLES, NO_ROLES, NO_TOKEN])
@pytest.mark.parametrize("method", list(SERVICE.methods), ids=lambda m: m.name)
def test_every_rpc_admits_exactly_the_roles_of_the_policy_table(
    channel: grpc.Channel, method: MethodDescriptor, role: str
) -> None:
    code = call_raw(channel, method, metadata_for(role))
    if role == NO_TOKEN:
        assert code == grpc.StatusCode.UNAUTHENTICATED
    elif role == NO_ROLES or role not in {r.value for r in POLICY[method.name]}:
        # Refused before the request is even looked at (an empty one would be invalid).
        assert code == grpc.StatusCode.PERMISSION_DENIED
    else:
        allowed = set(ANSWERS_TO_EMPTY_REQUESTS)
        if method.server_streaming:
            allowed.add(grpc.StatusCode.DEADLINE_EXCEEDED)
        assert code in allowed


def test_every_rpc_of_the_service_is_in_the_policy_table() -> None:
    assert {m.name for m in SERVICE.methods} == set(POLICY)


def test_the_policy_table_says_what_the_issue_asks() -> None:
    """Anchors written out by hand, so a wrong edit of POLICY cannot pass the matrix above."""

    def roles(method: str) -> set[str]:
        return {r.value for r in POLICY[method]}

    assert roles("CreateAvailability") == {"SELLER", "TRADER"}
    assert roles("ApproveAvailability") == roles("RejectAvailability") == {"ADMIN"}
    for hold in ("ReserveAvailability", "ExtendReservation", "ReleaseReservation", "MarkSold"):
        assert roles(hold) == {"SERVICE", "ADMIN"}
    for read in (
        "GetAvailability",
        "ListAvailabilities",
        "SearchAvailabilities",
        "WatchAvailabilities",
        "WatchSearch",
        "ListAvailabilityEvents",  # history shows only what the caller's watch would
        "ListCommodities",
    ):
        assert {"BUYER", "SELLER", "TRADER", "SERVICE"} <= roles(read)
    assert roles("UpsertLocation") == {"ADMIN"}


def test_health_and_reflection_answer_without_a_token(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    responses = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
    )
    names = [s.name for r in responses for s in r.list_services_response.service]
    assert SERVICE.full_name in names


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _unsigned(roles: list[str]) -> str:
    now = int(time.time())
    claims = {
        "iss": "tradedesk-dev",
        "aud": "availability-service",
        "sub": "mallory",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "roles": roles,
    }
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def _tampered() -> str:
    """A valid BUYER token whose payload was swapped for an ADMIN one, signature kept."""
    header, _payload, signature = mint_token(TEST_SECRET, "mallory", ["BUYER"]).split(".")
    now = int(time.time())
    forged = {
        "iss": "tradedesk-dev",
        "aud": "availability-service",
        "sub": "mallory",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "roles": ["ADMIN"],
    }
    return f"{header}.{_b64(forged)}.{signature}"


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "expired": lambda: mint_token(TEST_SECRET, "mallory", ["ADMIN"], ttl_seconds=-3600),
    "wrong audience": lambda: mint_token(
        TEST_SECRET, "mallory", ["ADMIN"], audience="trade-finalisation"
    ),
    "wrong issuer": lambda: mint_token(TEST_SECRET, "mallory", ["ADMIN"], issuer="evil-idp"),
    "wrong signature": lambda: mint_token(
        b"another-secret-of-sufficient-length-0123456789", "mallory", ["ADMIN"]
    ),
    "alg none": lambda: _unsigned(["ADMIN"]),
    "tampered payload": _tampered,
    "not a jwt": lambda: "garbage",
    "unknown role": lambda: mint_token(TEST_SECRET, "mallory", ["SUPERUSER"]),
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_bad_tokens_are_unauthenticated(channel: grpc.Channel, kind: str) -> None:
    stub = Caller(channel, BAD_TOKENS[kind](), "mallory")
    with pytest.raises(grpc.RpcError) as err:
        stub.ListAvailabilities(api.ListAvailabilitiesRequest())
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_details(err.value)["reason"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "token abc"])
def test_a_malformed_authorization_header_is_unauthenticated(
    channel: grpc.Channel, header: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        api_stub(channel).ListAvailabilities(
            api.ListAvailabilitiesRequest(), metadata=[("authorization", header)], timeout=10
        )
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def api_stub(channel: grpc.Channel) -> Any:
    from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

    return api_grpc.AvailabilityServiceStub(channel)


def test_the_actor_of_every_event_is_the_token_subject(
    seller: Caller, admin: Caller, engine: Engine
) -> None:
    lot = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability
    seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(name=lot.name, description="pressed bales"),
            update_mask=field_mask_pb2.FieldMask(paths=["description"]),
        )
    )
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name))
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.event_type, events.c.actor)
            .where(events.c.availability_id == uuid.UUID(lot.name.split("/")[1]))
            .order_by(events.c.revision)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("CREATED", seller.subject),
        ("UPDATED", seller.subject),
        ("APPROVED", admin.subject),
    ]


@pytest.fixture
def limited_server(app: Application) -> Iterator[ServerThread]:
    """A second server on the same database whose read bucket holds two calls, refilling at
    two per second; everything else is shared with the main test server."""
    tiny = RateLimiter(RateLimitConfig(read_per_second=2.0, read_burst=2.0))
    limited = dataclasses.replace(app, rate_limiter=tiny)
    thread = ServerThread(limited).start()
    yield thread
    thread.stop()


def test_the_rate_limit_is_reached_with_retry_info_and_recovers(
    limited_server: ServerThread,
) -> None:
    with grpc.insecure_channel(limited_server.address) as channel:
        greedy = Caller(channel, make_token("greedy-buyer", ["BUYER"]), "greedy-buyer")
        patient = Caller(channel, make_token("patient-buyer", ["BUYER"]), "patient-buyer")
        request = api.ListAvailabilitiesRequest(seller_id="nobody", page_size=1)
        refused: grpc.RpcError | None = None
        for _ in range(50):  # two fit the burst; a refill needs half a second
            try:
                greedy.ListAvailabilities(request)
            except grpc.RpcError as error:
                refused = error
                break
        assert refused is not None, "the limit was never reached"
        assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        details = error_details(refused)
        assert details["reason"] == "RATE_LIMITED"
        assert details["metadata"] == {"method_group": "read"}
        assert 0 < details["retry_delay"] <= 0.5
        # Buckets are per caller: someone else is not slowed down by the greedy one.
        patient.ListAvailabilities(request)
        time.sleep(details["retry_delay"] + 0.05)
        greedy.ListAvailabilities(request)
