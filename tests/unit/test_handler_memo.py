"""The interceptors wrap a method's handler once, not on every call, and anew when it changes."""

from __future__ import annotations

from typing import Any

import grpc

from availability_service.grpc_api.handler_memo import WrappedOnce


def _handler() -> grpc.RpcMethodHandler:
    async def behaviour(request: Any, context: Any) -> Any:
        return request

    return grpc.unary_unary_rpc_method_handler(behaviour)


def test_the_same_handler_of_a_method_is_wrapped_once() -> None:
    made: list[str] = []

    def wrap(handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        made.append(method)
        return _handler()

    wrapped = WrappedOnce(wrap)
    handler = _handler()
    first = wrapped(handler, "/s/A")
    assert wrapped(handler, "/s/A") is first
    assert wrapped(handler, "/s/B") is not first
    assert wrapped(_handler(), "/s/A") is not first  # a new handler for the method: wrapped anew
    assert made == ["/s/A", "/s/B", "/s/A"]
