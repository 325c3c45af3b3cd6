"""Fixtures for the Python client's tests: clients with fresh identities."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner, Result

from tests.support.callers import make_token
from tests.support.lots import RAJKOT, RAJKOT_REGION, cotton_lot
from tests.support.server import ServerThread
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk_availability_client import AvailabilityClient, RetryPolicy
from tradedesk_availability_client.cli.main import cli

# Fast retries: the tests wait for servers that are starting, not for real outages.
PATIENT = RetryPolicy(max_attempts=300, initial_backoff=0.05, max_backoff=0.3)


@dataclass(frozen=True)
class Identity:
    subject: str
    token: str
    location_id: str = ""

    def lot(self, **overrides: object) -> pb.Availability:
        """cotton_lot() posted from this identity's registered location."""
        return cotton_lot(location_id=self.location_id, **overrides)


def identity(role: str, region: str | None = None) -> Identity:
    subject = f"{role.lower()}-{uuid.uuid4().hex[:8]}"
    token = make_token(subject, [role], company=f"co-{uuid.uuid4().hex[:6]}", region=region)
    return Identity(subject, token)


def registered_seller(admin: AvailabilityClient) -> Identity:
    """A SELLER with a delivery location of its own (a SELLER may post only from one)."""
    who = identity("SELLER")
    location = admin.upsert_location(
        pb.Location(
            location_id=f"loc-{who.subject}",
            owner_id=who.subject,
            display_name="Rajkot yard",
            point=RAJKOT,
            region=RAJKOT_REGION,
        )
    )
    return Identity(who.subject, who.token, location.location_id)


@pytest.fixture
def client_for(server: ServerThread) -> Iterator[Callable[[Identity], AvailabilityClient]]:
    """client_for(identity, **options) -> an AvailabilityClient on the in-process test server."""
    made: list[AvailabilityClient] = []

    def make(who: Identity, **options: object) -> AvailabilityClient:
        client = AvailabilityClient(server.address, who.token, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def run_avail(target: str | None, token: str | None, *args: str, **env: str | None) -> Result:
    """`avail ARGS` in-process, talking to target with token, blind to the user's own
    AVAIL_* variables and config file; env adds AVAIL_* variables."""
    isolated: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith("AVAIL_")
    }
    isolated.update(
        {"AVAIL_TARGET": target, "AVAIL_TOKEN": token, "XDG_CONFIG_HOME": "/nonexistent"}
    )
    isolated.update(env)
    return CliRunner().invoke(cli, list(args), env=isolated)
