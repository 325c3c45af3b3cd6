"""WatchSearch: a standing SearchAvailabilities streamed over the process's watch hub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc

from availability_service.grpc_api.rpc_base import RpcBase, principal
from availability_service.grpc_api.watch_rpc import _status as stream_status
from availability_service.watch.hub import hub_for_this_server
from availability_service.watch.search_stream import search_stream
from availability_service.watch.stream import StreamUnavailable
from tradedesk.availability.v1 import availability_service_pb2 as api


class WatchSearchRpcs(RpcBase):
    async def WatchSearch(
        self,
        request: api.WatchSearchRequest,
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[api.WatchSearchResponse]:
        hub = hub_for_this_server(self.services)
        try:
            if hub is None:
                raise StreamUnavailable("the change feed is not running on this server")
            async for response in search_stream(request, principal(), hub, self.services.search):
                yield response
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # mapped to a status below, outside the handler
            status = stream_status(exc)
        await context.abort_with_status(status)
