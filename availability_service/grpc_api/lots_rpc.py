"""Lot RPCs: create, get, list, update, delete, approve, reject."""

from __future__ import annotations

import functools
from typing import TypeAlias

import grpc

from availability_service.domain.errors import InvalidArgument
from availability_service.grpc_api.lot_input import (
    STATE_FROM_PB,
    changes_from_mask,
    draft_from_proto,
)
from availability_service.grpc_api.lot_output import availability_to_pb
from availability_service.grpc_api.lot_reads import LotReads
from availability_service.grpc_api.rpc_base import RpcBase, principal, request_key, rpc
from availability_service.service_layer.idempotent import Outcome
from tradedesk.availability.v1 import availability_service_pb2 as api

Ctx: TypeAlias = grpc.aio.ServicerContext


def _lot(outcome: Outcome) -> object:
    assert outcome.availability is not None
    return availability_to_pb(outcome.availability, principal())


def _full(view: int) -> bool:
    if view not in (api.VIEW_UNSPECIFIED, api.VIEW_BASIC, api.VIEW_FULL):
        raise InvalidArgument.one("view", f"unknown value {view}")
    return view == api.VIEW_FULL


class LotRpcs(RpcBase):
    @rpc
    async def CreateAvailability(
        self, request: api.CreateAvailabilityRequest, context: Ctx
    ) -> api.CreateAvailabilityResponse:
        who = principal()
        key = request_key(who, "CreateAvailability", request, request.request_id)
        draft = draft_from_proto(request.availability)
        outcome = await self.offload(context, self.services.lots.create, who, draft, key)
        return api.CreateAvailabilityResponse(availability=_lot(outcome))

    @rpc
    async def GetAvailability(
        self, request: api.GetAvailabilityRequest, context: Ctx
    ) -> api.GetAvailabilityResponse | bytes:
        full = _full(request.view)
        who = principal()
        if self.lot_reads is not None:
            # Encoded bytes when the lot was kept (grpc_api.pre_serialized).
            return await self.lot_reads.reply(self, context, who, request.name, full)
        lot = await self.offload(context, self.services.lots.get, who, request.name)
        return api.GetAvailabilityResponse(availability=availability_to_pb(lot, who, full))

    @functools.cached_property
    def lot_reads(self) -> LotReads | None:
        """GetAvailability's cached reads (made on first use, on the server's loop)."""
        cache = self.services.lots.cache
        return None if cache is None else LotReads(self.services.lots, cache)

    @rpc
    async def ListAvailabilities(
        self, request: api.ListAvailabilitiesRequest, context: Ctx
    ) -> api.ListAvailabilitiesResponse:
        full = _full(request.view)
        who = principal()
        states = []
        for i, state in enumerate(request.states):
            if state not in STATE_FROM_PB:
                raise InvalidArgument.one(f"states[{i}]", f"unknown value {state}")
            states.append(STATE_FROM_PB[state])
        page = await self.offload(
            context,
            self.services.lots.list,
            who,
            page_size=request.page_size,
            page_token=request.page_token,
            seller_id=request.seller_id,
            commodity=request.commodity,
            states=states,
            show_deleted=request.show_deleted,
        )
        return api.ListAvailabilitiesResponse(
            availabilities=[availability_to_pb(lot, who, full) for lot in page.availabilities],
            next_page_token=page.next_page_token,
            revision=page.revision,
        )

    @rpc
    async def UpdateAvailability(
        self, request: api.UpdateAvailabilityRequest, context: Ctx
    ) -> api.UpdateAvailabilityResponse:
        who = principal()
        key = request_key(who, "UpdateAvailability", request, request.request_id)
        changes = changes_from_mask(request.availability, list(request.update_mask.paths))
        outcome = await self.offload(
            context,
            self.services.lots.update,
            who,
            request.availability.name,
            request.availability.etag,
            changes,
            key,
        )
        return api.UpdateAvailabilityResponse(availability=_lot(outcome))

    @rpc
    async def DeleteAvailability(
        self, request: api.DeleteAvailabilityRequest, context: Ctx
    ) -> api.DeleteAvailabilityResponse:
        who = principal()
        key = request_key(who, "DeleteAvailability", request, request.request_id)
        outcome = await self.offload(
            context,
            self.services.lots.delete,
            who,
            request.name,
            request.etag,
            key,
            force=request.force,
        )
        return api.DeleteAvailabilityResponse(availability=_lot(outcome))

    @rpc
    async def ApproveAvailability(
        self, request: api.ApproveAvailabilityRequest, context: Ctx
    ) -> api.ApproveAvailabilityResponse:
        who = principal()
        key = request_key(who, "ApproveAvailability", request, request.request_id)
        outcome = await self.offload(
            context, self.services.lots.approve, who, request.name, request.etag, key
        )
        return api.ApproveAvailabilityResponse(availability=_lot(outcome))

    @rpc
    async def RejectAvailability(
        self, request: api.RejectAvailabilityRequest, context: Ctx
    ) -> api.RejectAvailabilityResponse:
        who = principal()
        key = request_key(who, "RejectAvailability", request, request.request_id)
        outcome = await self.offload(
            context, self.services.lots.reject, who, request.name, request.reason, request.etag, key
        )
        return api.RejectAvailabilityResponse(availability=_lot(outcome))
