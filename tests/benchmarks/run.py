"""`python -m tests.benchmarks.run [--quick] [--out DIR] [--search-lots N] [--soak MINUTES]`.

Starts an embedded PostgreSQL in a temp folder, runs every scenario against real server
processes next to its baseline, and writes results.json, results.md and PNG plots to --out.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.benchmarks import env, report
from tests.benchmarks.context import FULL, QUICK, Context, guarded
from tests.benchmarks.load import APT_HINT, have_h2load

# Standing searches (the change path) run before the search market is loaded, so their
# figures stay comparable; standing_start measures their start on both sides of the load
# (docs/performance.md, standing searches).
SCENARIOS = (
    "get",
    "create",
    "standing",
    # Loads the search market (the search scenario reuses it): starts on the empty market first.
    "standing_start",
    "search",
    "reserve",
    "watch",
    "replicas",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, short runs (CI smoke)")
    parser.add_argument("--out", default="bench-results", help="folder for results and plots")
    parser.add_argument(
        "--search-lots",
        type=int,
        help="search data set size (full: 100000; 1000000 works but loads for many minutes)",
    )
    parser.add_argument(
        "--search-exact-samples",
        type=int,
        help="queries per search shape checked against brute force (full: 5)",
    )
    parser.add_argument("--watchers", type=int, help="concurrent watchers (full: 1000)")
    parser.add_argument("--seconds", type=float, help="length of each load run")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument(
        "--python-load",
        action="store_true",
        help="use the Python load generator even if h2load is installed",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the previous results in --out of scenarios not run now",
    )
    parser.add_argument(
        "--soak",
        type=float,
        metavar="MINUTES",
        help="after the scenarios, mixed load for MINUTES with the quantity "
        "invariant checked continuously (issue 9)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    overrides = {
        k: v
        for k, v in (
            ("search_lots", args.search_lots),
            ("search_exact_samples", args.search_exact_samples),
            ("watchers", args.watchers),
            ("seconds", args.seconds),
        )
        if v is not None
    }
    sizes = replace(sizes, **overrides)
    if not have_h2load() and not args.python_load:
        print(
            f"[bench] h2load not found: falling back to the Python load generator, which "
            f"is slower than the server it measures. Install it with:\n  {APT_HINT}",
            file=sys.stderr,
        )
    chosen = args.only.split(",") if args.only else list(SCENARIOS)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from tests.benchmarks import replicas, search, standing, standing_start, unary, watch

    runners = {
        "get": ("get_and_workers", unary.get_and_workers),
        "create": ("create", unary.create),
        "search": ("search", search.search),
        "reserve": ("reserve", unary.reserve),
        "watch": ("watch", watch.watch),
        "replicas": ("replicas", replicas.replicas),
        "standing": ("standing_search", standing.standing),
        "standing_start": ("standing_start", standing_start.standing_start),
    }
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="availability-bench-") as tmp:
        folder = Path(tmp)
        db = env.start_database(folder)
        ctx = Context(db, folder, sizes, prefer_h2load=not args.python_load)
        for key in chosen:
            name, scenario = runners[key]
            guarded(name, ctx, scenario)
        if args.soak:
            from tests.benchmarks import soak

            guarded("soak", ctx, lambda c: soak.soak(c, args.soak))
    meta: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "sizes": sizes.__dict__,
        "load_generator": "h2load" if have_h2load() and not args.python_load else "python",
        "machine": f"{platform.machine()}, {_cpus()} CPUs, {platform.python_version()}",
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    results, series = ctx.results, ctx.series
    if args.merge and (out / "results.json").exists():
        previous = json.loads((out / "results.json").read_text())
        results = {**previous["results"], **results}
        meta["merged_into"] = previous["meta"]
        meta["only"] = chosen
        if (out / "series.json").exists():
            series = {**json.loads((out / "series.json").read_text()), **series}
    document = {"meta": meta, "results": results}
    (out / "results.json").write_text(json.dumps(document, indent=2, default=str))
    (out / "series.json").write_text(json.dumps(series))  # raw samples behind the plots
    report.write(out, document, series)
    print((out / "results.md").read_text())
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    sys.exit(main())
