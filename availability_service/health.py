"""Database health monitor: grpc.health.v1 says NOT_SERVING while PostgreSQL is unreachable.

Load balancers and orchestrators read the standard health service; without this the process
would report SERVING while every RPC answers UNAVAILABLE. The probe uses its own one-connection
engine so a saturated request pool can never make a healthy database look down.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from grpc_health.v1 import health_pb2
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

log = structlog.get_logger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
PROBE_INTERVAL_SECONDS = 1.0
PROBE_TIMEOUT_SECONDS = 2.0


def probe_engine(engine: Engine) -> Engine:
    """A one-connection twin of the service engine, failing fast when the server is gone."""
    return create_engine(
        engine.url,
        pool_size=1,
        max_overflow=0,
        pool_pre_ping=True,
        pool_timeout=PROBE_TIMEOUT_SECONDS,
        connect_args={"application_name": "availability-service-health", "connect_timeout": 2},
    )


def database_is_up(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SET statement_timeout = 2000"))
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


class DatabaseHealthMonitor:
    """Probes the database every interval and mirrors the answer into the health servicer."""

    def __init__(
        self,
        engine: Engine,
        health: Any,
        services: list[str],
        interval: float = PROBE_INTERVAL_SECONDS,
    ) -> None:
        self._engine = probe_engine(engine)
        self._health = health
        self._services = services
        self._interval = interval
        self.up = True  # create_server starts SERVING; build_application already reached the DB

    async def check_once(self) -> bool:
        try:
            up = await asyncio.wait_for(
                asyncio.to_thread(database_is_up, self._engine), PROBE_TIMEOUT_SECONDS + 1
            )
        except TimeoutError:
            up = False  # a hung connect is as good as down for callers with deadlines
        if up != self.up:
            self.up = up
            status = SERVING if up else NOT_SERVING
            if up:
                log.warning("database_recovered", health="SERVING")
            else:
                log.error(
                    "database_unreachable",
                    health="NOT_SERVING",
                    hint="RPCs answer UNAVAILABLE until the database is back",
                )
            for service in self._services:
                await self._health.set(service, status)
        return up

    async def run(self) -> None:
        try:
            while True:
                await self.check_once()
                await asyncio.sleep(self._interval)
        finally:
            self._engine.dispose()


def start_health_monitor(engine: Engine, health: Any, services: list[str]) -> asyncio.Task[None]:
    """Background task of a server (serving.py): its health follows the database."""
    monitor = DatabaseHealthMonitor(engine, health, services)
    return asyncio.get_running_loop().create_task(monitor.run(), name="database-health")
