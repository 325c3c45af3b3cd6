"""Settings that would serve unsafely are refused before anything starts.

Kept apart from app.py (the composition root) so `serve` can check its settings before it
imports the server, its metrics or the database: the refusal is one line, and nothing has
been started that would need stopping.
"""

from __future__ import annotations

from availability_service.auth.tls import check_tls_settings
from availability_service.auth.tokens import load_or_create_dev_secret
from availability_service.config import ConfigurationError, Settings


def development_secret(settings: Settings) -> bytes:
    """The generated HS256 secret under data_dir, for local use only.

    Anyone who can read the data folder can mint any token with it, so in production (and
    outside development generally) the server refuses it: keys must be configured.
    """
    if settings.is_production:
        raise ConfigurationError(
            "AVAILABILITY_ENVIRONMENT=production needs configured token keys: set"
            " AVAILABILITY_JWT_SECRET, AVAILABILITY_JWT_PUBLIC_KEY_FILE or"
            " AVAILABILITY_JWT_JWKS_FILE; the generated development secret is refused"
        )
    return load_or_create_dev_secret(settings.data_dir)


def signing_secret(settings: Settings) -> bytes:
    """The HS256 secret that local tools (token, demo) sign with: configured or development."""
    return settings.jwt_secret.encode() if settings.jwt_secret else development_secret(settings)


def uses_development_secret(settings: Settings) -> bool:
    return not (settings.jwt_secret or settings.jwt_public_key_file or settings.jwt_jwks_file)


def check_settings(settings: Settings) -> None:
    """Refuses, before anything starts, settings that would serve unsafely (the error says why).

    ValueError for settings that cannot be right (TLS), ConfigurationError for those refused
    in production.
    """
    check_tls_settings(settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file)
    if uses_development_secret(settings) and settings.is_production:
        development_secret(settings)  # raises, naming the settings to configure
