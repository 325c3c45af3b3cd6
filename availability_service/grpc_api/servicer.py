"""The AvailabilityService servicer: one mixin per feature area.

Every RPC of the v1 contract is implemented. An RPC added to the contract before its mixin
answers UNIMPLEMENTED from the generated base class.
"""

from __future__ import annotations

from availability_service.grpc_api.batch_rpc import BatchRpcs
from availability_service.grpc_api.history_rpc import HistoryRpcs
from availability_service.grpc_api.holds_rpc import HoldRpcs
from availability_service.grpc_api.locations_rpc import LocationRpcs
from availability_service.grpc_api.lots_rpc import LotRpcs
from availability_service.grpc_api.search_rpc import SearchRpcs
from availability_service.grpc_api.watch_rpc import WatchRpcs
from availability_service.grpc_api.watch_search_rpc import WatchSearchRpcs
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc


class AvailabilityServicer(
    LotRpcs,
    BatchRpcs,
    LocationRpcs,
    HoldRpcs,
    WatchRpcs,
    WatchSearchRpcs,
    SearchRpcs,
    HistoryRpcs,
    api_grpc.AvailabilityServiceServicer,
):
    """All RPCs of the service."""
