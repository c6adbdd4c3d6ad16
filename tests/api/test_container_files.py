"""The Dockerfile and compose.yaml name entry points that exist and work (Docker cannot run here;
test_gunicorn.py runs the image's own command against PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from service.cli.main import build_parser
from service.config import parse_database_url

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_cmd() -> list[str]:
    """The command the image runs by default (its last CMD, in exec form)."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    cmd = [line for line in lines if line.startswith("CMD ")][-1]
    return list(json.loads(cmd.removeprefix("CMD ")))


def final_stage() -> list[str]:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    return lines[starts[-1] :]


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "compose.yaml").read_text()))


def test_the_image_serves_with_gunicorn_as_a_user_that_is_not_root() -> None:
    assert dockerfile_cmd() == [
        "gunicorn",
        "-c",
        "python:api.gunicorn_conf",
        "api.wsgi:application",
    ]
    stage = final_stage()
    users = [line.split()[1] for line in stage if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert not any(tool in line for line in stage for tool in ("gcc", "build-essential", "apt-get"))
    assert any("--from=build" in line for line in stage)


def test_compose_runs_init_api_and_projections_against_postgresql() -> None:
    services = compose()["services"]
    assert {"db", "init", "api", "projections"} <= set(services)
    for name in ("init", "api", "projections"):
        url = services[name]["environment"]["REKAP_DATABASE_URL"]
        assert parse_database_url(url).dialect == "postgresql"
    assert "command" not in services["api"]  # the image's gunicorn
    for name in ("init", "projections"):
        command = services[name]["command"]
        assert command[0] == "rekap"
        args = build_parser().parse_args(command[1:])
        assert hasattr(args, "handler"), command
    assert services["api"]["depends_on"]["init"]["condition"] == "service_completed_successfully"
