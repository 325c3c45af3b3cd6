"""create_server(app, hub) -> (server, port, health): tests bind port 0, `serve` binds the
configured address. Starting and stopping it, with its background tasks, is serving.py's."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc

from availability_service.auth.concurrency import ConcurrencyLimiter
from availability_service.auth.interceptor import AuthInterceptor
from availability_service.auth.ratelimit import RateLimiter
from availability_service.auth.tls import (
    check_bind_allowed,
    check_tls_settings,
    server_credentials,
)
from availability_service.auth.tokens import TokenVerifier
from availability_service.config import Settings
from availability_service.grpc_api.access_log import AccessLogInterceptor
from availability_service.grpc_api.lot_size import check_message_limit
from availability_service.grpc_api.pre_serialized import pre_serialized_handlers
from availability_service.grpc_api.servicer import AvailabilityServicer
from availability_service.services import Services
from availability_service.watch.hub import WatchHub
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

SERVICE_NAME = api.DESCRIPTOR.services_by_name["AvailabilityService"].full_name


class Served(Protocol):
    """What a server needs of the application (app.Application): grpc_api does not import the
    composition root, the composition root imports grpc_api."""

    settings: Settings
    services: Services
    executor: ThreadPoolExecutor
    verifier: TokenVerifier
    rate_limiter: RateLimiter
    concurrency: ConcurrencyLimiter


class GenericHandlersOnly:
    """The server as the generated `add_*_to_server` functions see it: every method is served
    as a generic method, none as a "registered" one.

    Why: grpc.aio's serving loop keeps one pending request per registered method, plus one
    for all generic methods, and for every call it accepts waits on them all again
    (`asyncio.wait` over the set, in grpc's `_server_main_loop`): with this service's 23
    methods, health and reflection that is 28 futures wired and unwired per call, about an
    eighth of a GetAvailability's Python. Served as generic methods they share one pending
    request, as the bare echo's do; grpc resolves a generic method by a dict lookup per
    handler (`grpc.method_handlers_generic_handler`), so nothing else changes.

    Today's generated code adds each service both ways; code generated to register only
    would still be served, as a generic handler made from its registered methods.
    """

    def __init__(self, server: grpc.aio.Server) -> None:
        self._server = server
        self._served: set[str] = set()  # services added as generic handlers through here

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers(handlers)
        for handler in handlers:
            service_name = getattr(handler, "service_name", None)
            if callable(service_name):
                self._served.add(service_name())

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None:
        if service not in self._served:
            self.add_generic_rpc_handlers(
                (grpc.method_handlers_generic_handler(service, handlers),)
            )


def transport_options(settings: Settings) -> list[tuple[str, int]]:
    """Keepalive and connection-age channel arguments of the server (docs/deployment.md).

    gRPC's server default refuses client pings closer than 5 minutes apart, and after two such
    "strikes" ends the connection with GOAWAY too_many_pings; clients that ping every 20 s to
    keep NAT and load-balancer paths open would be cut off. The minimum here accepts them,
    with or without calls in flight (an idle watch-only connection still pings).
    """
    options = [
        ("grpc.keepalive_permit_without_calls", 1),
        (
            "grpc.http2.min_ping_interval_without_data_ms",
            int(settings.keepalive_min_ping_interval_seconds * 1000),
        ),
        ("grpc.http2.max_ping_strikes", 2),
    ]
    if settings.max_connection_age_seconds > 0:
        options += [
            ("grpc.max_connection_age_ms", int(settings.max_connection_age_seconds * 1000)),
            (
                "grpc.max_connection_age_grace_ms",
                int(settings.max_connection_age_grace_seconds * 1000),
            ),
        ]
    return options


async def create_server(
    app: Served,
    hub: WatchHub,
    address: str | None = None,
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """A server (not started) with the servicer over `hub`, health and reflection, bound to
    `address` (default: the configured one); the port is the bound one (port 0: any free)."""
    settings = app.settings
    address = address or settings.address
    limits = settings.max_message_bytes
    check_message_limit(limits)
    # Refused settings before any gRPC object exists: nothing is left to stop.
    tls = check_tls_settings(
        settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file
    )
    check_bind_allowed(address, tls, settings.allow_insecure)
    server = grpc.aio.server(
        interceptors=[
            AccessLogInterceptor(),
            AuthInterceptor(app.verifier, app.rate_limiter, app.concurrency),
        ],
        options=[
            ("grpc.max_receive_message_length", limits),
            ("grpc.max_send_message_length", limits),
            ("grpc.so_reuseport", 1 if settings.workers > 1 else 0),
            *transport_options(settings),
        ],
    )
    servicer = AvailabilityServicer(app.services, app.executor, hub)
    generic = GenericHandlersOnly(server)
    # First: grpc asks the generic handlers in the order they were added, so the methods
    # answered with pre-encoded replies take precedence over the generated ones.
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE_NAME, pre_serialized_handlers(servicer)),)
    )
    api_grpc.add_AvailabilityServiceServicer_to_server(servicer, generic)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, generic)
    # reflection.enable_server_reflection picks the aio servicer by the server's type, so it
    # is added here directly, through the same adapter.
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(
        reflection.aio.ReflectionServicer(
            (
                SERVICE_NAME,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            )
        ),
        generic,
    )
    if tls:
        assert settings.tls_cert_file and settings.tls_key_file
        creds = server_credentials(
            settings.tls_cert_file,
            settings.tls_key_file,
            settings.tls_client_ca_file,
            require_client_cert=bool(settings.tls_client_ca_file),
        )
        port = server.add_secure_port(address, creds)
    else:
        port = server.add_insecure_port(address)
    await health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    return server, port, health_servicer
