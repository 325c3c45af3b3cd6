"""A call's arrival is numbered by the outermost interceptor, in the call's own task, before
its handler runs: the lot cache orders its probes against that number (grpc_api.arrival), so
the handler must see the number drawn when grpc first handed the call over, not a later one.
"""

from __future__ import annotations

from typing import Any

import grpc

from availability_service.grpc_api import arrival
from availability_service.grpc_api.access_log import AccessLogInterceptor

SERVICE = "test.Arrival"


async def _arrivals_seen_by_handlers(calls: int) -> list[tuple[int, int, int]]:
    """(arrival seen twice by the handler, a number drawn in the handler) per call."""

    async def handler(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        first, again, now = arrival.arrival(), arrival.arrival(), arrival.draw()
        return f"{first} {again} {now}".encode()

    server = grpc.aio.server(interceptors=[AccessLogInterceptor()])
    methods = {"Mark": grpc.unary_unary_rpc_method_handler(handler)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, methods),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            mark: Any = channel.unary_unary(f"/{SERVICE}/Mark")
            replies = [await mark(b"", timeout=10) for _ in range(calls)]
    finally:
        await server.stop(None)
    return [tuple(int(n) for n in reply.split()) for reply in replies]  # type: ignore[misc]


async def test_a_handler_sees_the_number_drawn_as_its_call_reached_the_server() -> None:
    seen = await _arrivals_seen_by_handlers(3)
    for first, again, now in seen:
        assert first == again  # drawn once, by the interceptor, not on asking
        assert first < now
    arrivals = [first for first, _, _ in seen]
    assert arrivals == sorted(set(arrivals))  # each call its own, in the order they came
