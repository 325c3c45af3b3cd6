"""A server interceptor's wrapped handlers, made once per method.

grpc.aio asks every interceptor for the handler of each call, and the same handler object
comes back for a method every time: wrapping it anew per call cost closures and handler
objects on the hot path for nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc

Wrap = Callable[[grpc.RpcMethodHandler, str], grpc.RpcMethodHandler]


class WrappedOnce:
    """`wrap(handler, method)`, remembered while the method's handler stays the same."""

    def __init__(self, wrap: Wrap) -> None:
        self._wrap = wrap
        self._made: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def __call__(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        known = self._made.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        wrapped = self._wrap(handler, method)
        self._made[method] = (handler, wrapped)
        return wrapped
