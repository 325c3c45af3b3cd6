"""The channel, the bearer token and the retry loop every call goes through."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import grpc

from tradedesk_availability_client.errors import from_rpc_error
from tradedesk_availability_client.retry import RetryPolicy

Response = TypeVar("Response")

DEFAULT_TARGET = "127.0.0.1:50051"

# The channel's own reconnect backoff starts at 1 s and grows to 2 min; after a server
# restart that would fail our retries fast with UNAVAILABLE long after the server is back.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]


def new_request_id() -> str:
    return str(uuid.uuid4())


class Transport:
    """A channel plus auth metadata, default deadline and retry policy."""

    def __init__(
        self,
        target: str,
        token: str | None,
        *,
        timeout: float,
        retry: RetryPolicy,
        credentials: grpc.ChannelCredentials | None = None,
        channel: grpc.Channel | None = None,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.retry = retry
        self.metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {token}"),) if token else ()
        )
        self._owns_channel = channel is None
        if channel is not None:
            self.channel = channel
        elif credentials is not None:
            self.channel = grpc.secure_channel(target, credentials, options=_CHANNEL_OPTIONS)
        else:
            self.channel = grpc.insecure_channel(target, options=_CHANNEL_OPTIONS)

    def close(self) -> None:
        if self._owns_channel:
            self.channel.close()

    def call(
        self,
        method: Callable[..., Response],
        request: Any,
        *,
        idempotent: bool,
        timeout: float | None = None,
    ) -> Response:
        """One unary call with retries; each attempt gets the full deadline (the request
        keeps the same request_id, so the server replays instead of repeating work)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return method(
                    request,
                    metadata=self.metadata,
                    timeout=timeout if timeout is not None else self.timeout,
                )
            except grpc.RpcError as rpc_error:
                error = from_rpc_error(rpc_error)
                if not self.retry.should_retry(error, attempt, idempotent):
                    raise error from rpc_error
                time.sleep(self.retry.backoff(attempt, error.retry_delay))

    def stream(self, method: Callable[..., Any], request: Any) -> Any:
        """A server stream without deadline; the caller handles reconnects."""
        return method(request, metadata=self.metadata)
