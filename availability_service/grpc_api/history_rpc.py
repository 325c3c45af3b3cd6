"""Reads of what is around the lots: ListAvailabilityEvents (history) and ListCommodities."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from availability_service.grpc_api.rpc_base import RpcBase, principal, rpc
from availability_service.grpc_api.watch_events import event_to_pb
from availability_service.grpc_api.watch_stream import BATCH_MAX_BYTES
from availability_service.intelligence import Commodity
from tradedesk.availability.v1 import catalog_pb2, history_pb2

Ctx: TypeAlias = grpc.aio.ServicerContext
# A page of events stays well under the 4 MB message limit, like a watch batch.
MAX_PAGE_BYTES = BATCH_MAX_BYTES
Kind = catalog_pb2.CommodityParameter.Kind


def commodity_to_pb(commodity: Commodity) -> catalog_pb2.Commodity:
    out = catalog_pb2.Commodity(
        code=commodity.code,
        display_name=commodity.display_name,
        family=commodity.family,
        quantity_unit=commodity.quantity_unit,
        price_unit=commodity.price_unit,
        accepted_quantity_units=list(commodity.accepted_quantity_units),
    )
    for parameter in commodity.quality.values():
        item = out.quality_parameters.add(
            name=parameter.name,
            canonical_unit=parameter.unit or "",
            aliases=list(parameter.aliases),
            alternate_units=list(parameter.alternate_units),
            kind=Kind.KIND_TEXT if parameter.kind == "text" else Kind.KIND_NUMBER,
        )
        if parameter.minimum is not None:
            item.range_min = parameter.minimum
        if parameter.maximum is not None:
            item.range_max = parameter.maximum
    return out


class HistoryRpcs(RpcBase):
    @rpc
    async def ListAvailabilityEvents(
        self, request: history_pb2.ListAvailabilityEventsRequest, context: Ctx
    ) -> history_pb2.ListAvailabilityEventsResponse:
        who = principal()
        page = await self.offload(
            context,
            self.services.history.list,
            who,
            request.parent,
            request.page_size,
            request.page_token,
        )
        response = history_pb2.ListAvailabilityEventsResponse(next_page_token=page.next_page_token)
        size = 0
        for seen in page.events:
            event = event_to_pb(who, seen.event, seen.kind)
            size += event.ByteSize()
            if response.events and size > MAX_PAGE_BYTES:
                # Cut short to fit the transport; the rest follows from the last one sent.
                response.next_page_token = page.token_after(response.events[-1].revision)
                break
            response.events.append(event)
        return response

    @rpc
    async def ListCommodities(
        self, request: catalog_pb2.ListCommoditiesRequest, context: Ctx
    ) -> catalog_pb2.ListCommoditiesResponse:
        page = self.services.commodities.list(request.page_size, request.page_token)
        return catalog_pb2.ListCommoditiesResponse(
            commodities=[commodity_to_pb(c) for c in page.commodities],
            next_page_token=page.next_page_token,
            catalog_version=page.catalog_version,
        )
