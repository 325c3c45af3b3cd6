"""The transport limit: a bare grpc.aio server answering the service's method paths with fixed
bytes (no auth, no parsing, no database), same ports and worker model as `serve --workers N`.

Unary methods reply with the bytes of a real response; WatchAvailabilities pushes the real
event message `--stream-count` times (taken from the request's start_revision when set).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import grpc

SERVICE = "tradedesk.availability.v1.AvailabilityService"
UNARY = ("GetAvailability", "CreateAvailability", "SearchAvailabilities", "ReserveAvailability")


def _handlers(reply: bytes, stream_count: int) -> grpc.GenericRpcHandler:
    async def unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return reply

    async def stream(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        for _ in range(stream_count):
            yield reply

    # No (de)serializers: requests and replies stay raw bytes, the cheapest a server can be.
    methods = {name: grpc.unary_unary_rpc_method_handler(unary) for name in UNARY}
    methods["WatchAvailabilities"] = grpc.unary_stream_rpc_method_handler(stream)
    return grpc.method_handlers_generic_handler(SERVICE, methods)


async def _serve(address: str, reply: bytes, stream_count: int, reuse: bool) -> None:
    server = grpc.aio.server(options=[("grpc.so_reuseport", 1 if reuse else 0)])
    server.add_generic_rpc_handlers((_handlers(reply, stream_count),))
    server.add_insecure_port(address)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(grace=1.0)


def _child(address: str, reply: bytes, stream_count: int, reuse: bool) -> None:
    asyncio.run(_serve(address, reply, stream_count, reuse))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--reply", required=True, help="file with the serialized reply")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--stream-count", type=int, default=100)
    args = parser.parse_args()
    reply = Path(args.reply).read_bytes()
    if args.workers == 1:
        _child(args.address, reply, args.stream_count, False)
        return
    ctx = multiprocessing.get_context("spawn")
    children = [
        ctx.Process(target=_child, args=(args.address, reply, args.stream_count, True))
        for _ in range(args.workers)
    ]
    for child in children:
        child.start()

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.pid and child.is_alive():
                child.terminate()

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        child.join()


if __name__ == "__main__":
    main()
