"""Settings from flags and environment, in one frozen object passed down explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

# AVAILABILITY_ENVIRONMENT: development conveniences (a generated signing secret, ...) are
# refused in production.
ENVIRONMENTS = ("development", "production")


class ConfigurationError(RuntimeError):
    """The settings cannot run a server (the message says which setting to change)."""


def default_data_dir() -> Path:
    """`.data` under the current directory (never inside the installed package): the
    repository's own `.data/` for `make run`, a folder of its own wherever else it runs."""
    return Path.cwd() / ".data"


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


_WATCH_ENV: tuple[tuple[str, str, type], ...] = (
    ("watch_queue_size", "AVAILABILITY_WATCH_QUEUE_SIZE", int),
    ("watch_max_watchers", "AVAILABILITY_WATCH_MAX_WATCHERS", int),
    ("watch_max_stream_age_seconds", "AVAILABILITY_WATCH_MAX_STREAM_AGE_SECONDS", float),
    ("watch_poll_interval_seconds", "AVAILABILITY_WATCH_POLL_INTERVAL_SECONDS", float),
    ("event_retention_seconds", "AVAILABILITY_EVENT_RETENTION_SECONDS", float),
    ("price_recheck_interval_seconds", "AVAILABILITY_PRICE_RECHECK_INTERVAL_SECONDS", float),
    ("watch_send_timeout_seconds", "AVAILABILITY_WATCH_SEND_TIMEOUT_SECONDS", float),
    ("watch_max_per_caller", "AVAILABILITY_WATCH_MAX_PER_CALLER", int),
    ("watch_reserved_privileged", "AVAILABILITY_WATCH_RESERVED_PRIVILEGED", int),
)

# Transport and retention (docs/operations.md); a 0 age turns connection recycling off.
_OPERATIONS_ENV: tuple[tuple[str, str, type], ...] = (
    (
        "keepalive_min_ping_interval_seconds",
        "AVAILABILITY_KEEPALIVE_MIN_PING_INTERVAL_SECONDS",
        float,
    ),
    ("max_connection_age_seconds", "AVAILABILITY_MAX_CONNECTION_AGE_SECONDS", float),
    ("max_connection_age_grace_seconds", "AVAILABILITY_MAX_CONNECTION_AGE_GRACE_SECONDS", float),
    ("idempotency_retention_seconds", "AVAILABILITY_IDEMPOTENCY_RETENTION_SECONDS", float),
    ("retention_batch_size", "AVAILABILITY_RETENTION_BATCH_SIZE", int),
    ("retention_interval_seconds", "AVAILABILITY_RETENTION_INTERVAL_SECONDS", float),
    ("get_cache_lots", "AVAILABILITY_GET_CACHE_LOTS", int),
    ("gc_gen0_threshold", "AVAILABILITY_GC_GEN0_THRESHOLD", int),
)


_READ_ENV: tuple[tuple[str, str], ...] = (
    ("read_max_lag_seconds", "AVAILABILITY_READ_MAX_LAG_SECONDS"),
    ("read_wait_seconds", "AVAILABILITY_READ_WAIT_SECONDS"),
)


def parse_url_list(raw: str) -> tuple[str, ...]:
    """Comma-separated database URLs; blanks between commas are ignored."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the server needs; each field has an AVAILABILITY_* environment twin."""

    address: str = "127.0.0.1:50051"
    environment: str = "development"  # one of ENVIRONMENTS
    # None means: start the embedded PostgreSQL under data_dir.
    database_url: str | None = None
    # The watch hub's LISTEN connection, when database_url goes through a transaction pooler
    # (PgBouncer) that cannot keep a LISTEN session; None: database_url.
    listen_database_url: str | None = None
    data_dir: Path = field(default_factory=default_data_dir)
    log_level: str = "info"
    log_json: bool | None = None  # None: JSON when stdout is not a TTY
    db_pool_size: int = 16
    # Holds: default and ceiling for the time to live.
    default_hold_ttl: timedelta = timedelta(hours=24)
    max_hold_ttl: timedelta = timedelta(days=7)
    sweep_interval_seconds: float = 1.0
    # Auth: an HS256 secret (None: a development secret under data_dir), or public keys.
    jwt_secret: str | None = None
    jwt_public_key_file: str | None = None
    jwt_jwks_file: str | None = None
    jwt_issuer: str = "tradedesk-dev"
    jwt_audience: str = "availability-service"
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    tls_client_ca_file: str | None = None
    allow_insecure: bool = False
    max_concurrent_rpcs: int = 512
    # Per-principal token buckets: "read=2000/4000,write=500/1000,hold=1000/2000,watch=20/50"
    # (rate per second/burst); groups not named keep these defaults.
    rate_limits: str = ""
    rate_limit_enabled: bool = True
    max_message_bytes: int = 4 * 1024 * 1024
    metrics_port: int | None = None
    workers: int = 1
    # Watch stream (docs/watch.md): per-subscriber queue bound in events,
    # watchers per process, maximum stream age before a REASON_STREAM_END bookmark, and the
    # hub's poll fallback interval.
    watch_queue_size: int = 1000
    watch_max_watchers: int = 2000
    watch_max_stream_age_seconds: float = 1800.0
    watch_poll_interval_seconds: float = 1.0
    # Events older than this are compacted by the hub; None keeps everything (audit trail).
    event_retention_seconds: float | None = None
    # docs/watch.md "Lifecycle and limits": a stream whose message is not taken by the
    # transport (the client stopped reading) within this time loses its slot; streams per
    # caller; and the share of watch_max_watchers only ADMIN and SERVICE callers may take.
    watch_send_timeout_seconds: float = 30.0
    watch_max_per_caller: int = 100
    watch_reserved_privileged: int = 200
    # Keepalive: the shortest interval between client pings the server accepts. Clients ping
    # no more often than every 20 s; half that leaves room for timer jitter before a strike.
    keepalive_min_ping_interval_seconds: float = 10.0
    # Connections are closed (GOAWAY) after this age, so a load balancer can rebalance; calls
    # in flight get the grace period to finish. 0 keeps connections forever.
    max_connection_age_seconds: float = 1800.0
    max_connection_age_grace_seconds: float = 300.0
    # /metrics bind host ("host" or "host:port"; the port may come from metrics_port).
    metrics_address: str = "127.0.0.1"
    # Idempotency keys older than this are deleted by the sweeper's leader: a retry of a
    # request_id after it is a new request. At least a day, so a client retrying overnight
    # still gets its first result.
    idempotency_retention_seconds: float = 7 * 24 * 3600.0
    # Rows deleted per retention statement, so no pass holds locks or bloats WAL for long.
    retention_batch_size: int = 1000
    # How often the sweeper's leader looks for rows to delete (it sweeps holds every second).
    retention_interval_seconds: float = 30.0
    # How often flagged prices are re-checked against the market (service_layer/price_review).
    price_recheck_interval_seconds: float = 30.0
    # Lots GetAvailability keeps per process, about 9 KB each with their encoded replies
    # (service_layer/lot_cache.py: answered only when a probe sent after the call began
    # vouches for them); 0 reads every Get.
    get_cache_lots: int = 5_000
    # The garbage collector's young-generation threshold once serving (gc_tuning.py: start-up
    # objects frozen, fewer collections); 0 keeps the interpreter's defaults.
    gc_gen0_threshold: int = 20_000

    # Hot standbys that serve reads (docs/operations.md, "Read databases"); none: all on the
    # primary. Reads without x-min-revision may miss changes at most read_max_lag_seconds old;
    # a read naming a revision waits at most read_wait_seconds for a standby to replay it.
    read_database_urls: tuple[str, ...] = ()
    read_max_lag_seconds: float = 5.0
    read_wait_seconds: float = 0.25

    @property
    def metrics_endpoint(self) -> tuple[str, int | None]:
        """/metrics host and port from metrics_address ("host" or "host:port", whose port
        wins) and metrics_port; no port: no endpoint."""
        host, sep, tail = self.metrics_address.rpartition(":")
        if sep and tail.isdigit() and not host.endswith(":"):
            return host.strip("[]") or "0.0.0.0", int(tail)
        return self.metrics_address.strip("[]"), self.metrics_port

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise ValueError(
                f"AVAILABILITY_ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)},"
                f" not {self.environment!r}"
            )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Reads AVAILABILITY_* variables (and DATABASE_URL); explicit overrides win."""
        env = os.environ
        values: dict[str, object] = {}
        if env.get("DATABASE_URL"):
            values["database_url"] = env["DATABASE_URL"]
        simple = {
            "environment": "AVAILABILITY_ENVIRONMENT",
            "address": "AVAILABILITY_ADDRESS",
            "log_level": "AVAILABILITY_LOG_LEVEL",
            "jwt_secret": "AVAILABILITY_JWT_SECRET",
            "jwt_public_key_file": "AVAILABILITY_JWT_PUBLIC_KEY_FILE",
            "jwt_jwks_file": "AVAILABILITY_JWT_JWKS_FILE",
            "jwt_issuer": "AVAILABILITY_JWT_ISSUER",
            "jwt_audience": "AVAILABILITY_JWT_AUDIENCE",
            "tls_cert_file": "AVAILABILITY_TLS_CERT_FILE",
            "tls_key_file": "AVAILABILITY_TLS_KEY_FILE",
            "tls_client_ca_file": "AVAILABILITY_TLS_CLIENT_CA_FILE",
            "metrics_address": "AVAILABILITY_METRICS_ADDRESS",
            "listen_database_url": "AVAILABILITY_LISTEN_DATABASE_URL",
        }
        for attr, var in simple.items():
            if env.get(var):
                values[attr] = env[var]
        if env.get("AVAILABILITY_DATA_DIR"):
            values["data_dir"] = Path(env["AVAILABILITY_DATA_DIR"])
        if env.get("AVAILABILITY_DB_POOL_SIZE"):
            values["db_pool_size"] = int(env["AVAILABILITY_DB_POOL_SIZE"])
        if env.get("AVAILABILITY_MAX_HOLD_TTL_SECONDS"):
            values["max_hold_ttl"] = timedelta(
                seconds=int(env["AVAILABILITY_MAX_HOLD_TTL_SECONDS"])
            )
        if env.get("AVAILABILITY_SWEEP_INTERVAL_SECONDS"):
            values["sweep_interval_seconds"] = float(env["AVAILABILITY_SWEEP_INTERVAL_SECONDS"])
        if env.get("AVAILABILITY_MAX_CONCURRENT_RPCS"):
            values["max_concurrent_rpcs"] = int(env["AVAILABILITY_MAX_CONCURRENT_RPCS"])
        if env.get("AVAILABILITY_METRICS_PORT"):
            values["metrics_port"] = int(env["AVAILABILITY_METRICS_PORT"])
        for attr, var, kind in _WATCH_ENV + _OPERATIONS_ENV:
            if env.get(var):
                values[attr] = kind(env[var])
        if env.get("AVAILABILITY_READ_DATABASE_URLS"):
            values["read_database_urls"] = parse_url_list(env["AVAILABILITY_READ_DATABASE_URLS"])
        for attr, var in _READ_ENV:
            if env.get(var):
                values[attr] = float(env[var])
        values["allow_insecure"] = _env_bool("AVAILABILITY_ALLOW_INSECURE", False)
        values["rate_limit_enabled"] = _env_bool("AVAILABILITY_RATE_LIMIT_ENABLED", True)
        if env.get("AVAILABILITY_RATE_LIMITS"):
            values["rate_limits"] = env["AVAILABILITY_RATE_LIMITS"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]  # values are typed per field above
