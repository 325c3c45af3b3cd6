"""A real server on 127.0.0.1:0 in a background thread with its own event loop.

Tests then use ordinary blocking gRPC channels, exactly as another engine would.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from pathlib import Path
from typing import Any

import grpc

from availability_service.app import Application, build_application
from availability_service.serving import RunningServer, running_server
from availability_service.watch.hub import WatchHub
from tests.support.callers import Caller, make_token
from tests.support.lots import register_location


class ServerThread:
    """A server built and stopped by the composition root (serving.running_server), as `serve`
    runs it, in a thread with its own event loop."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="grpc-server", daemon=True)
        self._error: BaseException | None = None
        self.running: RunningServer | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as exc:  # surfaced to the test thread by start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        async with running_server(self.app, "127.0.0.1:0", grace=1.0) as running:
            self.running = running
            self.port = running.port
            self._ready.set()
            await self._stopped.wait()

    @property
    def hub(self) -> WatchHub:
        """This server's watch hub (its streams and their slots)."""
        assert self.running is not None, "the server is not running"
        return self.running.hub

    def start(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            raise self._error
        return self

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._stopped is not None:
            self.loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(15)


class SmallServer:
    """A second server in a thread with settings of its own (small limits, another database)."""

    def __init__(
        self, database_url: str, data_dir: Path, run_migrations: bool = False, **limits: Any
    ) -> None:
        from tests.conftest import settings_for  # conftest imports this module

        self.app = build_application(
            settings_for(database_url, data_dir, **limits), run_migrations=run_migrations
        )
        self.thread = ServerThread(self.app).start()
        self.channel = grpc.insecure_channel(self.thread.address)

    def caller(self, role: str) -> Caller:
        subject = f"{role.lower()}-{uuid.uuid4().hex[:8]}"
        made = Caller(self.channel, make_token(subject, [role]), subject)
        if role == "SELLER":
            registrar = Caller(
                self.channel, make_token("admin-registrar", ["ADMIN"]), "admin-registrar"
            )
            made.location_id = register_location(registrar, subject).location_id
        return made

    def close(self) -> None:
        self.channel.close()
        self.thread.stop()
        self.app.close()
