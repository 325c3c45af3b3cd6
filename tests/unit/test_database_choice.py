"""Which database a server uses: DATABASE_URL, else a loudly announced embedded one, never in
production."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from availability_service import app
from availability_service.config import ConfigurationError, Settings


@pytest.fixture
def embedded_starts(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    started: list[Path] = []

    def fake_start(data_dir: Path) -> str:
        started.append(data_dir)
        return "postgresql+psycopg2://embedded"

    monkeypatch.setattr(app, "start_embedded_postgres", fake_start)
    return started


def test_without_database_url_the_embedded_database_is_announced_as_a_warning(
    embedded_starts: list[Path], tmp_path: Path
) -> None:
    with capture_logs() as logs:
        url = app.database_url(Settings(data_dir=tmp_path))
    assert url == "postgresql+psycopg2://embedded"
    assert embedded_starts == [tmp_path]
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert [entry["event"] for entry in warnings] == ["embedded_database"]
    assert "development only" in warnings[0]["detail"]


def test_production_without_database_url_refuses_and_starts_nothing(
    embedded_starts: list[Path], tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="needs DATABASE_URL"):
        app.database_url(Settings(data_dir=tmp_path, environment="production"))
    assert embedded_starts == []


def test_a_database_url_is_used_as_given_in_production(embedded_starts: list[Path]) -> None:
    settings = Settings(database_url="postgresql://db/avail", environment="production")
    assert app.database_url(settings) == "postgresql://db/avail"
    assert embedded_starts == []


def test_the_environment_comes_from_availability_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AVAILABILITY_ENVIRONMENT", "production")
    assert Settings.from_env().environment == "production"


def test_the_data_folder_defaults_to_dot_data_in_the_current_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AVAILABILITY_DATA_DIR", raising=False)
    assert Settings.from_env().data_dir == tmp_path / ".data"


def test_an_unknown_environment_is_refused_rather_than_taken_for_development() -> None:
    with pytest.raises(ValueError, match="AVAILABILITY_ENVIRONMENT"):
        Settings(environment="prod")
