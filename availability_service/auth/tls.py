"""Transport security: server credentials and the rule against plaintext on open networks."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import grpc


def server_credentials(
    cert_path: str | Path,
    key_path: str | Path,
    client_ca_path: str | Path | None = None,
    require_client_cert: bool = False,
) -> grpc.ServerCredentials:
    """TLS credentials from PEM files; with a client CA, peers may (or must) present certs."""
    if require_client_cert and client_ca_path is None:
        raise ValueError("require_client_cert needs client_ca_path to verify client certificates")
    certificate_chain = Path(cert_path).read_bytes()
    private_key = Path(key_path).read_bytes()
    root_certificates = Path(client_ca_path).read_bytes() if client_ca_path else None
    return grpc.ssl_server_credentials(
        [(private_key, certificate_chain)],
        root_certificates=root_certificates,
        require_client_auth=require_client_cert,
    )


def check_tls_settings(
    cert_path: str | Path | None, key_path: str | Path | None, client_ca_path: str | Path | None
) -> bool:
    """True when TLS is configured; a partial or unreadable configuration is a ValueError.

    A certificate without its key (or a key, or a client CA, without a certificate) used to
    start a plaintext server: whoever set one of them meant TLS, so the server refuses to
    start instead, naming what is missing.
    """
    if not (cert_path or key_path or client_ca_path):
        return False
    missing = [
        name
        for name, given in (
            ("a server certificate (AVAILABILITY_TLS_CERT_FILE, --tls-cert)", cert_path),
            ("its private key (AVAILABILITY_TLS_KEY_FILE, --tls-key)", key_path),
        )
        if not given
    ]
    if missing:
        raise ValueError(
            "partial TLS settings: " + " and ".join(missing) + " missing; TLS needs both"
            " (a client CA, for mTLS, needs them too). Refusing to start in plaintext."
        )
    for path in (cert_path, key_path, client_ca_path):
        if path and not Path(path).is_file():
            raise ValueError(f"TLS file {str(path)!r} does not exist or is not a file")
    return True


def bind_host(address: str) -> str:
    """The host part of a gRPC bind address: "h:p", "[v6]:p", "ipv4:h:p", "ipv6:[v6]:p"."""
    for scheme in ("ipv4:", "ipv6:", "dns:"):
        if address.startswith(scheme):
            address = address[len(scheme) :].lstrip("/")
    if address.startswith("["):
        return address[1 : address.index("]")]
    host, _, port = address.rpartition(":")
    # No port at all, or a bare IPv6 address without brackets.
    if not host or not port.isdigit() or ":" in host:
        return address
    return host


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost; "" and 0.0.0.0/:: mean every interface, so not."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # another host name: it may resolve anywhere


def check_bind_allowed(address: str, tls_enabled: bool, allow_insecure: bool) -> None:
    """Refuse to serve bearer tokens in plaintext beyond this machine unless told to."""
    if tls_enabled or allow_insecure:
        return
    host = bind_host(address)
    if not is_loopback(host):
        raise ValueError(
            f"refusing plaintext gRPC on {address!r}: tokens would cross the network unencrypted;"
            " enable TLS, bind to 127.0.0.1, or set allow_insecure explicitly"
        )
