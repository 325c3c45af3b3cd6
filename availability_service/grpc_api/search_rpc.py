"""Search RPCs: SearchAvailabilities, ListSimilarAvailabilities, GetNegotiationReadiness."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from availability_service.auth.principal import Principal
from availability_service.grpc_api.lot_output import availability_to_pb
from availability_service.grpc_api.rpc_base import RpcBase, principal, rpc
from availability_service.grpc_api.search_input import search_query
from availability_service.intelligence import Factor
from availability_service.service_layer.insight import InsightService
from availability_service.service_layer.search import SearchHit, SearchService
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2

Ctx: TypeAlias = grpc.aio.ServicerContext

_DETAILS = {
    "vector": "feature-embedding similarity to the request, (cosine + 1) / 2",
    "quality": "mean closeness to the quality targets, 1 on target, 0 at the tolerance edge",
    "price": "1 - 0.5 price / max_price up to max_price, then down to 0 at the tolerance",
    "confidence": "confidence of the lot's price check (grows with comparable lots)",
    "approved": "1 once an ADMIN approved the lot",
    "quantity_available": "available / total quantity",
    "price_in_band": "1 inside the market band, 0 one band-width outside it",
    "quality_completeness": "share of the catalog's quality parameters reported",
    "time_left": "1 with 72 h or more before valid_until, 0 once expired",
    "seller_hold_load": "1 - the seller's open hold quantity over its recent holds",
}


def factor_to_pb(factor: Factor, hit: SearchHit | None = None) -> search_pb2.ScoreFactor:
    detail = _DETAILS.get(factor.name, "")
    if factor.name == "distance" and hit is not None and hit.distance_km is not None:
        detail = f"{hit.distance_km:.3f} km away; exp decay, 0.5 at the radius"
    return search_pb2.ScoreFactor(
        name=factor.name,
        weight=factor.weight,
        value=factor.value,
        contribution=factor.contribution,
        detail=detail,
    )


def search_result_pb(
    hit: SearchHit, who: Principal, lot: pb.Availability | None = None
) -> search_pb2.SearchResult:
    """One hit as SearchAvailabilities and WatchSearch return it (`lot`: the hit's lot already
    converted for `who`, to reuse a shared conversion)."""
    result = search_pb2.SearchResult(
        availability=availability_to_pb(hit.availability, who) if lot is None else lot,
        score=hit.score,
        breakdown=[factor_to_pb(f, hit) for f in hit.breakdown],
    )
    if hit.distance_km is not None:
        result.distance_km = hit.distance_km
    return result


class SearchRpcs(RpcBase):
    @property
    def search_service(self) -> SearchService:
        return self.services.search

    @property
    def insight_service(self) -> InsightService:
        return self.services.insight

    @rpc
    async def SearchAvailabilities(
        self, request: api.SearchAvailabilitiesRequest, context: Ctx
    ) -> api.SearchAvailabilitiesResponse:
        query, violations = search_query(request)
        violations.raise_if_any()
        who = principal()
        page = await self.offload(context, self.search_service.search, who, query)
        response = api.SearchAvailabilitiesResponse(
            next_page_token=page.next_page_token, revision=page.revision
        )
        response.results.extend(search_result_pb(hit, who) for hit in page.results)
        return response

    @rpc
    async def ListSimilarAvailabilities(
        self, request: api.ListSimilarAvailabilitiesRequest, context: Ctx
    ) -> api.ListSimilarAvailabilitiesResponse:
        who = principal()
        similar = await self.offload(
            context, self.insight_service.similar, who, request.name, request.page_size
        )
        return api.ListSimilarAvailabilitiesResponse(
            results=[
                search_pb2.SimilarAvailability(
                    availability=availability_to_pb(s.availability, who),
                    similarity=s.similarity,
                    same_commodity=s.same_commodity,
                )
                for s in similar
            ]
        )

    @rpc
    async def GetNegotiationReadiness(
        self, request: api.GetNegotiationReadinessRequest, context: Ctx
    ) -> api.GetNegotiationReadinessResponse:
        result = await self.offload(
            context, self.insight_service.readiness, principal(), request.name
        )
        return api.GetNegotiationReadinessResponse(
            name=result.name,
            score=result.score,
            ready=result.ready,
            factors=[factor_to_pb(f) for f in result.factors],
        )
