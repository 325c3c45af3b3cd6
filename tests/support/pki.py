"""A private CA, a server certificate for localhost/127.0.0.1 and a client certificate, on
disk, and TLS servers on them: for TLS and mTLS tests of the server and the clients.

tests/conftest.py registers the fixtures (pki, tls_server, mtls_server) for every test."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from availability_service.app import Application
from tests.support.server import ServerThread


@dataclasses.dataclass
class Pem:
    cert: bytes
    key: bytes


def issue(subject: str, issuer: Pem | None, *, ca: bool, server: bool = False) -> Pem:
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
    client_cert_file: Path
    client_key_file: Path


def make_pki(folder: Path) -> Pki:
    ca = issue("test CA", None, ca=True)
    server = issue("localhost", ca, ca=False, server=True)
    client = issue("negotiation-engine", ca, ca=False)
    files = {
        folder / "server.pem": server.cert,
        folder / "server.key": server.key,
        folder / "ca.pem": ca.cert,
        folder / "client.pem": client.cert,
        folder / "client.key": client.key,
    }
    for path, content in files.items():
        path.write_bytes(content)
    return Pki(ca, server, client, *files)


def _serve_tls(app: Application, pki: Pki, client_ca: str | None) -> Iterator[ServerThread]:
    """A second server on the same database, configured for TLS like `serve --tls-*`."""
    settings = dataclasses.replace(
        app.settings,
        tls_cert_file=str(pki.cert_file),
        tls_key_file=str(pki.key_file),
        tls_client_ca_file=client_ca,
    )
    configured = dataclasses.replace(app, settings=settings)
    thread = ServerThread(configured).start()
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(app: Application, pki: Pki) -> Iterator[ServerThread]:
    """TLS with the test CA's server certificate; any client may connect."""
    yield from _serve_tls(app, pki, client_ca=None)


@pytest.fixture
def mtls_server(app: Application, pki: Pki) -> Iterator[ServerThread]:
    """mTLS: only clients with a certificate from the test CA may connect."""
    yield from _serve_tls(app, pki, client_ca=str(pki.ca_file))
