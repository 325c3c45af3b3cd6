"""GenericHandlersOnly: whatever the generated code calls, each service is served once, as
a generic handler, and never as registered methods (grpc_api/server.py says why)."""

from __future__ import annotations

from typing import Any, NamedTuple

import grpc

from availability_service.grpc_api.server import GenericHandlersOnly

SERVICE = "tradedesk.test.v1.Things"


class Details(NamedTuple):
    method: str
    invocation_metadata: Any


class RecordingServer:
    def __init__(self) -> None:
        self.generic: list[grpc.GenericRpcHandler] = []
        self.registered: list[str] = []

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.generic.extend(handlers)

    def add_registered_method_handlers(self, service: str, handlers: Any) -> None:
        self.registered.append(service)


def handlers() -> dict[str, grpc.RpcMethodHandler]:
    return {"Get": grpc.unary_unary_rpc_method_handler(lambda request, context: request)}


def serves(server: RecordingServer, method: str) -> bool:
    details = Details(method, ())
    return any(h.service(details) is not None for h in server.generic)  # type: ignore[arg-type]


def test_code_that_adds_both_ways_is_served_once_as_a_generic_handler() -> None:
    server = RecordingServer()
    adapter = GenericHandlersOnly(server)  # type: ignore[arg-type]
    adapter.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers()),))
    adapter.add_registered_method_handlers(SERVICE, handlers())
    assert server.registered == []
    assert len(server.generic) == 1
    assert serves(server, f"/{SERVICE}/Get")


def test_code_that_only_registers_is_still_served() -> None:
    server = RecordingServer()
    GenericHandlersOnly(server).add_registered_method_handlers(SERVICE, handlers())  # type: ignore[arg-type]
    assert server.registered == []
    assert serves(server, f"/{SERVICE}/Get")
    assert not serves(server, f"/{SERVICE}/Other")
