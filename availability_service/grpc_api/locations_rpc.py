"""Location RPCs: UpsertLocation (ADMIN) and ListLocations."""

from __future__ import annotations

from datetime import UTC
from typing import TypeAlias

import grpc

from availability_service.domain.errors import InvalidArgument
from availability_service.domain.locations import Location
from availability_service.grpc_api.rpc_base import RpcBase, principal, rpc
from availability_service.service_layer.locations import LocationService
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

Ctx: TypeAlias = grpc.aio.ServicerContext


def location_from_pb(message: pb.Location) -> Location:
    """Proto -> registry row; a missing point is reported here, ranges by the service."""
    if not message.HasField("point"):
        raise InvalidArgument.one("location.point", "is required")
    return Location(
        location_id=message.location_id,
        owner_id=message.owner_id,
        display_name=message.display_name,
        latitude=message.point.latitude,
        longitude=message.point.longitude,
        region=message.region,
    )


def location_to_pb(location: Location) -> pb.Location:
    out = pb.Location(
        location_id=location.location_id,
        owner_id=location.owner_id,
        display_name=location.display_name,
        point=pb.LatLng(latitude=location.latitude, longitude=location.longitude),
        region=location.region,
    )
    if location.update_time is not None:
        out.update_time.FromDatetime(location.update_time.astimezone(UTC))
    return out


class LocationRpcs(RpcBase):
    def _locations(self) -> LocationService:
        return self.services.locations

    @rpc
    async def UpsertLocation(
        self, request: api.UpsertLocationRequest, context: Ctx
    ) -> api.UpsertLocationResponse:
        location = location_from_pb(request.location)
        stored = await self.offload(context, self._locations().upsert, location)
        return api.UpsertLocationResponse(location=location_to_pb(stored))

    @rpc
    async def ListLocations(
        self, request: api.ListLocationsRequest, context: Ctx
    ) -> api.ListLocationsResponse:
        page = await self.offload(
            context,
            self._locations().list,
            principal(),
            owner_id=request.owner_id,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return api.ListLocationsResponse(
            locations=[location_to_pb(location) for location in page.locations],
            next_page_token=page.next_page_token,
        )
