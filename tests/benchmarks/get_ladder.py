"""A ladder of grpc.aio servers between the bare echo and GetAvailability, each a real process
under the same h2load load, measured in alternating rounds: where does a Get's CPU go?

    python -m tests.benchmarks.get_ladder [--seconds S] [--concurrency C] [--rounds N]
                                          [--rungs echo,codec,...]

Rungs (each adds one thing to the one before, up to the real service):
  echo        generic handler, raw bytes in and out (tests/benchmarks/echo.py's server)
  codec       registered method handler, the request parsed, the reply passed through
              (GetAvailability's own registration, grpc_api/pre_serialized.py)
  intercept   + two pass-through aio interceptors (the service has two)
  suspend     + one `await` of a future resolved by loop.call_soon (a Get's probe wait)
  service     `availability-service serve`, the real GetAvailability
  no_probe    the service with the probe's wait answered at once once the cache has a
              revision (UNSAFE: a bound only, never a build)
  no_gc       the service with the garbage collector off (a bound)
  no_log      the service without the access-log interceptor (a bound)
  base        the service from another checkout (`--base DIR`, e.g. `git archive` of main
              unpacked there): before and after a change, in the same alternating rounds

The figure per rung is the server process's CPU (all its threads, /proc/<pid>/stat) per
completed call, the least noisy measure on a shared machine, next to its req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc

from tests.benchmarks import env
from tests.benchmarks.context import BUYER, active_lot, call
from tests.benchmarks.get_profile import cpu_seconds
from tests.benchmarks.load import grpc_body, run_load
from tests.benchmarks.unary import READS_UNLIMITED
from tradedesk.availability.v1 import availability_service_pb2 as api

SERVICE = "tradedesk.availability.v1.AvailabilityService"
BARE = ("echo", "codec", "intercept", "suspend")
RUNGS = (*BARE, "service", "no_probe", "no_gc", "no_log", "base")


class _PassThrough(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        return await continuation(details)


async def _serve_bare(rung: str, address: str, reply: bytes) -> None:
    interceptors = [_PassThrough(), _PassThrough()] if rung in ("intercept", "suspend") else []
    server = grpc.aio.server(interceptors=interceptors)
    loop = asyncio.get_running_loop()

    async def echo(request: Any, context: grpc.aio.ServicerContext) -> bytes:
        return reply

    async def suspended(request: Any, context: grpc.aio.ServicerContext) -> bytes:
        done: asyncio.Future[None] = loop.create_future()
        loop.call_soon(done.set_result, None)
        await done
        return reply

    if rung == "echo":
        handlers = {"GetAvailability": grpc.unary_unary_rpc_method_handler(echo)}
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    else:
        behaviour = suspended if rung == "suspend" else echo
        handler = grpc.unary_unary_rpc_method_handler(
            behaviour,
            request_deserializer=api.GetAvailabilityRequest.FromString,
            response_serializer=lambda message: message,
        )
        server.add_registered_method_handlers(SERVICE, {"GetAvailability": handler})
    server.add_insecure_port(address)
    await server.start()
    await server.wait_for_termination()


def _patched_serve(patch: str, argv: list[str]) -> None:
    """`availability-service serve` with one throwaway patch (a bound, never a build)."""
    if patch == "no_probe":
        from availability_service.grpc_api import lot_reads

        probed = lot_reads.SharedProbe.caught_up

        async def once(self: Any, arrived: int) -> bool:
            # Probes until the cache has a revision (lots can be kept), then never again.
            return True if self._cache.revision is not None else await probed(self, arrived)

        lot_reads.SharedProbe.caught_up = once  # type: ignore[method-assign]  # bound only
    if patch == "no_gc":
        import gc

        gc.disable()  # tune_collector collects and freezes, but never enables it again
    if patch == "no_log":
        from availability_service.grpc_api import server

        server.AccessLogInterceptor = _PassThrough  # type: ignore[assignment,misc]  # bound only
    from availability_service.cli import main

    sys.argv = ["availability-service", *argv]
    main()


def _process(rung: str, db: env.Database, folder: Path, reply_file: Path, base: str) -> env.Process:
    me = [sys.executable, "-m", "tests.benchmarks.get_ladder"]
    if rung in BARE:
        argv = [*me, "--serve", rung, "--address", "{address}", "--reply", str(reply_file)]
        return env.Process(argv, folder, rung)
    rung, _, setting = rung.partition("@")  # service@NAME=VALUE: that environment too
    extra = {**READS_UNLIMITED, **({"PYTHONPATH": base} if rung == "base" else {})}
    if setting:
        name, _, value = setting.partition("=")
        extra[name] = value
    proc = env.service(db, folder, extra_env=extra)
    if rung not in ("service", "base"):
        proc.argv = [*me, "--patch", rung, "--", *proc.argv[3:]]
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rungs", default=",".join(RUNGS[:-1]))
    parser.add_argument("--base", default="", help="checkout holding the base rung's package")
    parser.add_argument("--serve", choices=BARE, help=argparse.SUPPRESS)
    parser.add_argument("--patch", help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    parser.add_argument("--reply", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.serve:
        asyncio.run(_serve_bare(args.serve, args.address, Path(args.reply).read_bytes()))
        return
    if args.patch:
        _patched_serve(args.patch, [a for a in rest if a != "--"])
        return
    rungs = args.rungs.split(",")
    folder = Path(tempfile.mkdtemp(prefix="get-ladder-"))
    db = env.start_database(folder)
    with env.service(db, folder, extra_env=READS_UNLIMITED) as s:
        request = api.GetAvailabilityRequest(name=active_lot(s.address).name)
        reply = call(s.address, "GetAvailability", request, BUYER).SerializeToString()
    reply_file = folder / "reply.bin"
    reply_file.write_bytes(reply)
    body = grpc_body(request)
    figures: dict[str, list[tuple[float, float]]] = {rung: [] for rung in rungs}
    for n in range(args.rounds):
        order = rungs if n % 2 == 0 else rungs[::-1]
        for rung in order:
            with _process(rung, db, folder, reply_file, args.base) as proc:
                run_load(proc.address, "GetAvailability", body, BUYER, args.concurrency, 1, 0)
                before = cpu_seconds(proc.pid)
                result = run_load(
                    proc.address,
                    "GetAvailability",
                    body,
                    BUYER,
                    args.concurrency,
                    args.seconds,
                    len(reply),
                ).summary()
                used = cpu_seconds(proc.pid) - before
            rps = float(result["ok_rps"])
            ms = used * 1000 / max(rps * result["duration_s"], 1.0)
            figures[rung].append((rps, ms))
            print(f"round {n} {rung:10} {rps:8.1f} req/s {ms:.3f} ms CPU/call", flush=True)
    print(f"load average {os.getloadavg()}")
    for rung in rungs:
        rows = figures[rung]
        rps = sorted(r for r, _ in rows)[len(rows) // 2]
        ms = sorted(m for _, m in rows)[len(rows) // 2]
        print(f"{rung:10} median {rps:8.1f} req/s {ms:.3f} ms CPU/call")


if __name__ == "__main__":
    main()
