"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest

from service.cli.main import main
from service.config import Settings


@pytest.fixture
def rekap(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """`rekap ARGV...` in this process on the test's store (initialised): (code, stdout, stderr)."""
    monkeypatch.setenv("REKAP_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("REKAP_TOTP_KEY", str(settings.totp_key))

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init")[0] == 0
    return run
