"""Callers with tokens: every test talks to the server as a real, authenticated principal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import grpc

from availability_service.auth.tokens import mint_token
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

TEST_SECRET = b"test-secret-for-the-availability-engine-0123456789"


class Caller:
    """A stub that sends its principal's bearer token with every call.

    A caller with a `location_id` (every SELLER from the conftest fixtures) posts its lots
    from that registered location unless the lot names another one, as a real seller's
    client would: a SELLER may only post from a location it owns.
    """

    def __init__(
        self, channel: grpc.Channel, token: str, subject: str, location_id: str = ""
    ) -> None:
        self.stub = api_grpc.AvailabilityServiceStub(channel)
        self.token = token
        self.subject = subject
        self.location_id = location_id
        self.metadata = [("authorization", f"Bearer {token}")]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.stub, name)

        def call(request: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", 30)
            return method(self._with_location(name, request), metadata=self.metadata, **kwargs)

        return call

    def _with_location(self, name: str, request: Any) -> Any:
        if not self.location_id:
            return request
        if name == "CreateAvailability":
            creates = [request]
        elif name == "BatchCreateAvailabilities":
            creates = list(request.requests)
        else:
            return request
        if all(create.availability.location_id for create in creates):
            return request
        request = type(request).FromString(request.SerializeToString())  # leave theirs alone
        for create in [request] if name == "CreateAvailability" else request.requests:
            if not create.availability.location_id:
                create.availability.location_id = self.location_id
        return request


def make_token(
    sub: str, roles: Sequence[str], company: str | None = None, region: str | None = None
) -> str:
    return mint_token(TEST_SECRET, sub, list(roles), company_id=company, region=region)
