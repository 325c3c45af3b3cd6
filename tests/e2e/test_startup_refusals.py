"""`serve` refuses unsafe settings before it starts anything, and says which and why.

Partial TLS settings used to start a plaintext server; the generated development signing
secret used to be used silently anywhere. Each refusal is a real process that exits 2 with one
clear line, where the old behaviour was a server that kept serving (the run would time out).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from tests.support.callers import TEST_SECRET
from tests.support.processes import ServerProcess, free_port
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

# Long enough to start on a loaded machine; a server that starts instead runs into it.
REFUSAL_TIMEOUT_SECONDS = 60


def serve(database_url: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    values = dict(os.environ)
    for name in list(values):
        if name.startswith("AVAILABILITY_"):
            del values[name]
    values.update(
        {
            "DATABASE_URL": database_url,
            "AVAILABILITY_DATA_DIR": str(data_dir),
            "AVAILABILITY_JWT_SECRET": TEST_SECRET.decode(),
            **env,
        }
    )
    command = [sys.executable, "-m", "availability_service.cli", "serve"]
    return subprocess.run(
        [*command, "--address", f"127.0.0.1:{free_port()}"],
        env=values,
        capture_output=True,
        text=True,
        timeout=REFUSAL_TIMEOUT_SECONDS,
    )


@pytest.fixture
def pem_files(tmp_path: Path) -> dict[str, str]:
    """Files that exist; the refusal must come before anything reads them as PEM."""
    paths = {}
    for name in ("cert", "key", "ca"):
        path = tmp_path / f"{name}.pem"
        path.write_text("-----BEGIN PLACEHOLDER-----\n")
        paths[name] = str(path)
    return paths


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        (("cert",), "private key"),
        (("key",), "server certificate"),
        (("ca",), "server certificate (AVAILABILITY_TLS_CERT_FILE, --tls-cert) and its private"),
        (("cert", "ca"), "private key"),
    ],
)
def test_partial_tls_settings_refuse_to_start_instead_of_serving_plaintext(
    database_url: str,
    data_dir: Path,
    pem_files: dict[str, str],
    given: tuple[str, ...],
    missing: str,
) -> None:
    variables = {
        "cert": "AVAILABILITY_TLS_CERT_FILE",
        "key": "AVAILABILITY_TLS_KEY_FILE",
        "ca": "AVAILABILITY_TLS_CLIENT_CA_FILE",
    }
    result = serve(database_url, data_dir, **{variables[g]: pem_files[g] for g in given})
    assert result.returncode == 2
    assert "refusing to start: partial TLS settings" in result.stderr
    assert missing in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_tls_file_refuses_to_start_naming_it(
    database_url: str, data_dir: Path, pem_files: dict[str, str], tmp_path: Path
) -> None:
    absent = str(tmp_path / "absent.key")
    result = serve(
        database_url,
        data_dir,
        AVAILABILITY_TLS_CERT_FILE=pem_files["cert"],
        AVAILABILITY_TLS_KEY_FILE=absent,
    )
    assert result.returncode == 2
    assert absent in result.stderr


def test_production_without_configured_token_keys_refuses_to_start(
    database_url: str, data_dir: Path
) -> None:
    result = serve(
        database_url, data_dir, AVAILABILITY_ENVIRONMENT="production", AVAILABILITY_JWT_SECRET=""
    )
    assert result.returncode == 2
    assert "AVAILABILITY_ENVIRONMENT=production needs configured token keys" in result.stderr
    assert "AVAILABILITY_JWT_SECRET" in result.stderr


def test_an_unknown_environment_refuses_to_start(database_url: str, data_dir: Path) -> None:
    result = serve(database_url, data_dir, AVAILABILITY_ENVIRONMENT="prod")
    assert result.returncode == 2
    assert "AVAILABILITY_ENVIRONMENT must be one of development, production" in result.stderr


def test_production_with_a_configured_secret_serves(database_url: str, data_dir: Path) -> None:
    with ServerProcess(database_url, data_dir, env={"AVAILABILITY_ENVIRONMENT": "production"}):
        pass  # started and answered its health check


def test_the_development_secret_is_logged_as_a_warning_once_at_start(
    database_url: str, tmp_path: Path
) -> None:
    proc = ServerProcess(database_url, tmp_path, env={"AVAILABILITY_JWT_SECRET": ""})
    with proc:
        secret = (tmp_path / "dev-jwt-secret").read_bytes()
        from availability_service.auth.tokens import mint_token

        token = mint_token(secret, "buyer-dev", ["BUYER"])
        with grpc.insecure_channel(proc.address) as channel:
            stub = api_grpc.AvailabilityServiceStub(channel)
            stub.ListAvailabilities(
                api.ListAvailabilitiesRequest(),
                metadata=[("authorization", f"Bearer {token}")],
                timeout=30,
            )
    warnings = [
        json.loads(line)
        for line in proc.log_path.read_text().splitlines()
        if "development_signing_secret" in line
    ]
    assert len(warnings) == 1
    assert warnings[0]["level"] == "warning"
    assert str(tmp_path / "dev-jwt-secret") == warnings[0]["path"]
