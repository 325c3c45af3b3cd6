"""The RPCs whose replies are mostly encoded beforehand, registered with a pass-through
serialiser.

GetAvailability answers kept lots with bytes encoded once per revision and view
(grpc_api.lot_reads); WatchSearch writes its changes as `Encoded` parts spliced once per event
(grpc_api.watch_search_wire). Both are registered as the generated code registers them, but
for the response serialiser, after the generated handlers so that these replace them.
"""

from __future__ import annotations

from typing import Any

import grpc

from availability_service.grpc_api.watch_search_wire import Encoded
from tradedesk.availability.v1 import availability_service_pb2 as api


def pass_through(message: Any) -> bytes:
    """Bytes and Encoded messages as they are; any other message (a reply built on the spot,
    a bookmark) through protobuf."""
    if isinstance(message, bytes):
        return message
    if isinstance(message, Encoded):
        return message.data
    return bytes(message.SerializeToString())


def pre_serialized_handlers(servicer: Any) -> dict[str, grpc.RpcMethodHandler]:
    return {
        "GetAvailability": grpc.unary_unary_rpc_method_handler(
            servicer.GetAvailability,
            request_deserializer=api.GetAvailabilityRequest.FromString,
            response_serializer=pass_through,
        ),
        "WatchSearch": grpc.unary_stream_rpc_method_handler(
            servicer.WatchSearch,
            request_deserializer=api.WatchSearchRequest.FromString,
            response_serializer=pass_through,
        ),
    }
