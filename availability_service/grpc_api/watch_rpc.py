"""WatchAvailabilities: the server-streaming RPC over the process's watch hub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import structlog

from availability_service.grpc_api.errors import build_status, status_for
from availability_service.grpc_api.rpc_base import RpcBase, principal
from availability_service.watch.hub import HubClosing, hub_for_this_server
from availability_service.watch.stream import StreamUnavailable, watch_stream
from tradedesk.availability.v1 import availability_service_pb2 as api

log = structlog.get_logger(__name__)


def _status(exc: Exception) -> grpc.Status:
    if isinstance(exc, StreamUnavailable):
        metadata = {} if exc.last_revision is None else {"last_revision": str(exc.last_revision)}
        return build_status(
            grpc.StatusCode.UNAVAILABLE, exc.message, "WATCH_UNAVAILABLE", metadata, retry_after=1.0
        )
    if isinstance(exc, HubClosing):
        return build_status(grpc.StatusCode.UNAVAILABLE, str(exc), "SHUTTING_DOWN", retry_after=1.0)
    status = status_for(exc)
    if status is None:
        log.exception("watch_failed")
        return build_status(grpc.StatusCode.INTERNAL, "internal error", "INTERNAL")
    return status


class WatchRpcs(RpcBase):
    async def WatchAvailabilities(
        self,
        request: api.WatchAvailabilitiesRequest,
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[api.WatchAvailabilitiesResponse]:
        hub = hub_for_this_server(self.services)
        try:
            if hub is None:
                raise StreamUnavailable("the change feed is not running on this server")
            async for response in watch_stream(request, principal(), hub):
                yield response
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # mapped to a status below, outside the handler
            status = _status(exc)
        await context.abort_with_status(status)
