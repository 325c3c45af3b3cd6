"""`availability-service`: serve, migrate, token, demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import structlog

from availability_service.config import Settings
from availability_service.logs import configure_logging

log = structlog.get_logger("availability_service")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        address=getattr(args, "address", None),
        database_url=getattr(args, "database_url", None),
        log_level=getattr(args, "log_level", None),
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
        workers=getattr(args, "workers", None),
        tls_cert_file=getattr(args, "tls_cert", None),
        tls_key_file=getattr(args, "tls_key", None),
        tls_client_ca_file=getattr(args, "tls_client_ca", None),
        allow_insecure=getattr(args, "allow_insecure", None),
    )


def _with_embedded_standby(settings: Settings) -> Settings:
    """Development: the embedded primary plus a hot standby of it serving reads (issue 18)."""
    if settings.database_url:
        raise SystemExit("--with-standby needs the embedded database (no DATABASE_URL)")
    from dataclasses import replace

    from availability_service.storage.embedded import start_embedded_postgres
    from availability_service.storage.embedded_standby import start_embedded_standby

    primary = start_embedded_postgres(settings.data_dir)
    standby = start_embedded_standby(settings.data_dir / "pgdata", settings.data_dir / "standby")
    return replace(settings, database_url=primary, read_database_urls=(standby.url,))


def cmd_serve(args: argparse.Namespace) -> int:
    from availability_service.config import ConfigurationError
    from availability_service.startup_checks import check_settings

    try:
        settings = _settings(args)
        check_settings(settings)
    except (ValueError, ConfigurationError) as exc:
        # Before the database or any port: a clear line, not a traceback, and no fallback.
        print(f"availability-service: refusing to start: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_json)
    if getattr(args, "with_standby", False):
        settings = _with_embedded_standby(settings)
    if settings.workers > 1:
        from availability_service.workers import serve_workers

        return serve_workers(settings)
    # Imported here, not at the top: `serve --workers` must set PROMETHEUS_MULTIPROC_DIR before
    # prometheus_client is first imported, and the other commands need no server at all.
    from availability_service.serving import serve_until_signalled

    asyncio.run(serve_until_signalled(settings))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from availability_service.app import open_database

    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_json)
    with open_database(settings, run_migrations=True):
        print("database is at the latest schema")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Runs the consistency query; exit status 1 when any lot breaks the quantity invariant."""
    from availability_service.app import open_database
    from availability_service.storage.consistency import find_violations

    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_json)
    with open_database(settings) as engine, engine.connect() as conn:
        violations = find_violations(conn)
    for violation in violations:
        print(violation.describe())
    if violations:
        print(f"{len(violations)} lot(s) violate the quantity invariant")
        return 1
    print("every lot is consistent: total = available + reserved + sold, reserved = active holds")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from availability_service.auth.tokens import mint_token
    from availability_service.startup_checks import signing_secret

    settings = _settings(args)
    secret = signing_secret(settings)
    roles = [r.strip().upper() for r in args.roles.split(",") if r.strip()]
    print(
        mint_token(
            secret,
            args.sub,
            roles,
            company_id=args.company,
            region=args.region,
            ttl_seconds=args.ttl,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    )
    return 0


def cmd_locations_import(args: argparse.Namespace) -> int:
    from availability_service.app import open_database
    from availability_service.location_csv import import_file
    from availability_service.service_layer.locations import LocationService
    from availability_service.storage.unit_of_work import SqlUnitOfWork

    settings = _settings(args)
    with open_database(settings, run_migrations=True) as engine:
        return import_file(LocationService(SqlUnitOfWork(engine)), Path(args.file), sys.stdout)


def cmd_demo(args: argparse.Namespace) -> int:
    from availability_service.demo import run_demo

    settings = _settings(args)
    return run_demo(settings, args.target)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="availability-service", description="The Availability Engine gRPC service."
    )
    parser.add_argument(
        "--data-dir", help="data folder (default ./.data; env AVAILABILITY_DATA_DIR)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve gRPC (default 127.0.0.1:50051)")
    serve.add_argument("--address", help="host:port (env AVAILABILITY_ADDRESS)")
    serve.add_argument(
        "--database-url", help="external Postgres (env DATABASE_URL); default: embedded PostgreSQL"
    )
    serve.add_argument("--log-level", help="debug, info, warning (env AVAILABILITY_LOG_LEVEL)")
    serve.add_argument("--workers", type=int, help="processes sharing the port (SO_REUSEPORT)")
    serve.add_argument(
        "--tls-cert", help="server certificate chain, PEM (env AVAILABILITY_TLS_CERT_FILE)"
    )
    serve.add_argument("--tls-key", help="server private key, PEM (env AVAILABILITY_TLS_KEY_FILE)")
    serve.add_argument(
        "--tls-client-ca",
        help="CA of client certificates: requires mTLS (env AVAILABILITY_TLS_CLIENT_CA_FILE)",
    )
    serve.add_argument(
        "--allow-insecure",
        action="store_true",
        default=None,
        help="allow plaintext on a non-loopback address (env AVAILABILITY_ALLOW_INSECURE)",
    )
    serve.add_argument(
        "--with-standby",
        action="store_true",
        help="development: also start a hot standby of the embedded database and read from it",
    )
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply database migrations and exit")
    mig.add_argument("--database-url")
    mig.set_defaults(func=cmd_migrate)

    check = sub.add_parser(
        "check", help="check every lot's quantities against its holds; exit 1 on any violation"
    )
    check.add_argument("--database-url")
    check.set_defaults(func=cmd_check)

    tok = sub.add_parser("token", help="mint a development token signed with the local secret")
    tok.add_argument("--sub", required=True, help="partner id")
    tok.add_argument(
        "--roles", required=True, help="comma-separated: SELLER, TRADER, BUYER, ADMIN, SERVICE"
    )
    tok.add_argument("--company", help="company id")
    tok.add_argument("--region", help="region code such as IN-GJ")
    tok.add_argument("--ttl", type=int, default=12 * 3600, help="seconds (default 12 h)")
    tok.set_defaults(func=cmd_token)

    places = sub.add_parser("locations", help="seller delivery locations")
    places_sub = places.add_subparsers(dest="locations_command", required=True)
    imp = places_sub.add_parser(
        "import",
        help="upsert locations from a CSV file with columns "
        "location_id,owner_id,display_name,latitude,longitude,region",
    )
    imp.add_argument("file", help="path to the CSV file")
    imp.add_argument("--database-url", help="external Postgres (env DATABASE_URL)")
    imp.set_defaults(func=cmd_locations_import)

    demo = sub.add_parser("demo", help="post realistic cotton, wheat and gold lots")
    demo.add_argument("--target", default="127.0.0.1:50051", help="server address")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from availability_service.config import ConfigurationError

    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except ConfigurationError as error:
        print(f"availability-service: {error}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
