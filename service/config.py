"""Configuration from the environment, with safe development defaults.

REKAP_DATABASE_URL  sqlite:///path/to.db (default sqlite:///var/rekap.db) or
                    postgresql://user[:password]@host[:port]/dbname[?schema=name]
REKAP_EVIDENCE_DIR  where evidence files (photos, PDFs) are kept (default var/evidence)
REKAP_AUDIT_KEY     PEM file of the Ed25519 key that signs tree heads (default var/audit-key.pem,
                    generated on first use)
REKAP_POOL_SIZE     PostgreSQL connections per process and store (default 4)
REKAP_LOG_ORIGIN    the audit log's identity in its checkpoints and the name of its key: a
                    schema-less URL, one per deployment (default localhost/rekap-dev)
REKAP_WITNESSES     a file of witness verifier keys, one a line, whose cosignatures the log
                    accepts and attaches to its checkpoints (default var/witnesses.txt, if any)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
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

    def eventsourcing_env(self, *, create_table: bool, pool_size: int) -> dict[str, str]:
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
                POSTGRES_CONNECT_TIMEOUT="10",
            )
        return env


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
class Settings:
    database: DatabaseConfig
    evidence_dir: Path
    audit_key: Path
    pool_size: int = 4
    log_origin: str = DEFAULT_LOG_ORIGIN
    witnesses: Path = Path("var/witnesses.txt")
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
        return cls(
            database=parse_database_url(env.get("REKAP_DATABASE_URL") or DEFAULT_DATABASE_URL),
            evidence_dir=Path(env.get("REKAP_EVIDENCE_DIR") or "var/evidence"),
            audit_key=Path(env.get("REKAP_AUDIT_KEY") or "var/audit-key.pem"),
            pool_size=pool_size,
            log_origin=origin,
            witnesses=Path(env.get("REKAP_WITNESSES") or "var/witnesses.txt"),
        )
