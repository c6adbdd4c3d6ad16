"""Configuration from the environment, with safe development defaults.

REKAP_DATABASE_URL  sqlite:///path/to.db (default sqlite:///var/rekap.db) or
                    postgresql://user[:password]@host[:port]/dbname[?schema=name]
REKAP_EVIDENCE_DIR  where evidence files (photos, PDFs) are kept (default var/evidence)
REKAP_AUDIT_KEY     PEM file of the Ed25519 key that signs tree heads (default var/audit-key.pem,
                    generated on first use)
REKAP_TOTP_KEY      file of the AES-256 key that seals the tokens' second-factor secrets (default
                    var/totp-key, generated on first use; base64 of 32 random bytes)
REKAP_POOL_SIZE     PostgreSQL connections per process and store (default 4)
REKAP_DB_CONNECT_TIMEOUT    seconds a new PostgreSQL connection may take (default 3)
REKAP_DB_POOL_TIMEOUT       seconds a caller waits for a pooled connection (default 3)
REKAP_DB_STATEMENT_TIMEOUT  seconds a statement may run in an API worker (default 30; 0: none)
REKAP_PROJECTION_LEASE      seconds a projection runner's heartbeat stays valid (default 15)
REKAP_LOG_ORIGIN    the audit log's identity in its checkpoints and the name of its key: a
                    schema-less URL, one per deployment (default localhost/rekap-dev)
REKAP_WITNESSES     a file of witness verifier keys, one a line, whose cosignatures the log
                    accepts and attaches to its checkpoints (default var/witnesses.txt, if any)
REKAP_READ_DATABASE_URL     PostgreSQL streaming replicas of the store (URLs separated by commas
                    or spaces) that public reads go to; none by default. A URL without
                    ?schema= reads the primary's schema.
REKAP_REPLICA_MAX_LAG       seconds a replica may be behind the primary and still serve reads
                    (default 5)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

DEFAULT_DATABASE_URL = "sqlite:///var/rekap.db"
DEFAULT_LOG_ORIGIN = "localhost/rekap-dev"


class ConfigError(Exception):
    """The configuration cannot be used."""


@dataclass(frozen=True)
class DatabaseConfig:
    url: str
    dialect: str  # "sqlite" or "postgresql"
    path: str = ""  # sqlite
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""
    schema: str = "public"

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def eventsourcing_env(
        self, *, create_table: bool, pool_size: int, pool_timeout: float = 3.0
    ) -> dict[str, str]:
        """The library's environment for this store (create_table only in `rekap init`)."""
        env = {"CREATE_TABLE": "y" if create_table else "n"}
        if self.is_sqlite:
            env.update(
                PERSISTENCE_MODULE="eventsourcing.sqlite",
                SQLITE_DBNAME=self.path,
                SQLITE_LOCK_TIMEOUT="30",
            )
        else:
            env.update(
                PERSISTENCE_MODULE="eventsourcing.postgres",
                POSTGRES_DBNAME=self.dbname,
                POSTGRES_HOST=self.host,
                POSTGRES_PORT=str(self.port),
                POSTGRES_USER=self.user,
                POSTGRES_PASSWORD=self.password,
                POSTGRES_SCHEMA=self.schema,
                POSTGRES_POOL_SIZE=str(pool_size),
                POSTGRES_MAX_OVERFLOW=str(pool_size),
                # A stuck writer must not block every other writer forever.
                POSTGRES_LOCK_TIMEOUT="5",
                # The library's name for how long a caller waits for a pooled connection
                # (whole seconds); the libpq connect timeout is set by Rekap itself.
                POSTGRES_CONNECT_TIMEOUT=str(max(1, math.ceil(pool_timeout))),
            )
        return env


def parse_read_urls(text: str, primary: DatabaseConfig) -> tuple[DatabaseConfig, ...]:
    """The replicas of REKAP_READ_DATABASE_URL: PostgreSQL URLs of standbys of the primary."""
    urls = [u for u in text.replace(",", " ").split() if u]
    if urls and primary.is_sqlite:
        raise ConfigError("REKAP_READ_DATABASE_URL: replicas need a PostgreSQL primary")
    replicas = []
    for url in urls:
        try:
            replica = parse_database_url(url)
        except ConfigError as exc:
            reason = str(exc).removeprefix("REKAP_DATABASE_URL: ")
            raise ConfigError(f"REKAP_READ_DATABASE_URL: {reason}") from None
        if replica.is_sqlite:
            raise ConfigError(f"REKAP_READ_DATABASE_URL: '{url}' is not a PostgreSQL URL")
        if "schema" not in parse_qs(urlparse(url).query):
            replica = replace(replica, schema=primary.schema)  # a standby is the same database
        replicas.append(replica)
    return tuple(replicas)


def parse_database_url(url: str) -> DatabaseConfig:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise ConfigError(f"REKAP_DATABASE_URL: '{url}' needs a path: sqlite:///var/rekap.db")
        return DatabaseConfig(url=url, dialect="sqlite", path=path)
    if parsed.scheme in ("postgresql", "postgres"):
        dbname = parsed.path.lstrip("/")
        if not parsed.hostname or not dbname:
            raise ConfigError(
                f"REKAP_DATABASE_URL: '{url}' must be postgresql://user@host[:port]/dbname"
            )
        schema = parse_qs(parsed.query).get("schema", ["public"])[0]
        if not schema.replace("_", "").isalnum():
            raise ConfigError(f"REKAP_DATABASE_URL: schema '{schema}' must be letters, digits, _")
        return DatabaseConfig(
            url=url,
            dialect="postgresql",
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=unquote(parsed.username or "postgres"),
            password=unquote(parsed.password or ""),
            dbname=dbname,
            schema=schema,
        )
    raise ConfigError(
        f"REKAP_DATABASE_URL: unsupported '{url}': use sqlite:///path or postgresql://..."
    )


@dataclass(frozen=True)
class StoreTimeouts:
    """How long a process waits on PostgreSQL before it gives up (and the API answers 503)."""

    connect: float = 3.0  # a new connection (libpq rounds up to whole seconds, 2 at least)
    pool: float = 3.0  # a free connection from a pool
    statement: float = 30.0  # one statement of an API request, under gunicorn's 60 s (0: none)


@dataclass(frozen=True)
class Settings:
    database: DatabaseConfig
    evidence_dir: Path
    audit_key: Path
    totp_key: Path = Path("var/totp-key")
    pool_size: int = 4
    timeouts: StoreTimeouts = StoreTimeouts()
    projection_lease: float = 15.0
    limit_statements: bool = False  # only the API's requests run under timeouts.statement
    log_origin: str = DEFAULT_LOG_ORIGIN
    witnesses: Path = Path("var/witnesses.txt")
    replicas: tuple[DatabaseConfig, ...] = ()  # streaming replicas that serve public reads
    replica_max_lag: float = 5.0  # seconds behind the primary a replica still serves reads
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        try:
            pool_size = int(env.get("REKAP_POOL_SIZE", "4"))
        except ValueError:
            raise ConfigError("REKAP_POOL_SIZE must be a whole number") from None
        origin = env.get("REKAP_LOG_ORIGIN") or DEFAULT_LOG_ORIGIN
        if not origin.isprintable() or any(c.isspace() or c == "+" for c in origin):
            raise ConfigError(
                f"REKAP_LOG_ORIGIN: {origin!r} must be a schema-less URL without spaces or '+' "
                "(e.g. rekap.kpu.go.id/pilkada-2024)"
            )
        database = parse_database_url(env.get("REKAP_DATABASE_URL") or DEFAULT_DATABASE_URL)
        return cls(
            database=database,
            evidence_dir=Path(env.get("REKAP_EVIDENCE_DIR") or "var/evidence"),
            audit_key=Path(env.get("REKAP_AUDIT_KEY") or "var/audit-key.pem"),
            totp_key=Path(env.get("REKAP_TOTP_KEY") or "var/totp-key"),
            pool_size=pool_size,
            timeouts=StoreTimeouts(
                connect=_seconds(env, "REKAP_DB_CONNECT_TIMEOUT", 3.0),
                pool=_seconds(env, "REKAP_DB_POOL_TIMEOUT", 3.0),
                statement=_seconds(env, "REKAP_DB_STATEMENT_TIMEOUT", 30.0),
            ),
            projection_lease=_seconds(env, "REKAP_PROJECTION_LEASE", 15.0),
            log_origin=origin,
            witnesses=Path(env.get("REKAP_WITNESSES") or "var/witnesses.txt"),
            replicas=parse_read_urls(env.get("REKAP_READ_DATABASE_URL", ""), database),
            replica_max_lag=_seconds(env, "REKAP_REPLICA_MAX_LAG", 5.0),
        )

    def for_requests(self) -> Settings:
        """These settings for a process that answers HTTP requests: statements are bounded."""
        return replace(self, limit_statements=True)

    @property
    def statement_timeout(self) -> float:
        return self.timeouts.statement if self.limit_statements else 0.0

    def connect_options(self) -> dict[str, str]:
        """libpq settings for every PostgreSQL connection this process opens."""
        options = {"connect_timeout": str(max(2, math.ceil(self.timeouts.connect)))}
        if self.statement_timeout > 0:
            options["options"] = f"-c statement_timeout={int(self.statement_timeout * 1000)}"
        return options


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not '{raw}'") from None
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a number of seconds, not '{raw}'")
    return value
