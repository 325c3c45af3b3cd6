"""`serve --workers N`: N server processes sharing one port through SO_REUSEPORT.

Python runs one request at a time per process, so a second core needs a second process. As in
grpc's multiprocessing example, the parent creates no gRPC objects: it starts the embedded
PostgreSQL once (children reuse it through DATABASE_URL instead of each starting their own),
migrates once, then spawns N children that each build their own Application (engine, pool,
thread pool) and serve the same address; the kernel spreads new connections across them.
The parent forwards SIGTERM/SIGINT and waits; if one child dies, it stops the others.
With a metrics port, the parent serves /metrics: the children write their metrics to files in
PROMETHEUS_MULTIPROC_DIR (prometheus_client multiprocess mode) and the parent sums them, so
one scrape sees every worker.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from multiprocessing.connection import wait
from pathlib import Path
from types import FrameType

import structlog

from availability_service.config import Settings

log = structlog.get_logger("availability_service")

# Children get this long after SIGTERM (their own grace is 5 s) before they are killed.
STOP_TIMEOUT_SECONDS = 15.0


def _child(settings: Settings) -> None:
    """One worker: its own event loop, Application and gRPC server on the shared port."""
    import asyncio

    from availability_service.logs import configure_logging
    from availability_service.serving import serve_until_signalled

    configure_logging(settings.log_level, settings.log_json)
    asyncio.run(serve_until_signalled(settings))


def _prepare_database(settings: Settings) -> Settings:
    """Starts the embedded database (if any) and migrates, once, before any child exists."""
    from availability_service.app import database_url, open_database

    url = database_url(settings)
    settings = replace(settings, database_url=url)
    with open_database(settings, 1, run_migrations=True):
        pass
    # Spawned children inherit the environment; the settings object carries it as well.
    os.environ["DATABASE_URL"] = url
    return settings


def _prepare_metrics(settings: Settings) -> tuple[Settings, Path | None, bool]:
    """Multiprocess metrics for the children, when /metrics is served; the children's settings.

    Returns the folder and whether this process made it (and so removes it at the end). An
    operator's PROMETHEUS_MULTIPROC_DIR is used as given, emptied of a previous run's files.
    """
    if settings.metrics_endpoint[1] is None:
        return settings, None, False
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="availability-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    # Spawned children import prometheus_client after this, so they write to the folder.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return replace(settings, metrics_port=None, metrics_address=""), folder, not given


def serve_workers(settings: Settings) -> int:
    """Runs settings.workers children until SIGTERM/SIGINT; 0 when all stopped cleanly."""
    if settings.address.rsplit(":", 1)[-1] == "0":
        raise SystemExit("--workers needs a fixed port: port 0 would give each worker its own")
    # Metrics first: prometheus_client reads PROMETHEUS_MULTIPROC_DIR when first imported.
    child_settings, metrics_dir, own_metrics_dir = _prepare_metrics(settings)
    settings = _prepare_database(settings)
    child_settings = replace(child_settings, database_url=settings.database_url)
    # spawn, not fork: children start from a clean interpreter with no inherited threads.
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=_child, args=(child_settings,), name=f"worker-{i}", daemon=False)
        for i in range(settings.workers)
    ]
    stopping = False

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.pid is not None and child.is_alive():
                os.kill(child.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for child in children:
            child.start()
        if metrics_dir is not None:
            from availability_service.serving import start_metrics_endpoint

            start_metrics_endpoint(settings)
        log.info(
            "workers_started",
            workers=len(children),
            address=settings.address,
            pids=[c.pid for c in children],
        )
        pending = list(children)
        while pending:
            done = wait([c.sentinel for c in pending])
            pending = [c for c in pending if c.sentinel not in done]
            _forget_metrics_of_exited(children, pending, metrics_dir)
            if pending and not stopping:
                # A worker died on its own: serving on fewer cores silently is worse than
                # stopping, so stop the rest and let the supervisor restart the service.
                log.error("worker_exited", exitcodes=[c.exitcode for c in children])
                forward(signal.SIGTERM, None)
        for child in children:
            child.join(STOP_TIMEOUT_SECONDS)
            if child.is_alive():
                child.kill()
                child.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if own_metrics_dir and metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    codes = [c.exitcode for c in children]
    clean = all(code == 0 for code in codes)
    # A warning, not info: a worker that did not stop cleanly (a negative code is the signal
    # that ended it) must show in a log kept at warning, as the only clue to what happened.
    (log.info if clean else log.warning)("workers_stopped", exitcodes=codes)
    return 0 if clean else 1


def _forget_metrics_of_exited(
    children: Sequence[multiprocessing.process.BaseProcess],
    pending: Sequence[multiprocessing.process.BaseProcess],
    metrics_dir: Path | None,
) -> None:
    """A dead worker's live gauges (open streams, pooled connections) stop counting."""
    if metrics_dir is None:
        return
    from prometheus_client import multiprocess

    for child in children:
        if child not in pending and child.pid is not None:
            multiprocess.mark_process_dead(child.pid, str(metrics_dir))
