"""The TypeScript client's transport: TLS and mTLS against a TLS server, a token read from a
file, and a package that `npm pack` can publish."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.interop.conftest import TYPESCRIPT
from tests.support.callers import make_token
from tests.support.pki import Pki
from tests.support.server import ServerThread


def _check(script: Path, server: ServerThread, tmp_path: Path, **files: Path) -> dict[str, str]:
    """One ListLocations call by the TypeScript client with these AVAIL_*_FILE settings."""
    token_file = tmp_path / "token"
    token_file.write_text(make_token("ts-admin", ["ADMIN"]) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVAIL_")}
    env.update({"AVAIL_TARGET": server.address, "AVAIL_TOKEN_FILE": str(token_file)})
    env.update({f"AVAIL_{name.upper()}_FILE": str(path) for name, path in files.items()})
    run = subprocess.run(
        ["node", str(script.parent / "transport-check.js")],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_typescript_talks_tls_with_a_private_ca(
    typescript_client: Path, tls_server: ServerThread, pki: Pki, tmp_path: Path
) -> None:
    assert _check(typescript_client, tls_server, tmp_path, ca=pki.ca_file) == {"ok": True}
    # Plaintext to a TLS port fails (connect-node reports the broken session as Canceled).
    assert "error" in _check(typescript_client, tls_server, tmp_path)


def test_typescript_presents_its_certificate_for_mtls(
    typescript_client: Path, mtls_server: ServerThread, pki: Pki, tmp_path: Path
) -> None:
    mutual = {"ca": pki.ca_file, "cert": pki.client_cert_file, "key": pki.client_key_file}
    assert _check(typescript_client, mtls_server, tmp_path, **mutual) == {"ok": True}
    assert "error" in _check(typescript_client, mtls_server, tmp_path, ca=pki.ca_file)


def test_the_typescript_package_packs_with_types_license_and_service_config(
    typescript_client: Path,
) -> None:
    packed = subprocess.run(
        ["npm", "pack", "--dry-run", "--json", "--ignore-scripts"],
        cwd=TYPESCRIPT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    [package] = json.loads(packed.stdout)
    files = {entry["path"] for entry in package["files"]}
    config = "dist/gen/tradedesk/availability/v1/availability_grpc_service_config.json"
    assert {"LICENSE", "dist/index.js", "dist/index.d.ts", config} <= files
    assert not any("interop" in path or "transport-check" in path for path in files)
    manifest = json.loads((TYPESCRIPT / "package.json").read_text())
    assert "private" not in manifest
    assert manifest["license"] == "Apache-2.0"
    assert manifest["exports"]["."]["types"] == "./dist/index.d.ts"
