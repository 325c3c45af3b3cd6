"""The channel, the bearer token and the retry loop every call goes through."""

from __future__ import annotations

import time
import uuid
from typing import Any

import grpc

from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc
from tradedesk_availability_client.errors import from_rpc_error
from tradedesk_availability_client.retry import RetryPolicy
from tradedesk_availability_client.service_config import published_service_config
from tradedesk_availability_client.tls import Tls
from tradedesk_availability_client.tokens import TokenLike, token_source

DEFAULT_TARGET = "127.0.0.1:50051"
# Read-your-writes (docs/contract.md): every call names the newest revision this client wrote;
# the server answers it from a database that shows at least that revision.
MIN_REVISION_HEADER = "x-min-revision"

# The server accepts keepalive pings down to 10 s apart (its minimum ping interval; gRPC's
# default of 5 minutes ends such connections with GOAWAY too_many_pings). Clients keep to
# 20 s or more, so timer jitter never makes a ping early.
DEFAULT_KEEPALIVE_SECONDS = 30.0


def channel_options(keepalive_seconds: float) -> list[tuple[str, Any]]:
    config = published_service_config()
    return [
        # The channel's own reconnect backoff starts at 1 s and grows to 2 min; after a
        # server restart that would fail our retries fast with UNAVAILABLE long after the
        # server is back.
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 2000),
        # Pings find a dead connection under a quiet watch; without the last option the
        # channel stops pinging after two pings on a stream that carries no data.
        ("grpc.keepalive_time_ms", int(keepalive_seconds * 1000)),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.max_receive_message_length", 16 * 1024 * 1024),
        # round_robin from the published config; its retries are done by Transport.call
        # (with RetryInfo and one deadline for all attempts), not a second time by the channel.
        ("grpc.service_config", config.text),
        ("grpc.enable_retries", 0),
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
        token: TokenLike,
        *,
        timeout: float,
        retry: RetryPolicy,
        tls: Tls | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        channel: grpc.Channel | None = None,
        keepalive_seconds: float = DEFAULT_KEEPALIVE_SECONDS,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.retry = retry
        self.tokens = token_source(token)
        self._retryable = published_service_config().retryable_methods
        self.last_write_revision = 0
        self._owns_channel = channel is None
        options = channel_options(keepalive_seconds)
        if tls is not None:
            credentials = credentials or tls.credentials()
            options += tls.channel_options()
        if channel is not None:
            self.channel = channel
        elif credentials is not None:
            self.channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.stub = api_grpc.AvailabilityServiceStub(self.channel)

    def close(self) -> None:
        if self._owns_channel:
            self.channel.close()

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """Asked for every attempt and every stream, so a refreshed token is used at once."""
        token = self.tokens.token()
        return (("authorization", f"Bearer {token}"),) if token else ()

    def call(self, method: str, request: Any, *, timeout: float | None = None) -> Any:
        """One unary call of `method` (such as "GetAvailability"). All its attempts share one
        deadline, `timeout` seconds from now: a retry gets what is left, and no retry starts
        when its backoff would end past the deadline (the last error is raised then). Only
        the methods the service config names are retried; they keep their request_id, so
        the server replays instead of repeating work."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        retryable = method in self._retryable
        attempt = 0
        while True:
            attempt += 1
            metadata = self.metadata()
            if self.last_write_revision:
                metadata += ((MIN_REVISION_HEADER, str(self.last_write_revision)),)
            try:
                response = getattr(self.stub, method)(
                    request,
                    metadata=metadata,
                    timeout=max(deadline - time.monotonic(), 0.0),
                )
                revision = written_revision(request, response)
                self.last_write_revision = max(self.last_write_revision, revision)
                return response
            except grpc.RpcError as rpc_error:
                error = from_rpc_error(rpc_error)
                if not self.retry.should_retry(error, attempt, retryable):
                    raise error from rpc_error
                pause = self.retry.backoff(attempt, error.retry_delay)
                if time.monotonic() + pause >= deadline:
                    raise error from rpc_error
                time.sleep(pause)

    def stream(self, method: str, request: Any) -> Any:
        """A server stream without deadline; the caller handles reconnects."""
        return getattr(self.stub, method)(request, metadata=self.metadata())
