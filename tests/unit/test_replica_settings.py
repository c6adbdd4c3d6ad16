"""REKAP_READ_DATABASE_URL and REKAP_REPLICA_MAX_LAG: what they accept, and what they refuse."""

from __future__ import annotations

import pytest

from service.config import ConfigError, Settings

PRIMARY = "postgresql://rekap:secret@10.0.0.1:5432/rekap?schema=pemilu"


def settings(**env: str) -> Settings:
    return Settings.from_env({"REKAP_DATABASE_URL": PRIMARY, **env})


def test_no_replicas_unless_some_are_named() -> None:
    assert settings().replicas == ()
    assert settings(REKAP_READ_DATABASE_URL=" ").replicas == ()
    assert settings().replica_max_lag == 5.0


def test_replicas_are_separated_by_commas_or_spaces_and_read_the_primarys_schema() -> None:
    found = settings(
        REKAP_READ_DATABASE_URL="postgresql://rekap@10.0.0.2/rekap, "
        "postgresql://rekap@10.0.0.3:6432/rekap?schema=other  postgresql://r@10.0.0.4/rekap"
    ).replicas
    assert [(r.host, r.port, r.schema) for r in found] == [
        ("10.0.0.2", 5432, "pemilu"),
        ("10.0.0.3", 6432, "other"),
        ("10.0.0.4", 5432, "pemilu"),
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"REKAP_DATABASE_URL": "sqlite:///var/rekap.db"},
            "replicas need a PostgreSQL primary",
        ),
        ({"REKAP_READ_DATABASE_URL": "sqlite:///var/copy.db"}, "is not a PostgreSQL URL"),
        ({"REKAP_READ_DATABASE_URL": "mysql://x@y/z"}, "REKAP_READ_DATABASE_URL: unsupported"),
        ({"REKAP_READ_DATABASE_URL": "postgresql://x@/rekap"}, "REKAP_READ_DATABASE_URL: '"),
        ({"REKAP_REPLICA_MAX_LAG": "soon"}, "REKAP_REPLICA_MAX_LAG must be a number"),
        ({"REKAP_REPLICA_MAX_LAG": "-1"}, "REKAP_REPLICA_MAX_LAG must be a number"),
        ({"REKAP_REPLICA_MAX_LAG": "nan"}, "REKAP_REPLICA_MAX_LAG must be a number"),
    ],
)
def test_a_replica_setting_that_cannot_be_used_is_refused_with_its_name(
    env: dict[str, str], message: str
) -> None:
    env.setdefault("REKAP_READ_DATABASE_URL", "postgresql://rekap@10.0.0.2/rekap")
    with pytest.raises(ConfigError, match=message):
        settings(**env)
