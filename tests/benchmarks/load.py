"""Unary load from another process: h2load with a pre-encoded gRPC body, or a multi-process
Python client (grpc.aio, raw bytes) when h2load is not installed.

gRPC over HTTP/2 is a POST to /package.Service/Method with content-type application/grpc and a
5-byte prefix (compressed flag + big-endian length) before the serialized request. h2load only
sees HTTP 200; a failed call is a trailers-only response with no body, so the body bytes
received tell how many calls returned a real message (`ok`), and the caller checks grpc-status
on a sample with a real client.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc

SERVICE = "tradedesk.availability.v1.AvailabilityService"
APT_HINT = "apt-get update && apt-get install -y nghttp2-client"


def grpc_body(message: Any) -> bytes:
    data: bytes = message.SerializeToString()
    return b"\x00" + len(data).to_bytes(4, "big") + data


def have_h2load() -> bool:
    return shutil.which("h2load") is not None


@dataclass
class LoadResult:
    """One load run: completed calls, calls with a real reply, throughput and latencies."""

    tool: str
    concurrency: int
    duration_s: float
    done: int
    ok: int
    rps: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    def percentile(self, p: float) -> float | None:
        if not self.latencies_ms:
            return None
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(p / 100 * len(data)))]

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "latencies_ms"}
        out["ok_rps"] = round(self.rps * (self.ok / self.done), 1) if self.done else 0.0
        out["p50_ms"] = self.percentile(50)
        out["p99_ms"] = self.percentile(99)
        out["mean_ms"] = statistics.fmean(self.latencies_ms) if self.latencies_ms else None
        return out


def run_load(
    address: str,
    method: str,
    body: bytes,
    token: str,
    concurrency: int,
    seconds: float,
    reply_size: int,
    prefer_h2load: bool = True,
    threads: int = 1,
) -> LoadResult:
    """concurrency = h2load clients x streams; reply_size = bytes of one good reply message;
    threads = h2load's threads (the clients are split between them)."""
    if prefer_h2load and have_h2load():
        return _h2load(address, method, body, token, concurrency, seconds, reply_size, threads)
    return python_load(address, method, body, token, concurrency, seconds)


def _h2load(
    address: str,
    method: str,
    body: bytes,
    token: str,
    concurrency: int,
    seconds: float,
    reply_size: int,
    threads: int = 1,
) -> LoadResult:
    # Several connections (like several client processes), each with a few concurrent streams.
    clients = max(1, min(concurrency, 16))
    streams = max(1, concurrency // clients)
    with tempfile.TemporaryDirectory() as tmp:
        body_file, log_file = Path(tmp) / "body", Path(tmp) / "requests.log"
        body_file.write_bytes(body)
        argv = [
            "h2load",
            f"http://{address}/{SERVICE}/{method}",
            "-d",
            str(body_file),
            "-H",
            "content-type: application/grpc",
            "-H",
            "te: trailers",
            "-H",
            f"authorization: Bearer {token}",
            "-c",
            str(clients),
            "-m",
            str(streams),
            "-t",
            str(max(1, min(threads, clients))),
            "-D",
            str(int(max(1, seconds))),
            "--warm-up-time",
            "1",
            "--log-file",
            str(log_file),
        ]
        out = subprocess.run(
            argv, capture_output=True, text=True, timeout=seconds + 60, check=False
        ).stdout
        latencies = []
        for line in log_file.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3:
                latencies.append(int(parts[2]) / 1000.0)  # start_us, status, elapsed_us
    finished = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out)
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done", out)
    data = re.search(r"\((\d+)\) data", out)
    if not (finished and done and data):
        raise RuntimeError(f"unexpected h2load output:\n{out}")
    n_done = int(done.group(1))
    # Each good reply is 5 prefix bytes + the message; failed calls carry no body at all.
    ok = min(n_done, round(int(data.group(1)) / (reply_size + 5))) if reply_size else n_done
    elapsed = float(finished.group(1)) / (1000 if finished.group(2) == "ms" else 1)
    return LoadResult(
        "h2load", clients * streams, elapsed, n_done, ok, float(finished.group(3)), latencies
    )


async def _client(
    address: str,
    path: str,
    body: bytes,
    metadata: list[tuple[str, str]],
    tasks: int,
    seconds: float,
) -> tuple[int, int, list[float]]:
    # One connection per process (like an h2load client); raw bytes both ways.
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.unary_unary(path)
        ok = done = 0
        latencies: list[float] = []
        deadline = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal ok, done
            while time.monotonic() < deadline:
                start = time.perf_counter()
                try:
                    await call(body, metadata=metadata, timeout=30)
                    ok += 1
                except grpc.RpcError:
                    pass
                done += 1
                latencies.append((time.perf_counter() - start) * 1000)

        await asyncio.gather(*(worker() for _ in range(tasks)))
        return done, ok, latencies


def _process(args: tuple[str, str, bytes, str, int, float]) -> tuple[int, int, list[float]]:
    address, path, body, token, tasks, seconds = args
    return asyncio.run(
        _client(address, path, body[5:], [("authorization", f"Bearer {token}")], tasks, seconds)
    )


def python_load(
    address: str,
    method: str,
    body: bytes,
    token: str,
    concurrency: int,
    seconds: float,
    processes: int = 2,
) -> LoadResult:
    """The fallback load generator: `processes` client processes sharing the concurrency."""
    processes = max(1, min(processes, concurrency))
    per = [
        concurrency // processes + (1 if i < concurrency % processes else 0)
        for i in range(processes)
    ]
    path = f"/{SERVICE}/{method}"
    ctx = multiprocessing.get_context("spawn")
    start = time.monotonic()
    with ctx.Pool(processes) as pool:
        parts = pool.map(_process, [(address, path, body, token, n, seconds) for n in per])
    elapsed = time.monotonic() - start
    done = sum(p[0] for p in parts)
    ok = sum(p[1] for p in parts)
    latencies = [x for p in parts for x in p[2]]
    return LoadResult(
        "python", concurrency, elapsed, done, ok, done / max(seconds, 1e-9), latencies
    )
