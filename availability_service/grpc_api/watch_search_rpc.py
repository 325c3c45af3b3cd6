"""WatchSearch: a standing SearchAvailabilities streamed over the process's watch hub.

Its messages are mostly written as bytes (grpc_api.watch_search_wire), so the RPC is registered with
a serialiser that passes them through (grpc_api.pre_serialized).
"""

from __future__ import annotations

import grpc

from availability_service.grpc_api.rpc_base import RpcBase, principal
from availability_service.grpc_api.watch_rpc import serve_watch
from availability_service.grpc_api.watch_search_stream import open_search_stream
from tradedesk.availability.v1 import availability_service_pb2 as api


class WatchSearchRpcs(RpcBase):
    async def WatchSearch(
        self,
        request: api.WatchSearchRequest,
        context: grpc.aio.ServicerContext,
    ) -> None:
        # Governed exactly as WatchAvailabilities (slot, send timeout, age): same code.
        await serve_watch(
            self.hub,
            context,
            lambda hub: open_search_stream(request, principal(), hub, self.services.search),
        )
