"""Transport security end to end: TLS, mTLS with a client CA, and no plaintext on open ports."""

from __future__ import annotations

import asyncio
import dataclasses

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from availability_service.app import Application
from availability_service.cli import _settings, build_parser
from availability_service.grpc_api.server import create_server
from availability_service.watch.hub import HubLimits, WatchHub
from tests.support.callers import Caller, make_token
from tests.support.pki import Pki, issue
from tests.support.server import ServerThread
from tradedesk.availability.v1 import availability_service_pb2 as api

HOST_OVERRIDE = [("grpc.ssl_target_name_override", "localhost")]


def _health(channel: grpc.Channel) -> int:
    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    return int(reply.status)


def test_a_tls_server_answers_over_tls_with_a_token(tls_server: ServerThread, pki: Pki) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=pki.ca.cert)
    with grpc.secure_channel(tls_server.address, credentials, options=HOST_OVERRIDE) as channel:
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
        buyer = Caller(channel, make_token("tls-buyer", ["BUYER"]), "tls-buyer")
        page = buyer.ListAvailabilities(api.ListAvailabilitiesRequest(seller_id="nobody"))
        assert list(page.availabilities) == []


def test_a_tls_server_refuses_plaintext_clients(tls_server: ServerThread) -> None:
    with grpc.insecure_channel(tls_server.address) as channel, pytest.raises(grpc.RpcError) as err:
        _health(channel)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_mtls_refuses_a_client_without_a_certificate_and_admits_one_with(
    mtls_server: ServerThread, pki: Pki
) -> None:
    anonymous = grpc.ssl_channel_credentials(root_certificates=pki.ca.cert)
    with (
        grpc.secure_channel(mtls_server.address, anonymous, options=HOST_OVERRIDE) as channel,
        pytest.raises(grpc.RpcError) as err,
    ):
        _health(channel)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    stranger = issue("stranger", issue("another CA", None, ca=True), ca=False)
    foreign = grpc.ssl_channel_credentials(pki.ca.cert, stranger.key, stranger.cert)
    with (
        grpc.secure_channel(mtls_server.address, foreign, options=HOST_OVERRIDE) as channel,
        pytest.raises(grpc.RpcError) as err,
    ):
        _health(channel)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    known = grpc.ssl_channel_credentials(pki.ca.cert, pki.client.key, pki.client.cert)
    with grpc.secure_channel(mtls_server.address, known, options=HOST_OVERRIDE) as channel:
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
        engine = Caller(channel, make_token("negotiation-engine", ["SERVICE"]), "negotiation")
        engine.ListAvailabilities(api.ListAvailabilitiesRequest(seller_id="nobody"))


def test_plaintext_on_every_interface_is_refused_unless_explicitly_allowed(
    app: Application,
) -> None:
    async def bind(allow_insecure: bool) -> int:
        configured = dataclasses.replace(
            app, settings=dataclasses.replace(app.settings, allow_insecure=allow_insecure)
        )
        hub = WatchHub(app.watch_database, app.executor, HubLimits())  # never started: bind only
        server, port, _health = await create_server(configured, hub, "0.0.0.0:0")
        await server.stop(None)
        return port

    with pytest.raises(ValueError, match="refusing plaintext"):
        asyncio.run(bind(allow_insecure=False))
    assert asyncio.run(bind(allow_insecure=True)) > 0


def test_serve_flags_reach_the_settings() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--tls-cert",
            "server.pem",
            "--tls-key",
            "server.key",
            "--tls-client-ca",
            "ca.pem",
            "--allow-insecure",
        ]
    )
    settings = _settings(args)
    assert (settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file) == (
        "server.pem",
        "server.key",
        "ca.pem",
    )
    assert settings.allow_insecure is True
    assert _settings(build_parser().parse_args(["serve"])).allow_insecure is False
