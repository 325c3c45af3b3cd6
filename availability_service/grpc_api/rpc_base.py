"""Shared plumbing of the servicer mixins: run a use case off the event loop, map errors."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
import structlog
from google.protobuf.message import Message

from availability_service.auth.principal import Principal, get_principal
from availability_service.domain.deadline import Deadline
from availability_service.grpc_api import call_metadata
from availability_service.grpc_api.errors import status_for
from availability_service.grpc_api.read_consistency import read_scope
from availability_service.grpc_api.request_guard import check_request
from availability_service.grpc_api.status import internal_error
from availability_service.service_layer.idempotent import RequestKey
from availability_service.services import Services
from availability_service.storage.read_routing import ReadScope, run_read
from availability_service.watch.hub import WatchHub

log = structlog.get_logger(__name__)
T = TypeVar("T")
MAX_REQUEST_ID = 128


def request_key(
    principal: Principal, method: str, request: Message, request_id: str
) -> RequestKey | None:
    """The idempotency key of a mutating call, or None when the caller sent no request_id."""
    if not request_id:
        return None
    if len(request_id) > MAX_REQUEST_ID:
        from availability_service.domain.errors import InvalidArgument

        raise InvalidArgument.one("request_id", f"at most {MAX_REQUEST_ID} characters")
    digest = hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()
    return RequestKey(principal.subject, request_id, method, digest)


class RpcBase:
    """Base of every servicer mixin: the use cases, the database thread pool, and the watch
    hub of the server this servicer belongs to (one hub per server, made with it)."""

    def __init__(self, services: Services, executor: ThreadPoolExecutor, hub: WatchHub) -> None:
        self.services = services
        self.executor = executor
        self.hub = hub

    async def offload(
        self,
        context: grpc.aio.ServicerContext,
        fn: Callable[..., T],
        *args: Any,
        scope: ReadScope | None = None,
        **kwargs: Any,
    ) -> T:
        """Runs blocking database work on the pool, bounded by the caller's deadline, with the
        read consistency the caller asked for (x-min-revision; reads may go to a standby).
        `scope`: the caller's, already read from the metadata (afterwards it says where the
        reads went)."""
        kwargs.setdefault("deadline", Deadline.within(context.time_remaining()))
        if scope is None:
            scope = read_scope(call_metadata.of(context))
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        call = functools.partial(ctx.run, run_read, scope, fn, *args, **kwargs)
        return await loop.run_in_executor(self.executor, call)


def rpc(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Turns expected errors into their status (with details); anything else is a bug: INTERNAL."""

    @functools.wraps(method)
    async def wrapper(self: RpcBase, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            check_request(request)  # NUL in any string field: INVALID_ARGUMENT, not INTERNAL
            return await method(self, request, context)
        except (asyncio.CancelledError, grpc.aio.AbortError):
            raise  # cancelled by the client, or already aborted with a chosen status
        except Exception as exc:
            status = status_for(exc)
            if status is None:
                log.exception("rpc_failed", method=method.__name__)
                status = internal_error()
            await context.abort_with_status(status)
            raise  # pragma: no cover - abort always raises

    return wrapper


def principal() -> Principal:
    return get_principal()
