"""The transport, retention and metrics settings are read from their AVAILABILITY_* names."""

from __future__ import annotations

import pytest

from availability_service.config import Settings
from availability_service.grpc_api.server import transport_options


def test_transport_retention_and_metrics_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "AVAILABILITY_KEEPALIVE_MIN_PING_INTERVAL_SECONDS": "15",
        "AVAILABILITY_MAX_CONNECTION_AGE_SECONDS": "600",
        "AVAILABILITY_MAX_CONNECTION_AGE_GRACE_SECONDS": "30",
        "AVAILABILITY_IDEMPOTENCY_RETENTION_SECONDS": "172800",
        "AVAILABILITY_RETENTION_BATCH_SIZE": "250",
        "AVAILABILITY_RETENTION_INTERVAL_SECONDS": "5",
        "AVAILABILITY_METRICS_ADDRESS": "0.0.0.0:9464",
        "AVAILABILITY_LISTEN_DATABASE_URL": "postgresql://pg-primary/availability",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert dict(transport_options(settings)) == {
        "grpc.keepalive_permit_without_calls": 1,
        "grpc.http2.min_ping_interval_without_data_ms": 15000,
        "grpc.http2.max_ping_strikes": 2,
        "grpc.max_connection_age_ms": 600000,
        "grpc.max_connection_age_grace_ms": 30000,
    }
    assert settings.idempotency_retention_seconds == 172800
    assert (settings.retention_batch_size, settings.retention_interval_seconds) == (250, 5)
    assert settings.metrics_endpoint == ("0.0.0.0", 9464)
    assert settings.listen_database_url == "postgresql://pg-primary/availability"


def test_by_default_metrics_are_off_and_idempotency_keys_live_a_week() -> None:
    settings = Settings()
    assert settings.metrics_endpoint == ("127.0.0.1", None)
    assert Settings(metrics_port=9100).metrics_endpoint == ("127.0.0.1", 9100)
    assert settings.idempotency_retention_seconds >= 24 * 3600
    assert settings.event_retention_seconds is None  # the event table is the audit trail


def test_a_zero_connection_age_keeps_connections() -> None:
    options = dict(transport_options(Settings(max_connection_age_seconds=0)))
    assert "grpc.max_connection_age_ms" not in options
    assert options["grpc.http2.min_ping_interval_without_data_ms"] == 10000
