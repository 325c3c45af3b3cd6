"""grpc.aio server interceptor: authenticate, authorise, rate-limit, then run the handler.

The checks run inside a wrapped handler, not in intercept_service, for two reasons: only the
handler has a real ServicerContext to abort with rich status details, and the principal
contextvar must be set in the task that runs the behaviour (intercept_service runs elsewhere).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextvars import Token
from typing import Any, NoReturn

import grpc

from availability_service.auth.concurrency import ConcurrencyLimiter
from availability_service.auth.errors import AuthenticationError, PermissionDeniedError
from availability_service.auth.policy import SERVICE_NAME, authorize
from availability_service.auth.principal import Principal, current_principal
from availability_service.auth.ratelimit import RateLimiter, method_group, request_cost
from availability_service.auth.tokens import TokenVerifier
from availability_service.grpc_api import call_metadata
from availability_service.grpc_api.handler_memo import WrappedOnce
from availability_service.grpc_api.status import build_status
from availability_service.telemetry.tracing import record_caller

# Entries ending in "/" open a whole service; others open one full method name.
DEFAULT_OPEN_METHODS: frozenset[str] = frozenset(
    {
        "/grpc.health.v1.Health/",
        "/grpc.reflection.v1alpha.ServerReflection/",
        "/grpc.reflection.v1.ServerReflection/",
    }
)
WATCH_METHOD = "WatchAvailabilities"
# The long-lived streams (a standing search is a watch): capped by the hub, not here.
WATCH_METHODS = frozenset({WATCH_METHOD, "WatchSearch"})
_SERVICE_PREFIX = f"/{SERVICE_NAME}/"
_BEARER = "bearer "

Behaviour = Callable[[Any, grpc.aio.ServicerContext], Any]


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Guards every method of the server except the open ones (health, reflection)."""

    def __init__(
        self,
        verifier: TokenVerifier,
        rate_limiter: RateLimiter,
        concurrency_limiter: ConcurrencyLimiter,
        open_methods: Collection[str] = DEFAULT_OPEN_METHODS,
    ) -> None:
        self._verifier = verifier
        self._rate_limiter = rate_limiter
        self._concurrency = concurrency_limiter
        self._open_methods = frozenset(open_methods)
        self._guarded = WrappedOnce(self._wrap)

    def is_open(self, method: str) -> bool:
        return method in self._open_methods or any(
            entry.endswith("/") and method.startswith(entry) for entry in self._open_methods
        )

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        # Open or guarded is decided once per method, with its wrapping (WrappedOnce).
        return self._guarded(handler, handler_call_details.method)

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        if self.is_open(method):
            return handler
        # Methods of other services are not in the policy; an empty short name is denied.
        short = method[len(_SERVICE_PREFIX) :] if method.startswith(_SERVICE_PREFIX) else ""
        codec = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._guard_unary(handler.unary_unary, short), **codec
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._guard_unary(handler.stream_unary, short), **codec
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._guard_stream(handler.unary_stream, short), **codec
            )
        return grpc.stream_stream_rpc_method_handler(
            self._guard_stream(handler.stream_stream, short), **codec
        )

    def _guard_unary(self, behaviour: Behaviour, short: str) -> Behaviour:
        if inspect.iscoroutinefunction(behaviour):
            # The usual case, without asking each result whether it is awaitable.
            async def guarded_coroutine(request: Any, context: grpc.aio.ServicerContext) -> Any:
                token = await self._admit(short, context, request_cost(short, request))
                try:
                    return await behaviour(request, context)
                finally:
                    self._release(short, token)

            return guarded_coroutine

        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
            token = await self._admit(short, context, request_cost(short, request))
            try:
                result = behaviour(request, context)
                return await result if inspect.isawaitable(result) else result
            finally:
                self._release(short, token)

        return guarded

    def _guard_stream(self, behaviour: Behaviour, short: str) -> Behaviour:
        if not (inspect.isasyncgenfunction(behaviour) or inspect.isgeneratorfunction(behaviour)):
            # A coroutine that streams with context.write(): the wrapper must be one too.
            return self._guard_unary(behaviour, short)

        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            token = await self._admit(short, context)
            try:
                responses = behaviour(request, context)
                if hasattr(responses, "__aiter__"):
                    async for response in responses:
                        yield response
                else:
                    for response in responses:
                        yield response
            finally:
                self._release(short, token)

        return guarded

    async def _admit(
        self, short: str, context: grpc.aio.ServicerContext, cost: int = 1
    ) -> Token[Principal | None]:
        """Run every check in order. On success the call holds a concurrency slot (unless it
        is a watch) and the principal is current: `_release` gives both back. A try/finally
        rather than an AsyncExitStack per call: the stack, its callbacks and its async exit
        were a measurable share of every call's cost (docs/performance.md, target 1)."""
        try:
            principal = self._verifier.verify(_bearer_token(call_metadata.of(context)))
        except AuthenticationError as error:
            await _abort(context, grpc.StatusCode.UNAUTHENTICATED, error.reason, "UNAUTHENTICATED")
        try:
            authorize(short or "<unknown>", principal)
        except PermissionDeniedError as error:
            await _abort(
                context, grpc.StatusCode.PERMISSION_DENIED, error.reason, "PERMISSION_DENIED"
            )
        group = method_group(short)
        _, burst = self._rate_limiter.config.limit_for(group)
        if self._rate_limiter.config.enabled and cost > burst:
            # Waiting cannot help: the bucket never holds this many tokens. No RetryInfo.
            await _abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{cost} items cost more than the {group} rate limit's burst of {burst:g};"
                f" send at most {int(burst)} per call",
                "BATCH_OVER_BURST",
                metadata={"method_group": group, "burst": f"{burst:g}"},
            )
        retry_after = self._rate_limiter.try_acquire(principal.subject, group, cost)
        if retry_after is not None:
            await _abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"rate limit for {group} calls exceeded; retry in {retry_after:.3f}s",
                "RATE_LIMITED",
                retry_after=retry_after,
                metadata={"method_group": group},
            )
        # Watch streams are long-lived and capped by the watch hub (per caller, per process,
        # with room kept for SERVICE and ADMIN), which can also take a slot back from a stream
        # that stopped reading; counting them here would let watchers starve unary calls.
        if short not in WATCH_METHODS and not self._concurrency.try_enter():
            await _abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "server is at its concurrent request limit",
                "TOO_MANY_REQUESTS",
                retry_after=0.1,
            )
        token = current_principal.set(principal)
        try:
            record_caller(principal)
        except BaseException:
            self._release(short, token)
            raise
        return token

    def _release(self, short: str, token: Token[Principal | None]) -> None:
        """Undoes a successful `_admit`: the principal first, then the slot."""
        try:
            _reset_principal(token)
        finally:
            if short not in WATCH_METHODS:
                self._concurrency.exit()


def _reset_principal(token: Any) -> None:
    # A stream closed from another context (generator finalised by GC) cannot reset; the task
    # that owned the value is gone with its context, so there is nothing left to undo.
    with contextlib.suppress(ValueError):
        current_principal.reset(token)


def _bearer_token(metadata: Any) -> str:
    values = [value for key, value in metadata or () if key.lower() == "authorization"]
    if not values:
        raise AuthenticationError("missing bearer token in 'authorization' metadata")
    if len(values) > 1:
        raise AuthenticationError("more than one 'authorization' metadata entry")
    value = values[0]
    if not isinstance(value, str) or not value[: len(_BEARER)].lower() == _BEARER:
        raise AuthenticationError("malformed 'authorization' metadata; expected 'Bearer <token>'")
    token = value[len(_BEARER) :].strip()
    if not token:
        raise AuthenticationError("empty bearer token")
    return token


async def _abort(
    context: grpc.aio.ServicerContext,
    code: grpc.StatusCode,
    message: str,
    reason: str,
    retry_after: float | None = None,
    metadata: dict[str, str] | None = None,
) -> NoReturn:
    """Abort with google.rpc.Status: ErrorInfo always, RetryInfo when waiting helps."""
    status = build_status(code, message, reason, metadata, retry_after=retry_after)
    await context.abort_with_status(status)
    raise AssertionError("abort_with_status returned")  # pragma: no cover  # it always raises
