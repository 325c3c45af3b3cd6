"""A call's metadata is read from grpc once, by the outermost interceptor, and every later
reader of the same call (auth, the read's consistency header) gets that copy."""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

import grpc

from availability_service.auth.concurrency import ConcurrencyLimiter
from availability_service.auth.interceptor import AuthInterceptor
from availability_service.auth.principal import Role
from availability_service.auth.ratelimit import RateLimiter
from availability_service.auth.tokens import AuthConfig, TokenVerifier, mint_token
from availability_service.grpc_api import call_metadata
from availability_service.grpc_api.access_log import AccessLogInterceptor

SECRET = b"k" * 32
METHOD = "/tradedesk.availability.v1.AvailabilityService/GetAvailability"


class Details(NamedTuple):
    method: str
    invocation_metadata: Any


class CountingContext:
    """The parts of grpc.aio's context the interceptors use; counts metadata reads."""

    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self.metadata = metadata
        self.reads = 0

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        self.reads += 1
        return self.metadata

    def peer(self) -> str:
        return "ipv4:127.0.0.1:1"

    def code(self) -> None:
        return None


def metadata(sub: str) -> tuple[tuple[str, str], ...]:
    token = mint_token(SECRET, sub, [Role.BUYER], region="EU")
    return (("authorization", f"Bearer {token}"), ("x-min-revision", "7"))


async def through_both_interceptors(context: CountingContext) -> Any:
    async def get(request: bytes, ctx: Any) -> Any:
        return call_metadata.of(ctx)  # as the read's consistency header is read

    auth = AuthInterceptor(
        TokenVerifier(AuthConfig(hs256_secret=SECRET)), RateLimiter(), ConcurrencyLimiter()
    )

    async def handler(details: Any) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(get)

    async def inner(details: Any) -> grpc.RpcMethodHandler:
        return await auth.intercept_service(handler, details)

    details = Details(METHOD, context.metadata)
    wrapped = await AccessLogInterceptor().intercept_service(inner, details)
    return await wrapped.unary_unary(b"", context)


def test_one_call_reads_its_metadata_from_grpc_once() -> None:
    context = CountingContext(metadata("buyer-1"))
    seen = asyncio.run(through_both_interceptors(context))
    assert seen == context.metadata
    assert context.reads == 1  # three before: access log, auth, the read


def test_a_reader_with_another_calls_context_gets_that_calls_metadata() -> None:
    first, second = CountingContext(metadata("buyer-1")), CountingContext(metadata("buyer-2"))

    async def scenario() -> tuple[Any, Any]:
        call_metadata.remember(first)
        return call_metadata.of(second), call_metadata.of(first)

    other, own = asyncio.run(scenario())
    assert other == second.metadata and second.reads == 1
    assert own == first.metadata and first.reads == 1  # the kept copy, not read again
