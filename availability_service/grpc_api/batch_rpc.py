"""BatchCreateAvailabilities: many lots in one call, each created (or refused) on its own.

The call is charged to the caller's write rate limit per lot (auth.ratelimit.request_cost).
It ends with the caller: at the deadline or on a cancel, no further lot is started. Each lot
is its own transaction, bounded by what is left of the deadline, so a lot is either created
whole (row, event, idempotency key) or not at all; lots created before the end stay created,
and re-sending the batch with the same request_ids returns them and creates the rest.
A batch cut short by its deadline ends DEADLINE_EXCEEDED, never OK with part of the lots:
the server's clock and the caller's differ by the network, and a caller must not see
success for a call it has already given up on (or a partial one it never gave up on).
"""

from __future__ import annotations

import asyncio
import threading
from typing import TypeAlias

import grpc

from availability_service.auth.principal import Principal
from availability_service.domain.deadline import Deadline
from availability_service.domain.errors import DeadlinePassed, DomainError, InvalidArgument
from availability_service.grpc_api.errors import code_for
from availability_service.grpc_api.lot_input import draft_from_proto
from availability_service.grpc_api.lot_output import availability_to_pb
from availability_service.grpc_api.rpc_base import RpcBase, principal, request_key, rpc
from tradedesk.availability.v1 import availability_service_pb2 as api

Ctx: TypeAlias = grpc.aio.ServicerContext
MAX_BATCH = 500


class BatchRpcs(RpcBase):
    @rpc
    async def BatchCreateAvailabilities(
        self, request: api.BatchCreateAvailabilitiesRequest, context: Ctx
    ) -> api.BatchCreateAvailabilitiesResponse:
        if len(request.requests) > MAX_BATCH:
            raise InvalidArgument.one("requests", f"at most {MAX_BATCH} lots per batch")
        # Set when the call is cancelled (by the client, or by grpc at the deadline): the
        # worker thread checks it before each lot, since cancelling the task cannot stop it.
        ended = threading.Event()
        try:
            results = await self.offload(
                context, self.create_each, principal(), request.requests, ended=ended
            )
        except asyncio.CancelledError:
            ended.set()
            raise
        if len(results) < len(request.requests):
            raise DeadlinePassed(
                f"the deadline passed after {len(results)} of {len(request.requests)} lots; "
                "re-send the batch with the same request_ids to create the rest"
            )
        return api.BatchCreateAvailabilitiesResponse(results=results)

    def create_each(
        self,
        who: Principal,
        requests: list[api.CreateAvailabilityRequest],
        deadline: Deadline | None = None,
        ended: threading.Event | None = None,
    ) -> list[api.BatchCreateResult]:
        """Each lot in its own transaction, exactly as CreateAvailability would create it.

        Items use the CreateAvailability idempotency scope, so re-sending a batch (or sending
        an item alone) with the same request_id returns the first result and writes nothing.
        Returns the results of the lots it got to: fewer than asked when the call ended.
        """
        results = []
        for item in requests:
            if (ended is not None and ended.is_set()) or (
                deadline is not None and deadline.passed()
            ):
                break
            results.append(self.create_one(who, item, deadline))
        return results

    def create_one(
        self, who: Principal, item: api.CreateAvailabilityRequest, deadline: Deadline | None
    ) -> api.BatchCreateResult:
        try:
            key = request_key(who, "CreateAvailability", item, item.request_id)
            outcome = self.services.lots.create(
                who, draft_from_proto(item.availability), key, deadline
            )
        except DomainError as exc:
            violations = exc.violations if isinstance(exc, InvalidArgument) else []
            return api.BatchCreateResult(
                code=code_for(exc).value[0],
                message=exc.message,
                reason=exc.reason,
                field_violations=[f"{v.field}: {v.description}" for v in violations],
            )
        assert outcome.availability is not None
        return api.BatchCreateResult(availability=availability_to_pb(outcome.availability, who))
