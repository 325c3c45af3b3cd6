"""Hold RPCs: reserve, get, extend, release, and mark sold (from a hold or directly)."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeAlias

import grpc
from google.protobuf.duration_pb2 import Duration

from availability_service.auth.principal import Principal
from availability_service.domain.errors import InvalidArgument
from availability_service.grpc_api.lot_output import (
    HOLD_STATE_TO_PB,
    availability_to_pb,
    reservation_to_pb,
)
from availability_service.grpc_api.rpc_base import RpcBase, principal, request_key, rpc
from availability_service.service_layer.hold_list import HoldQuery
from availability_service.service_layer.holds import HoldService
from availability_service.service_layer.idempotent import Outcome
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

Ctx: TypeAlias = grpc.aio.ServicerContext
_HOLD_STATE_FROM_PB = {number: state for state, number in HOLD_STATE_TO_PB.items()}


def _ttl(
    message: api.ReserveAvailabilityRequest | api.ExtendReservationRequest,
) -> timedelta | None:
    """None when the caller left ttl unset (the service applies the default)."""
    if not message.HasField("ttl"):
        return None
    duration: Duration = message.ttl
    try:
        return timedelta(seconds=duration.seconds, microseconds=duration.nanos // 1000)
    except OverflowError as exc:  # seconds near 2**63: out of any sane range, not a crash
        raise InvalidArgument.one("ttl", "is out of range") from exc


def _hold_query(request: api.ListReservationsRequest) -> HoldQuery:
    states = []
    for i, number in enumerate(request.states):
        if number not in _HOLD_STATE_FROM_PB:
            raise InvalidArgument.one(f"states[{i}]", f"unknown value {number}")
        states.append(_HOLD_STATE_FROM_PB[number])
    return HoldQuery(
        parent=request.parent,
        buyer_id=request.buyer_id,
        negotiation_id=request.negotiation_id,
        states=tuple(states),
        page_size=request.page_size,
        page_token=request.page_token,
    )


def _money(message: api.MarkSoldRequest) -> tuple[str, str] | None:
    """The sold price as given (checked by the service), or None when the caller set none."""
    if not message.HasField("sold_price"):
        return None
    price: pb.Money = message.sold_price
    return price.amount, price.currency_code


def _parts(outcome: Outcome, who: Principal) -> dict[str, object]:
    out: dict[str, object] = {}
    if outcome.reservation is not None:
        out["reservation"] = reservation_to_pb(outcome.reservation)
    if outcome.availability is not None:
        out["availability"] = availability_to_pb(outcome.availability, who)
    return out


class HoldRpcs(RpcBase):
    @property
    def _holds(self) -> HoldService:
        return self.services.holds

    @rpc
    async def ReserveAvailability(
        self, request: api.ReserveAvailabilityRequest, context: Ctx
    ) -> api.ReserveAvailabilityResponse:
        who = principal()
        key = request_key(who, "ReserveAvailability", request, request.request_id)
        outcome = await self.offload(
            context,
            self._holds.reserve,
            who,
            request.name,
            request.quantity,
            _ttl(request),
            request.buyer_id,
            request.negotiation_id,
            key,
            price_option_label=request.price_option_label,
        )
        return api.ReserveAvailabilityResponse(**_parts(outcome, who))

    @rpc
    async def GetReservation(
        self, request: api.GetReservationRequest, context: Ctx
    ) -> api.GetReservationResponse:
        hold = await self.offload(context, self._holds.get, principal(), request.name)
        return api.GetReservationResponse(reservation=reservation_to_pb(hold))

    @rpc
    async def ExtendReservation(
        self, request: api.ExtendReservationRequest, context: Ctx
    ) -> api.ExtendReservationResponse:
        who = principal()
        key = request_key(who, "ExtendReservation", request, request.request_id)
        outcome = await self.offload(
            context, self._holds.extend, who, request.name, _ttl(request), key
        )
        assert outcome.reservation is not None
        return api.ExtendReservationResponse(reservation=reservation_to_pb(outcome.reservation))

    @rpc
    async def ReleaseReservation(
        self, request: api.ReleaseReservationRequest, context: Ctx
    ) -> api.ReleaseReservationResponse:
        who = principal()
        key = request_key(who, "ReleaseReservation", request, request.request_id)
        outcome = await self.offload(
            context,
            self._holds.release,
            who,
            request.name,
            request.reason,
            key,
            quantity=request.quantity,
        )
        return api.ReleaseReservationResponse(**_parts(outcome, who))

    @rpc
    async def MarkSold(self, request: api.MarkSoldRequest, context: Ctx) -> api.MarkSoldResponse:
        who = principal()
        key = request_key(who, "MarkSold", request, request.request_id)
        outcome = await self.offload(
            context,
            self._holds.mark_sold,
            who,
            request.name,
            request.quantity,
            request.trade_id,
            request.buyer_id,
            key,
            sold_price=_money(request),
        )
        return api.MarkSoldResponse(**_parts(outcome, who))

    @rpc
    async def ListReservations(
        self, request: api.ListReservationsRequest, context: Ctx
    ) -> api.ListReservationsResponse:
        page = await self.offload(context, self._holds.list, principal(), _hold_query(request))
        return api.ListReservationsResponse(
            reservations=[reservation_to_pb(hold) for hold in page.reservations],
            next_page_token=page.next_page_token,
        )
