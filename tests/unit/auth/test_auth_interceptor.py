"""The auth interceptor on a real grpc.aio server with a tiny generic handler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from availability_service.auth.concurrency import ConcurrencyLimiter
from availability_service.auth.interceptor import AuthInterceptor
from availability_service.auth.principal import Principal, Role, get_principal
from availability_service.auth.ratelimit import RateLimitConfig, RateLimiter
from availability_service.auth.tokens import AuthConfig, TokenVerifier, mint_token
from availability_service.grpc_api.status import ERROR_DOMAIN

SECRET = b"k" * 32
SERVICE = "tradedesk.availability.v1.AvailabilityService"


def identity(data: bytes) -> bytes:
    return data


@dataclass
class Harness:
    channel: grpc.aio.Channel
    gate: ConcurrencyLimiter
    seen: list[Principal] = field(default_factory=list)
    release_watch: asyncio.Event = field(default_factory=asyncio.Event)

    def method(self, name: str, *, stream: bool = False) -> grpc.aio.MultiCallable:
        factory = self.channel.unary_stream if stream else self.channel.unary_unary
        return factory(
            f"/{SERVICE}/{name}", request_serializer=identity, response_deserializer=identity
        )


def bearer(*roles: Role, sub: str = "buyer-1") -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {mint_token(SECRET, sub, roles, region='EU')}"),)


def build_handler(harness: Harness) -> grpc.GenericRpcHandler:
    async def get(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        principal = get_principal()
        harness.seen.append(principal)
        return principal.subject.encode()

    async def create(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return b"created"

    async def slow_search(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await harness.release_watch.wait()
        return b"searched"

    async def watch(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        yield get_principal().subject.encode()
        await harness.release_watch.wait()
        yield b"done"

    async def watch_by_write(request: bytes, context: grpc.aio.ServicerContext) -> None:
        # The other streaming style: a coroutine that writes instead of yielding.
        await context.write(get_principal().subject.encode())

    codec = {"request_deserializer": identity, "response_serializer": identity}
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "GetAvailability": grpc.unary_unary_rpc_method_handler(get, **codec),
            "CreateAvailability": grpc.unary_unary_rpc_method_handler(create, **codec),
            "SearchAvailabilities": grpc.unary_unary_rpc_method_handler(slow_search, **codec),
            "WatchAvailabilities": grpc.unary_stream_rpc_method_handler(watch, **codec),
            "WatchSearch": grpc.unary_stream_rpc_method_handler(watch, **codec),
            "ListSimilarAvailabilities": grpc.unary_stream_rpc_method_handler(
                watch_by_write, **codec
            ),
        },
    )


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    gate = ConcurrencyLimiter(max_concurrent=2)
    interceptor = AuthInterceptor(
        TokenVerifier(AuthConfig(hs256_secret=SECRET)),
        RateLimiter(RateLimitConfig(read_per_second=0.001, read_burst=3)),
        gate,
    )
    server = grpc.aio.server(interceptors=[interceptor])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    test_harness = Harness(channel, gate)
    server.add_generic_rpc_handlers((build_handler(test_harness),))
    try:
        yield test_harness
    finally:
        test_harness.release_watch.set()
        await channel.close()
        await server.stop(grace=None)


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError("no ErrorInfo detail")


async def test_a_call_without_a_token_is_unauthenticated(harness: Harness) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.method("GetAvailability")(b"")
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "missing bearer token" in (caught.value.details() or "")
    assert error_info(caught.value).domain == ERROR_DOMAIN


@pytest.mark.parametrize("value", ["Basic abc", "Bearer ", "Bearer not-a-jwt"])
async def test_a_malformed_or_invalid_token_is_unauthenticated(
    harness: Harness, value: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.method("GetAvailability")(b"", metadata=(("authorization", value),))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_buyer_may_read_and_the_handler_sees_the_principal(harness: Harness) -> None:
    reply = await harness.method("GetAvailability")(b"", metadata=bearer(Role.BUYER))
    assert reply == b"buyer-1"
    assert harness.seen == [Principal("buyer-1", None, frozenset({Role.BUYER}), "EU")]


async def test_a_buyer_may_not_create_a_lot(harness: Harness) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.method("CreateAvailability")(b"", metadata=bearer(Role.BUYER))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_info(caught.value).reason == "PERMISSION_DENIED"
    reply = await harness.method("CreateAvailability")(b"", metadata=bearer(Role.SELLER))
    assert reply == b"created"


async def test_a_caller_over_its_rate_is_told_when_to_retry(harness: Harness) -> None:
    get = harness.method("GetAvailability")
    for _ in range(3):
        await get(b"", metadata=bearer(Role.BUYER, sub="hasty"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await get(b"", metadata=bearer(Role.BUYER, sub="hasty"))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = rpc_status.from_call(caught.value)
    assert status is not None
    retry = error_details_pb2.RetryInfo()
    assert any(d.Unpack(retry) for d in status.details if d.Is(retry.DESCRIPTOR))
    assert retry.retry_delay.ToTimedelta().total_seconds() > 0
    info = error_info(caught.value)
    assert (info.reason, info.domain) == ("RATE_LIMITED", ERROR_DOMAIN)
    # Another caller has its own bucket.
    assert await get(b"", metadata=bearer(Role.BUYER, sub="patient")) == b"patient"


async def test_a_watch_stream_runs_as_the_caller_and_leaves_stream_caps_to_the_hub(
    harness: Harness,
) -> None:
    watch = harness.method("WatchAvailabilities", stream=True)
    streams = [watch(b"", metadata=bearer(Role.SERVICE, sub="matching")) for _ in range(3)]
    for stream in streams:
        assert await stream.read() == b"matching"
    assert harness.gate.in_flight == 0  # streams never take unary concurrency slots
    harness.release_watch.set()
    for stream in streams:
        assert await stream.read() == b"done"
        assert await stream.code() == grpc.StatusCode.OK


async def test_standing_searches_run_as_the_caller_and_take_no_unary_slot(
    harness: Harness,
) -> None:
    # Like watches, their caps are the hub's (tests/e2e/test_watch_search_governance.py): a
    # caller's standing searches must not starve its unary calls, nor be refused for them.
    search = harness.method("WatchSearch", stream=True)
    streams = [search(b"", metadata=bearer(Role.BUYER, sub="matcher")) for _ in range(3)]
    for stream in streams:
        assert await stream.read() == b"matcher"
    assert harness.gate.in_flight == 0
    harness.release_watch.set()
    for stream in streams:
        assert await stream.read() == b"done"


async def test_an_unauthenticated_watch_is_refused(harness: Harness) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.method("WatchAvailabilities", stream=True)(b"").read()
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_health_and_reflection_stay_open() -> None:
    interceptor = AuthInterceptor(
        TokenVerifier(AuthConfig(hs256_secret=SECRET)), RateLimiter(), ConcurrencyLimiter()
    )
    assert interceptor.is_open("/grpc.health.v1.Health/Check")
    assert interceptor.is_open("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")
    assert interceptor.is_open("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    assert not interceptor.is_open(f"/{SERVICE}/GetAvailability")


async def test_a_coroutine_stream_handler_also_runs_as_the_caller(harness: Harness) -> None:
    call = harness.method("ListSimilarAvailabilities", stream=True)
    replies = [reply async for reply in call(b"", metadata=bearer(Role.TRADER, sub="t-1"))]
    assert replies == [b"t-1"]


async def test_calls_beyond_the_concurrency_cap_are_refused_and_slots_come_back(
    harness: Harness,
) -> None:
    search = harness.method("SearchAvailabilities")
    slow = [
        asyncio.ensure_future(search(b"", metadata=bearer(Role.BUYER, sub=f"s-{i}")))
        for i in range(2)
    ]
    for _ in range(200):
        if harness.gate.in_flight == 2:
            break
        await asyncio.sleep(0.01)
    assert harness.gate.in_flight == 2
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await harness.method("GetAvailability")(b"", metadata=bearer(Role.BUYER))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info(caught.value).reason == "TOO_MANY_REQUESTS"
    # Watch streams have their own caps and never take (or are refused for) unary slots.
    stream = harness.method("WatchAvailabilities", stream=True)(
        b"", metadata=bearer(Role.BUYER, sub="w-1")
    )
    assert await stream.read() == b"w-1"
    assert harness.gate.in_flight == 2
    harness.release_watch.set()
    assert [await call for call in slow] == [b"searched", b"searched"]
    assert await stream.read() == b"done"
    # The server leaves the handler just after the client sees the last message.
    for _ in range(200):
        if harness.gate.in_flight == 0:
            break
        await asyncio.sleep(0.01)
    assert harness.gate.in_flight == 0
    assert await harness.method("GetAvailability")(b"", metadata=bearer(Role.BUYER)) == b"buyer-1"
