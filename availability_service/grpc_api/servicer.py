"""The AvailabilityService servicer: one mixin per feature area.

RPCs that no mixin implements answer UNIMPLEMENTED with a clear message, after the auth
interceptor has checked the caller's role (so role checks are testable for them already).
"""

from __future__ import annotations

from typing import Any, NoReturn

import grpc

from availability_service.grpc_api.batch_rpc import BatchRpcs
from availability_service.grpc_api.holds_rpc import HoldRpcs
from availability_service.grpc_api.locations_rpc import LocationRpcs
from availability_service.grpc_api.lots_rpc import LotRpcs
from availability_service.grpc_api.search_rpc import SearchRpcs
from availability_service.grpc_api.watch_rpc import WatchRpcs
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

_SERVICE = api.DESCRIPTOR.services_by_name["AvailabilityService"]


class AvailabilityServicer(
    LotRpcs,
    BatchRpcs,
    LocationRpcs,
    HoldRpcs,
    WatchRpcs,
    SearchRpcs,
    api_grpc.AvailabilityServiceServicer,
):
    """All implemented RPCs."""


def _unimplemented(name: str, streaming: bool) -> Any:
    message = f"{name} is not built yet in this release (see the README's RPC table)"

    async def unary(self: Any, request: Any, context: grpc.aio.ServicerContext) -> NoReturn:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, message)
        raise AssertionError("unreachable")

    async def stream(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, message)
        yield  # pragma: no cover - makes this an async generator like real streaming RPCs

    return stream if streaming else unary


def unimplemented_methods() -> list[str]:
    """Names of RPCs that still fall through to the generated base class."""
    return [
        m.name
        for m in _SERVICE.methods
        if getattr(AvailabilityServicer, m.name)
        is getattr(api_grpc.AvailabilityServiceServicer, m.name)
    ]


for _name in unimplemented_methods():
    _method = _SERVICE.methods_by_name[_name]
    setattr(AvailabilityServicer, _name, _unimplemented(_name, _method.server_streaming))
