"""A ladder of grpc.aio servers between the bare echo and GetAvailability, each a real process
under the same h2load load, measured in alternating rounds: where does a Get's CPU go?

    python -m tests.benchmarks.get_ladder [--seconds S] [--concurrency C] [--rounds N]
                                          [--rungs echo,codec,...] [--turns]

Rungs (each adds one thing to the one before, up to the real service):
  echo        generic handler, raw bytes in and out (tests/benchmarks/echo.py's server)
  echo_opts   the echo with the service's server options (message limits, keepalive, age)
  codec       registered method handler, the request parsed, the reply passed through
              (GetAvailability's own registration, grpc_api/pre_serialized.py)
  intercept   + two pass-through aio interceptors (the service has two)
  suspend     + one `await` of a future resolved by loop.call_soon (a Get's probe wait)
  shared      + 64 calls wait on ONE future, set by a timer 0.3 ms after its first waiter
              (the shared probe's shape without the database)
  shared_shield  the same, each waiter through asyncio.shield as the service waits
  service     `availability-service serve`, the real GetAvailability
  no_probe    the service with the probe's wait answered at once once the cache has a
              revision (UNSAFE: a bound only, never a build)
  no_gc       the service with the garbage collector off (a bound)
  cprofile    the service under cProfile, its stats written to LADDER_PROFILE (default
              /tmp/get.prof) at exit: call counts per Get, not times
  echo_in_service  the service process answering GetAvailability as the echo does (no
              interceptors, a generic handler returning the reply bytes): what the process
              itself (imports, heap, background tasks) costs per call (a bound)
  no_log      the service without the access-log interceptor (a bound)
  no_get      the service with the Get's body replaced by its reply bytes: the interceptors
              and the rpc wrapper only (a bound)
  pace        the service with a probe that follows another in the same run of the probe
              task sent no sooner than LADDER_PACE_MS after it (`pace@LADDER_PACE_MS=3`; a
              bound of batching by time: it delays calls under load)
  hold        the service with the probe held while Gets that arrived have not reached its
              wait yet, up to LADDER_HOLD_MS (a bound of batching the calls already inside)
  base        the service from another checkout (`--base DIR`: `git archive <commit>
              availability_service tests` unpacked there), started in that directory so
              `python -m` imports its package: before and after a change, in the same
              alternating rounds. Compare rounds pairwise (each round's base against the
              rung beside it): eight rounds of 3 s separate about 5 % on this machine.

The figure per rung is the server process's CPU (all its threads, /proc/<pid>/stat) per
completed call, the least noisy measure on a shared machine, next to its req/s and h2load's
latency. `--turns` adds, per call, the event loop's turns and the lot cache's probes (counted
in the server process) and each thread's user and system CPU (the loop's thread, grpc's
event_engine threads, the rest).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import types
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
BARE = ("echo", "echo_opts", "codec", "intercept", "suspend", "shared", "shared_shield")
RUNGS = (*BARE, "service", "echo_in_service", "no_probe", "no_gc", "no_log", "base")


class _PassThrough(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        return await continuation(details)


async def _serve_bare(rung: str, address: str, reply: bytes) -> None:
    interceptors = [_PassThrough(), _PassThrough()] if rung not in BARE[:3] else []
    options: list[tuple[str, int]] = []
    if rung == "echo_opts":
        from availability_service.config import Settings
        from availability_service.grpc_api.server import transport_options

        limit = Settings().max_message_bytes
        options = [
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", limit),
            ("grpc.so_reuseport", 0),
            *transport_options(Settings()),
        ]
    server = grpc.aio.server(interceptors=interceptors, options=options)
    loop = asyncio.get_running_loop()

    async def echo(request: Any, context: grpc.aio.ServicerContext) -> bytes:
        return reply

    async def suspended(request: Any, context: grpc.aio.ServicerContext) -> bytes:
        done: asyncio.Future[None] = loop.create_future()
        loop.call_soon(done.set_result, None)
        await done
        return reply

    shared: list[asyncio.Future[None]] = []

    def release() -> None:
        shared.pop().set_result(None)

    async def batched(request: Any, context: grpc.aio.ServicerContext) -> bytes:
        # The probe's shape without the database: every call waits on one future, set by a
        # timer 0.3 ms after its first waiter (about one probe's round trip).
        if not shared:
            shared.append(loop.create_future())
            loop.call_later(0.0003, release)
        waited = shared[0]
        await (asyncio.shield(waited) if rung == "shared_shield" else waited)
        return reply

    if rung in ("echo", "echo_opts"):
        handlers = {"GetAvailability": grpc.unary_unary_rpc_method_handler(echo)}
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    else:
        behaviour = {"suspend": suspended, "shared": batched, "shared_shield": batched}.get(
            rung, echo
        )
        handler = grpc.unary_unary_rpc_method_handler(
            behaviour,
            request_deserializer=api.GetAvailabilityRequest.FromString,
            response_serializer=lambda message: message,
        )
        server.add_registered_method_handlers(SERVICE, {"GetAvailability": handler})
    server.add_insecure_port(address)
    await server.start()
    await server.wait_for_termination()


def _count_turns(path: str) -> None:
    """Counts the event loop's turns (and the lot cache's probes) in this process, written to
    `path` every 0.1 s so the parent reads them before and after a load run, as it reads the
    CPU: how many loop turns, each one poll of the selector, a call costs."""
    import threading
    import time

    counts = [0, 0]
    turn = asyncio.base_events.BaseEventLoop._run_once  # type: ignore[attr-defined]

    def counted(self: Any) -> None:
        counts[0] += 1
        turn(self)

    asyncio.base_events.BaseEventLoop._run_once = counted  # type: ignore[attr-defined]
    try:
        from availability_service.storage import loop_probe

        probe = loop_probe.LoopChangeProbe.changes_since

        async def probed(self: Any, after: int, limit: int) -> Any:
            counts[1] += 1
            return await probe(self, after, limit)

        loop_probe.LoopChangeProbe.changes_since = probed  # type: ignore[method-assign,assignment]
    except ImportError:  # pragma: no cover  # a base checkout without the loop probe
        pass

    def write() -> None:
        while True:
            Path(f"{path}.new").write_text(f"{counts[0]} {counts[1]}")
            Path(f"{path}.new").replace(path)  # whole: the parent never reads half a write
            time.sleep(0.1)

    threading.Thread(target=write, daemon=True).start()


def _threads(pid: int) -> dict[str, tuple[float, float]]:
    """User and system CPU seconds by thread name (the loop's, grpc's poller, the pool)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, tuple[float, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            head, _, rest = (task / "stat").read_text().rpartition(")")
        except OSError:
            continue
        name = head.partition("(")[2]
        name = "loop" if task.name == str(pid) else name  # the main thread runs the loop
        fields = rest.split()
        user, system = out.get(name, (0.0, 0.0))
        out[name] = (user + int(fields[11]) / tick, system + int(fields[12]) / tick)
    return out


def _turns(folder: Path, rung: str) -> tuple[int, int]:
    try:
        turns, probes = (folder / f"turns-{rung}").read_text().split()
    except (OSError, ValueError):
        return 0, 0
    return int(turns), int(probes)


def _replace_sleep(module: Any, sleep: Callable[[float], Awaitable[None]]) -> None:
    """`module`'s asyncio with `sleep` replaced (the probe's turn before it is sent)."""
    patched = types.ModuleType(f"{module.__name__}_asyncio")
    patched.__dict__.update(vars(asyncio))
    patched.sleep = sleep  # type: ignore[attr-defined]  # bound only
    setattr(module, "asyncio", patched)  # noqa: B010  # bound only


def _patched_serve(patch: str, argv: list[str]) -> None:
    """`availability-service serve` with one throwaway patch (a bound, never a build)."""
    if patch == "no_probe":
        from availability_service.grpc_api import lot_reads

        probed = lot_reads.SharedProbe.caught_up

        async def once(self: Any, arrived: int) -> bool:
            # Probes until the cache has a revision (lots can be kept), then never again.
            return True if self._cache.revision is not None else await probed(self, arrived)

        lot_reads.SharedProbe.caught_up = once  # type: ignore[method-assign]  # bound only
    if patch == "pace":
        # At most one probe per LADDER_PACE_MS (a bound of batching: it delays waiting calls).
        from availability_service.grpc_api import lot_reads

        # Only a probe that follows another in the same run of the probe task (its calls
        # came while one was out: load) is spaced; one that starts the task goes at once.
        pace = float(os.environ.get("LADDER_PACE_MS", "1")) / 1000
        spaced = lot_reads.asyncio.sleep
        last: list[Any] = [0.0, None]

        async def paced(delay: float) -> None:
            loop = asyncio.get_running_loop()
            task = asyncio.current_task()
            wait = last[0] + pace - loop.time() if task is last[1] else 0.0
            await spaced(max(wait, 0.0))
            last[:] = [loop.time(), task]

        _replace_sleep(lot_reads, paced)
    if patch == "hold":
        # Holds a probe while Gets that arrived are still on their way to its wait (up to
        # LADDER_HOLD_MS): a bound of batching the calls already inside the server.
        import weakref

        from availability_service.grpc_api import access_log, lot_reads

        cap = float(os.environ.get("LADDER_HOLD_MS", "2")) / 1000
        approaching: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        marked = access_log.arrival.mark_arrival

        def mark() -> None:
            marked()
            task = asyncio.current_task()
            if task is not None:
                approaching.add(task)

        held = types.ModuleType("held_arrival")
        held.mark_arrival = mark  # type: ignore[attr-defined]  # bound only
        setattr(access_log, "arrival", held)  # noqa: B010  # bound only
        waiting = lot_reads.SharedProbe.caught_up

        async def caught_up(self: Any, arrived: int) -> bool:
            approaching.discard(asyncio.current_task())  # type: ignore[arg-type]
            return await waiting(self, arrived)

        lot_reads.SharedProbe.caught_up = caught_up  # type: ignore[method-assign]

        async def hold(delay: float) -> None:
            loop = asyncio.get_running_loop()
            until = loop.time() + cap
            await asyncio.sleep(0)
            while loop.time() < until and any(not t.done() for t in approaching):
                await asyncio.sleep(0)

        _replace_sleep(lot_reads, hold)
    if patch == "no_get":
        # The Get's body replaced by the reply bytes: what is left is the interceptors (auth,
        # rate limit, access log, span) and the rpc wrapper (a bound, never a build).
        from availability_service.grpc_api import lot_reads

        reply = b""

        async def at_once(
            self: Any, rpc: Any, context: Any, who: Any, name: str, full: bool
        ) -> Any:
            nonlocal reply
            if not reply:
                answer = await answered(self, rpc, context, who, name, full)
                reply = answer if isinstance(answer, bytes) else b""
                return answer
            return reply

        answered = lot_reads.LotReads.reply
        lot_reads.LotReads.reply = at_once  # type: ignore[method-assign]  # bound only
    if patch == "cprofile":
        # Deterministic call counts per Get (cProfile slows Python, so its times are only
        # shares): the stats are written at exit, or on SIGUSR1, to LADDER_PROFILE.
        import atexit
        import cProfile
        import signal

        profiler = cProfile.Profile()
        out = os.environ.get("LADDER_PROFILE", "/tmp/get.prof")

        def dump(*_: Any) -> None:
            profiler.disable()
            profiler.dump_stats(out)

        signal.signal(signal.SIGUSR1, dump)
        atexit.register(dump)
        profiler.enable()
    if patch == "no_gc":
        import gc

        gc.disable()  # tune_collector collects and freezes, but never enables it again
    if patch == "echo_in_service":
        # The whole service process (its imports, heap, background tasks and database
        # connections) serving GetAvailability as the bare echo does: no interceptors, a
        # generic handler answering the reply bytes. Against `echo`: what the process costs;
        # against `service`: what the call's own code costs (a bound, never a build).
        from availability_service.grpc_api import server

        reply = Path(os.environ["LADDER_REPLY"]).read_bytes()

        async def echoed(request: Any, context: Any) -> bytes:
            return reply

        def bare(servicer: Any) -> dict[str, grpc.RpcMethodHandler]:
            return {"GetAvailability": grpc.unary_unary_rpc_method_handler(echoed)}

        server.pre_serialized_handlers = bare  # bound only
        server.AccessLogInterceptor = _PassThrough  # type: ignore[misc]  # bound only
        real_server = grpc.aio.server

        def uninterrupted(*args: Any, **kwargs: Any) -> grpc.aio.Server:
            kwargs.pop("interceptors", None)
            return real_server(*args, **kwargs)

        server.grpc.aio.server = uninterrupted  # bound only
    if patch == "no_log":
        from availability_service.grpc_api import server

        server.AccessLogInterceptor = _PassThrough  # type: ignore[misc]  # bound only
    from availability_service.cli import main

    sys.argv = ["availability-service", *argv]
    main()


def _checkout(base: str) -> str:
    """The base checkout's directory, refused unless it holds the package (and, for the
    ladder's own patches, tests/): a missing one would silently run this checkout."""
    root = Path(base).resolve()
    for needed in ("availability_service/__init__.py", "tests/benchmarks/get_ladder.py"):
        if not (root / needed).is_file():
            raise SystemExit(f"--base {base}: no {needed} (unpack `git archive <commit>` there)")
    return str(root)


def _process(
    rung: str, db: env.Database, folder: Path, reply_file: Path, base: str, turns: bool
) -> env.Process:
    me = [sys.executable, "-m", "tests.benchmarks.get_ladder"]
    counting = {"LADDER_TURNS": str(folder / f"turns-{rung}")} if turns else {}
    if rung in BARE:
        argv = [*me, "--serve", rung, "--address", "{address}", "--reply", str(reply_file)]
        return env.Process(argv, folder, rung, counting)
    name = rung
    rung, _, setting = rung.partition("@")  # service@NAME=VALUE: that environment too
    extra = dict(READS_UNLIMITED)
    extra["LADDER_REPLY"] = str(reply_file)
    extra.update({"LADDER_TURNS": str(folder / f"turns-{name}")} if turns else {})
    if setting:
        name, _, value = setting.partition("=")
        extra[name] = value
    proc = env.service(db, folder, extra_env=extra)
    if rung == "base":
        # Run from the base checkout: `python -m` imports from the working directory first
        # (PYTHONPATH alone still ran this checkout's package, before 2 December 21:30 UTC).
        proc.cwd = _checkout(base)
    if rung not in ("service", "base") or turns:
        proc.argv = [*me, "--patch", rung, "--", *proc.argv[3:]]
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rungs", default=",".join(RUNGS[:-1]))
    parser.add_argument("--base", default="", help="checkout holding the base rung's package")
    parser.add_argument("--turns", action="store_true", help="count event-loop turns per call")
    parser.add_argument("--serve", choices=BARE, help=argparse.SUPPRESS)
    parser.add_argument("--patch", help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    parser.add_argument("--reply", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if os.environ.get("LADDER_TURNS"):
        _count_turns(os.environ["LADDER_TURNS"])
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
            with _process(rung, db, folder, reply_file, args.base, args.turns) as proc:
                run_load(proc.address, "GetAvailability", body, BUYER, args.concurrency, 1, 0)
                before, turned = cpu_seconds(proc.pid), _turns(folder, rung)
                threads = _threads(proc.pid)
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
                after = _threads(proc.pid)
                time.sleep(0.2)  # the counts' next write
                now = _turns(folder, rung)
                turned = (now[0] - turned[0], now[1] - turned[1])
            rps = float(result["ok_rps"])
            calls = max(rps * result["duration_s"], 1.0)
            ms = used * 1000 / calls
            figures[rung].append((rps, ms))
            counted = ""
            if args.turns:
                counted = f" {turned[0] / calls:.2f} turns/call {turned[1] / calls:.2f} probes/call"
            for name, (user, system) in sorted(after.items()):
                user -= threads.get(name, (0.0, 0.0))[0]
                system -= threads.get(name, (0.0, 0.0))[1]
                if args.turns and user + system > 0.02:
                    counted += f" | {name} u{user * 1000 / calls:.3f} s{system * 1000 / calls:.3f}"
            counted = f" p50 {result['p50_ms']:.2f} ms p99 {result['p99_ms']:.2f} ms" + counted
            print(
                f"round {n} {rung:10} {rps:8.1f} req/s {ms:.3f} ms CPU/call" + counted,
                flush=True,
            )
    print(f"load average {os.getloadavg()}")
    for rung in rungs:
        rows = figures[rung]
        rps = sorted(r for r, _ in rows)[len(rows) // 2]
        ms = sorted(m for _, m in rows)[len(rows) // 2]
        print(f"{rung:10} median {rps:8.1f} req/s {ms:.3f} ms CPU/call")


if __name__ == "__main__":
    main()
