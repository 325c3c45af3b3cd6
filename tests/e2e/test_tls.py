"""Transport security end to end: TLS, mTLS with a client CA, and no plaintext on open ports."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from availability_service.app import Application
from availability_service.cli import _settings, build_parser
from availability_service.grpc_api.server import create_server
from tests.support.callers import Caller, make_token
from tests.support.server import ServerThread
from tradedesk.availability.v1 import availability_service_pb2 as api

HOST_OVERRIDE = [("grpc.ssl_target_name_override", "localhost")]


@dataclasses.dataclass
class Pem:
    cert: bytes
    key: bytes


def _issue(subject: str, issuer: Pem | None, *, ca: bool, server: bool = False) -> Pem:
    """A P-256 certificate: self-signed when issuer is None, else signed by issuer."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    signer_key = key
    issuer_name = name
    if issuer is not None:
        signer = x509.load_pem_x509_certificate(issuer.cert)
        issuer_name = signer.subject
        loaded = serialization.load_pem_private_key(issuer.key, password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        signer_key = loaded
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    cert = builder.sign(signer_key, hashes.SHA256())
    return Pem(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


@dataclasses.dataclass
class Pki:
    ca: Pem
    server: Pem
    client: Pem
    cert_file: Path
    key_file: Path
    ca_file: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("tls")
    ca = _issue("test CA", None, ca=True)
    server = _issue("localhost", ca, ca=False, server=True)
    client = _issue("negotiation-engine", ca, ca=False)
    paths = {"cert": folder / "server.pem", "key": folder / "server.key", "ca": folder / "ca.pem"}
    paths["cert"].write_bytes(server.cert)
    paths["key"].write_bytes(server.key)
    paths["ca"].write_bytes(ca.cert)
    return Pki(ca, server, client, paths["cert"], paths["key"], paths["ca"])


def _serve(app: Application, pki: Pki, client_ca: str | None) -> Iterator[ServerThread]:
    """A second server on the same database, configured for TLS like `serve --tls-*`."""
    settings = dataclasses.replace(
        app.settings,
        tls_cert_file=str(pki.cert_file),
        tls_key_file=str(pki.key_file),
        tls_client_ca_file=client_ca,
    )
    configured = dataclasses.replace(app, settings=settings, background=[])
    thread = ServerThread(configured).start()
    yield thread
    thread.stop()


@pytest.fixture
def tls_server(app: Application, pki: Pki) -> Iterator[ServerThread]:
    yield from _serve(app, pki, client_ca=None)


@pytest.fixture
def mtls_server(app: Application, pki: Pki) -> Iterator[ServerThread]:
    yield from _serve(app, pki, client_ca=str(pki.ca_file))


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
    stranger = _issue("stranger", _issue("another CA", None, ca=True), ca=False)
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
            app,
            settings=dataclasses.replace(app.settings, allow_insecure=allow_insecure),
            background=[],
        )
        server, port, _health = await create_server(configured, "0.0.0.0:0")
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
