"""One canonical log line per RPC (method, code, duration, request id, peer, trace id), its
metrics and its server span."""

from __future__ import annotations

import inspect
import itertools
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import structlog

from availability_service.grpc_api import arrival, call_metadata, metrics
from availability_service.grpc_api.handler_memo import WrappedOnce
from availability_service.telemetry.tracing import ServerSpan

log = structlog.get_logger("rpc")
REQUEST_ID_HEADER = "x-request-id"


_CODE_NUMBERS = {status.name: status.value[0] for status in grpc.StatusCode}


# A request without an x-request-id gets this process's random prefix and a counter: unique
# across processes as a uuid4 is, without drawing 16 random bytes per call.
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count()


def _request_id(metadata: Any) -> str:
    for key, value in metadata or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str):
            return value[:128]
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def _code_name(context: grpc.aio.ServicerContext, failed: bool) -> str:
    code = context.code()
    if code is None:
        return "UNKNOWN" if failed else "OK"
    if isinstance(code, grpc.StatusCode):
        return code.name
    try:
        return grpc.StatusCode(code).name  # int codes from aio
    except (ValueError, TypeError):
        for status in grpc.StatusCode:
            if status.value[0] == code:
                return status.name
        return str(code)


class AccessLogInterceptor(grpc.aio.ServerInterceptor):
    """Outermost interceptor, so its line covers auth refusals too."""

    def __init__(self) -> None:
        self._logged = WrappedOnce(self._wrap)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        # The first of our code to run for a call, in its task: the lot cache's probes are
        # ordered against this moment (grpc_api.arrival).
        arrival.mark_arrival()
        handler = await continuation(details)
        if handler is None:
            return handler
        return self._logged(handler, details.method)

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        codec = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, method), **codec
            )
        if handler.unary_stream:
            inner = handler.unary_stream
            if inspect.isasyncgenfunction(inner):
                return grpc.unary_stream_rpc_method_handler(self._stream(inner, method), **codec)
            return grpc.unary_stream_rpc_method_handler(self._unary(inner, method), **codec)
        return handler

    def _unary(self, behaviour: Callable[..., Any], method: str) -> Callable[..., Any]:
        async def logged(request: Any, context: grpc.aio.ServicerContext) -> Any:
            call = _Call(method, context)
            failed = True
            try:
                result = await behaviour(request, context)
                failed = False
                return result
            finally:
                call.finish(context, failed)

        return logged

    def _stream(self, behaviour: Callable[..., Any], method: str) -> Callable[..., Any]:
        async def logged(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            call = _Call(method, context)
            failed = True
            sent = 0
            try:
                async for response in behaviour(request, context):
                    sent += 1
                    yield response
                failed = False
            finally:
                call.finish(context, failed, messages=sent)

        return logged


class _Call:
    """What the log line, the metrics and the span of one call need, from its start."""

    def __init__(self, method: str, context: grpc.aio.ServicerContext) -> None:
        self.method = method
        self.start = time.perf_counter()
        metadata = call_metadata.remember(context)
        self.request_id = _request_id(metadata)
        # Read now: context.peer() on a call the client has cancelled crashes grpc.aio.
        self.peer = context.peer()
        # Started here, in the task that runs the call, so the auth interceptor can name the
        # caller on it and database work offloaded from this task becomes its children.
        self.span = ServerSpan(method, metadata)

    def finish(self, context: grpc.aio.ServicerContext, failed: bool, **extra: Any) -> None:
        code = _code_name(context, failed)
        elapsed = time.perf_counter() - self.start
        metrics.observe(self.method, code, elapsed)
        trace_id = self.span.trace_id
        self.span.finish(code, _CODE_NUMBERS.get(code, grpc.StatusCode.UNKNOWN.value[0]))
        if trace_id is not None:
            extra["trace_id"] = trace_id
        log.info(
            "rpc",
            method=self.method,
            code=code,
            duration_ms=round(elapsed * 1000, 3),
            request_id=self.request_id,
            peer=self.peer,
            **extra,
        )
