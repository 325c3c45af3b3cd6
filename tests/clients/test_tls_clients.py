"""The Python client and `avail` over TLS and mTLS, against a server configured like
`serve --tls-cert/--tls-key[/--tls-client-ca]`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clients.conftest import identity, run_avail
from tests.support.pki import Pki
from tests.support.server import ServerThread
from tradedesk_availability_client import NO_RETRY, AvailabilityClient, Tls, UnavailableError
from tradedesk_availability_client.cli import exit_codes


def _lists(server: ServerThread, tls: Tls | None) -> bool:
    """True when a ListLocations call over these settings gets an answer."""
    with AvailabilityClient(
        server.address, identity("ADMIN").token, tls=tls, retry=NO_RETRY
    ) as client:
        try:
            client.list_locations(page_size=1)
        except UnavailableError:
            return False
    return True


def test_the_python_client_talks_tls_with_a_private_ca(tls_server: ServerThread, pki: Pki) -> None:
    assert _lists(tls_server, Tls(ca_file=str(pki.ca_file)))
    assert _lists(tls_server, Tls(ca_file=str(pki.ca_file), server_name="localhost"))
    assert not _lists(tls_server, None)  # plaintext is refused
    assert not _lists(tls_server, Tls())  # the system's CAs do not know the test CA


def test_the_python_client_presents_its_certificate_for_mtls(
    mtls_server: ServerThread, pki: Pki
) -> None:
    assert not _lists(mtls_server, Tls(ca_file=str(pki.ca_file)))
    mutual = Tls(str(pki.ca_file), str(pki.client_cert_file), str(pki.client_key_file))
    assert _lists(mtls_server, mutual)


def test_a_client_certificate_needs_its_key() -> None:
    with pytest.raises(ValueError, match="both"):
        Tls(cert_file="client.pem")


def _avail(server: ServerThread, *flags: str) -> int:
    result = run_avail(server.address, identity("ADMIN").token, *flags, "locations")
    return result.exit_code


def test_avail_over_tls(tls_server: ServerThread, pki: Pki) -> None:
    assert _avail(tls_server, "--ca-file", str(pki.ca_file)) == 0
    assert _avail(tls_server) == exit_codes.UNAVAILABLE


def test_avail_over_mtls(mtls_server: ServerThread, pki: Pki, tmp_path: Path) -> None:
    ca, cert, key = str(pki.ca_file), str(pki.client_cert_file), str(pki.client_key_file)
    assert _avail(mtls_server, "--ca-file", ca, "--cert-file", cert, "--key-file", key) == 0
    assert _avail(mtls_server, "--ca-file", ca) == exit_codes.UNAVAILABLE
    assert _avail(mtls_server, "--ca-file", ca, "--cert-file", cert) == exit_codes.USAGE
