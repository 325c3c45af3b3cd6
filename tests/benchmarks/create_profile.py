"""CreateAvailability under h2load with the server process's CPU per create, optionally
sampled by py-spy, and optionally for several source trees in alternating rounds.

    python -m tests.benchmarks.create_profile [--seconds S] [--concurrency C] [--rounds N]
        [--source DIR ...] [--py-spy OUT] [--gil]

A focused companion of `tests.benchmarks.run --only create` (docs/performance.md, target 2):
the same realistic cotton lot and load generator, reporting where the server's share of a
create goes. `--source DIR` runs the server from another checkout of the package (put first
on PYTHONPATH; `git worktree add` or `git archive` a commit there), so a change and its
parent are measured in the same sitting, alternating, on the same database. py-spy is not a
dependency of the project (`pip install py-spy` into the venv to profile).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks import env
from tests.benchmarks.context import SELLER, call, seller_lot
from tests.benchmarks.get_profile import cpu_seconds
from tests.benchmarks.load import grpc_body, run_load
from tradedesk.availability.v1 import availability_service_pb2 as api


def _serve(db: env.Database, folder: Path, source: str) -> env.Process:
    process = env.service(db, folder)
    if source:
        # -P: the working directory (this checkout) is not put before PYTHONPATH.
        process.argv.insert(1, "-P")
        process.env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [source, os.environ.get("PYTHONPATH")])
        )
    return process


def _spy(args: argparse.Namespace, proc: env.Process, out: str) -> subprocess.Popen[bytes]:
    """py-spy sampling `proc` for the load run to come (raw stacks into `out`)."""
    py_spy = str(Path(sys.executable).with_name("py-spy"))
    command = [py_spy, "record", "-p", str(proc.pid), "-r", "200", "--nonblocking"]
    command += ["-d", str(int(args.seconds)), "-f", "raw", "-o", out]
    # --gil: only the GIL holder; --threads --idle: every thread, waiting included.
    command += ["--gil"] if args.gil else ["--threads", "--idle"]
    spy = subprocess.Popen(command)
    time.sleep(0.5)
    return spy


def _user_system(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def _one_run(
    db: env.Database, folder: Path, source: str, args: argparse.Namespace
) -> tuple[float, float]:
    """(ok creates/s, ms of the server process's CPU per ok create) of one load run."""
    with _serve(db, folder, source) as s:
        request = api.CreateAvailabilityRequest(availability=seller_lot(s.address))
        reply = call(s.address, "CreateAvailability", request, SELLER).SerializeToString()
        body = grpc_body(request)
        run_load(s.address, "CreateAvailability", body, SELLER, args.concurrency, 2, len(reply))
        spy = None
        if args.py_spy:
            spy = _spy(args, s, f"{args.py_spy}.{Path(source or 'here').name}")
        before = cpu_seconds(s.pid)
        user_before, system_before = _user_system(s.pid)
        result = run_load(
            s.address,
            "CreateAvailability",
            body,
            SELLER,
            args.concurrency,
            args.seconds,
            len(reply),
        )
        used = cpu_seconds(s.pid) - before
        user, system = _user_system(s.pid)
        print(
            f"  user {user - user_before:.2f} s, system {system - system_before:.2f} s",
            flush=True,
        )
        if spy is not None:
            spy.wait()
    rps = float(result.summary()["ok_rps"])
    return rps, used * 1000 / max(rps * args.seconds, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--source", action="append", default=[], help="a checkout to serve from (repeatable)"
    )
    parser.add_argument("--py-spy", default="", help="write py-spy's raw samples to OUT.<tree>")
    parser.add_argument("--gil", action="store_true", help="py-spy: only the GIL holder")
    args = parser.parse_args()
    sources = args.source or [""]
    folder = Path(tempfile.mkdtemp(prefix="create-profile-"))
    db = env.start_database(folder)
    seen: dict[str, list[tuple[float, float]]] = {s: [] for s in sources}
    for round_no in range(args.rounds):
        # Alternate the order each round, so a trend in the machine's load is shared.
        order = sources if round_no % 2 == 0 else list(reversed(sources))
        for source in order:
            rps, cpu = _one_run(db, folder, source, args)
            seen[source].append((rps, cpu))
            print(f"{source or 'here'}: {rps:.1f} creates/s, {cpu:.3f} ms CPU per create")
    for source, runs in seen.items():
        rates = [r for r, _ in runs]
        cpus = [c for _, c in runs]
        print(
            f"{source or 'here'}: median {statistics.median(rates):.1f} creates/s, "
            f"median {statistics.median(cpus):.3f} ms CPU per create over {len(runs)} runs",
            flush=True,
        )


if __name__ == "__main__":
    main()
