"""BatchCreateAvailabilities: many lots in one call, each created (or refused) on its own."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from availability_service.auth.principal import Principal
from availability_service.domain.errors import DomainError, InvalidArgument
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
        results = await self.offload(context, self.create_each, principal(), request.requests)
        return api.BatchCreateAvailabilitiesResponse(results=results)

    def create_each(
        self,
        who: Principal,
        requests: list[api.CreateAvailabilityRequest],
        timeout: float | None = None,
    ) -> list[api.BatchCreateResult]:
        """Each lot in its own transaction, exactly as CreateAvailability would create it.

        Items use the CreateAvailability idempotency scope, so re-sending a batch (or sending
        an item alone) with the same request_id returns the first result and writes nothing.
        """
        results = []
        for item in requests:
            try:
                key = request_key(who, "CreateAvailability", item, item.request_id)
                outcome = self.services.lots.create(
                    who, draft_from_proto(item.availability), key, timeout
                )
            except DomainError as exc:
                violations = exc.violations if isinstance(exc, InvalidArgument) else []
                results.append(
                    api.BatchCreateResult(
                        code=code_for(exc).value[0],
                        message=exc.message,
                        reason=exc.reason,
                        field_violations=[f"{v.field}: {v.description}" for v in violations],
                    )
                )
                continue
            assert outcome.availability is not None
            results.append(
                api.BatchCreateResult(availability=availability_to_pb(outcome.availability, who))
            )
        return results
