"""GetAvailability under h2load next to the bare echo, same run, with the server's CPU per
call and the lot cache's counters (calls per probe), optionally sampled by py-spy.

    python -m tests.benchmarks.get_profile [--seconds S] [--concurrency C] [--py-spy OUT]

A focused companion of `tests.benchmarks.run --only get` (docs/performance.md, target 1):
the same load generator and reply bytes, plus where the server's time goes. py-spy is not a
dependency of the project (`pip install py-spy` into the venv to profile); `--gil` samples
only the thread holding the GIL.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.benchmarks import env
from tests.benchmarks.context import BUYER, active_lot, call
from tests.benchmarks.load import grpc_body, run_load
from tests.benchmarks.unary import READS_UNLIMITED
from tests.support.processes import free_port
from tradedesk.availability.v1 import availability_service_pb2 as api


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cache_counters(port: int) -> str:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return " ".join(
        line
        for line in text.splitlines()
        if line.startswith("availability_get_cache") and "_created" not in line
    )


def _measured(
    proc: env.Process, body: bytes, concurrency: int, seconds: float, size: int
) -> tuple[float, float]:
    """(ok req/s, ms of the process's CPU per ok call) of one load run."""
    assert proc.proc is not None
    before = cpu_seconds(proc.proc.pid)
    result = run_load(proc.address, "GetAvailability", body, BUYER, concurrency, seconds, size)
    used = cpu_seconds(proc.proc.pid) - before
    rps = float(result.summary()["ok_rps"])
    return rps, used * 1000 / max(rps * seconds, 1.0)


def _spy(args: argparse.Namespace, proc: env.Process, out: str) -> subprocess.Popen[bytes] | None:
    """py-spy sampling `proc` for the load run to come (raw stacks into `out`), if asked."""
    if not out:
        return None
    py_spy = str(Path(sys.executable).with_name("py-spy"))
    command = [py_spy, "record", "-p", str(proc.pid), "-r", "250"]
    command += ["-d", str(int(args.seconds)), "-f", "raw", "-o", out]
    command += ["--gil"] if args.gil else []
    # Native frames need the process stopped while sampled: it slows, the shape holds.
    command += ["--native"] if args.native else ["--nonblocking"]
    spy = subprocess.Popen(command)
    time.sleep(0.5)
    return spy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--py-spy", default="", help="write py-spy's raw samples to this file")
    parser.add_argument("--gil", action="store_true", help="py-spy: only the GIL holder")
    parser.add_argument("--native", action="store_true", help="py-spy: native frames too")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="get-profile-"))
    db = env.start_database(folder)
    metrics_port = free_port()
    extra = {**READS_UNLIMITED, "AVAILABILITY_METRICS_PORT": str(metrics_port)}
    with env.service(db, folder, extra_env=extra) as s:
        assert s.proc is not None
        request = api.GetAvailabilityRequest(name=active_lot(s.address).name)
        reply = call(s.address, "GetAvailability", request, BUYER).SerializeToString()
        (folder / "reply.bin").write_bytes(reply)
        body = grpc_body(request)
        run_load(s.address, "GetAvailability", body, BUYER, args.concurrency, 2, len(reply))
        spy = _spy(args, s, args.py_spy)
        rps, cpu = _measured(s, body, args.concurrency, args.seconds, len(reply))
        if spy is not None:
            spy.wait()
        print(f"service {rps:.1f} req/s, {cpu:.3f} ms CPU per call", flush=True)
        print(_cache_counters(metrics_port), flush=True)
    with env.echo(folder, folder / "reply.bin") as echo:
        spy = _spy(args, echo, f"{args.py_spy}.echo" if args.py_spy else "")
        echo_rps, echo_cpu = _measured(echo, body, args.concurrency, args.seconds, len(reply))
        if spy is not None:
            spy.wait()
    print(f"echo {echo_rps:.1f} req/s, {echo_cpu:.3f} ms CPU per call", flush=True)
    print(f"GetAvailability / echo: {rps / echo_rps:.3f}", flush=True)


if __name__ == "__main__":
    main()
