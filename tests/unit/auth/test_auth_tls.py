"""Plaintext binding rules and TLS credentials."""

from __future__ import annotations

import datetime
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from availability_service.auth.tls import check_bind_allowed, server_credentials


@pytest.mark.parametrize(
    "address", ["127.0.0.1:50051", "127.1.2.3:1", "[::1]:50051", "localhost:50051"]
)
def test_plaintext_on_loopback_is_allowed(address: str) -> None:
    check_bind_allowed(address, tls_enabled=False, allow_insecure=False)


@pytest.mark.parametrize("address", ["0.0.0.0:50051", "[::]:50051", "10.0.0.5:1", "host:1"])
def test_plaintext_beyond_loopback_needs_an_explicit_opt_in(address: str) -> None:
    with pytest.raises(ValueError, match="refusing plaintext"):
        check_bind_allowed(address, tls_enabled=False, allow_insecure=False)
    check_bind_allowed(address, tls_enabled=False, allow_insecure=True)
    check_bind_allowed(address, tls_enabled=True, allow_insecure=False)


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "server.pem", tmp_path / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_server_credentials_load_from_pem_files(tmp_path: Path) -> None:
    cert_path, key_path = self_signed(tmp_path)
    assert isinstance(server_credentials(cert_path, key_path), grpc.ServerCredentials)
    mutual = server_credentials(cert_path, key_path, cert_path, require_client_cert=True)
    assert isinstance(mutual, grpc.ServerCredentials)


def test_requiring_client_certs_needs_a_ca(tmp_path: Path) -> None:
    cert_path, key_path = self_signed(tmp_path)
    with pytest.raises(ValueError, match="client_ca_path"):
        server_credentials(cert_path, key_path, require_client_cert=True)
