"""Callers with tokens: every test talks to the server as a real, authenticated principal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import grpc

from availability_service.auth.tokens import mint_token
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

TEST_SECRET = b"test-secret-for-the-availability-engine-0123456789"


class Caller:
    """A stub that sends its principal's bearer token with every call."""

    def __init__(self, channel: grpc.Channel, token: str, subject: str) -> None:
        self.stub = api_grpc.AvailabilityServiceStub(channel)
        self.token = token
        self.subject = subject
        self.metadata = [("authorization", f"Bearer {token}")]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.stub, name)

        def call(request: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", 30)
            return method(request, metadata=self.metadata, **kwargs)

        return call


def make_token(sub: str, roles: Sequence[str], company: str | None = None,
               region: str | None = None) -> str:
    return mint_token(TEST_SECRET, sub, list(roles), company_id=company, region=region)
