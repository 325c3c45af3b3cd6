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
# Read-your-writes (docs/contract.md): every call names the newest revision this client wrote;
# the server answers it from a database that shows at least that revision.
MIN_REVISION_HEADER = "x-min-revision"

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


def written_revision(request: Any, response: Any) -> int:
    """The newest lot or hold revision a write returned; 0 for reads (no request_id field)."""
    fields = request.DESCRIPTOR.fields_by_name
    if "request_id" not in fields and "requests" not in fields:
        return 0
    results = list(getattr(response, "results", ()))
    lots = [getattr(response, "availability", None), *(r.availability for r in results)]
    holds = [getattr(response, "reservation", None)]
    return max((item.revision for item in lots + holds if item is not None), default=0)


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
        self.last_write_revision = 0
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
            metadata = self.metadata
            if self.last_write_revision:
                metadata += ((MIN_REVISION_HEADER, str(self.last_write_revision)),)
            try:
                response = method(
                    request,
                    metadata=metadata,
                    timeout=timeout if timeout is not None else self.timeout,
                )
                revision = written_revision(request, response)
                self.last_write_revision = max(self.last_write_revision, revision)
                return response
            except grpc.RpcError as rpc_error:
                error = from_rpc_error(rpc_error)
                if not self.retry.should_retry(error, attempt, idempotent):
                    raise error from rpc_error
                time.sleep(self.retry.backoff(attempt, error.retry_delay))

    def stream(self, method: Callable[..., Any], request: Any) -> Any:
        """A server stream without deadline; the caller handles reconnects."""
        return method(request, metadata=self.metadata)
