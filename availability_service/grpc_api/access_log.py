"""One canonical log line per RPC (method, code, duration, request id, peer), and its metrics."""

from __future__ import annotations

import inspect
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import structlog

from availability_service.grpc_api import metrics

log = structlog.get_logger("rpc")
REQUEST_ID_HEADER = "x-request-id"


def _request_id(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str):
            return value[:128]
    return uuid.uuid4().hex


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

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        method: str = details.method
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

    @staticmethod
    def _emit(
        method: str,
        context: grpc.aio.ServicerContext,
        start: float,
        failed: bool,
        request_id: str,
        peer: str,
        **extra: Any,
    ) -> None:
        code = _code_name(context, failed)
        elapsed = time.perf_counter() - start
        metrics.observe(method, code, elapsed)
        log.info(
            "rpc",
            method=method,
            code=code,
            duration_ms=round(elapsed * 1000, 3),
            request_id=request_id,
            peer=peer,
            **extra,
        )

    def _unary(self, behaviour: Callable[..., Any], method: str) -> Callable[..., Any]:
        async def logged(request: Any, context: grpc.aio.ServicerContext) -> Any:
            start = time.perf_counter()
            request_id = _request_id(context)
            # Read now: context.peer() on a call the client has cancelled crashes grpc.aio.
            peer = context.peer()
            failed = True
            try:
                result = await behaviour(request, context)
                failed = False
                return result
            finally:
                self._emit(method, context, start, failed, request_id, peer)

        return logged

    def _stream(self, behaviour: Callable[..., Any], method: str) -> Callable[..., Any]:
        async def logged(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            start = time.perf_counter()
            request_id = _request_id(context)
            peer = context.peer()  # see _unary: never after a client cancel
            failed = True
            sent = 0
            try:
                async for response in behaviour(request, context):
                    sent += 1
                    yield response
                failed = False
            finally:
                self._emit(method, context, start, failed, request_id, peer, messages=sent)

        return logged
