"""The `rekap` command line, as an operator uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import segno

from domain.access import Role
from service.bootstrap import build_services
from service.cli.main import main
from service.cli.tokens import show_qr_code
from service.config import Settings, parse_database_url
from service.store.tokens import CodeCheck
from tests.conftest import POSTGRES_URL, require_postgres
from tests.factories import CONTEST, DPT, ELECTION, GUBERNUR, TPS, TREE, pilkada_form, submission
from tests.live import ROOT, free_port
from tests.totp_codes import code_now


def write(path: Path, document: object) -> str:
    path.write_text(json.dumps(document))
    return str(path)


def test_an_operator_loads_submits_recaps_and_rebuilds(rekap, tmp_path: Path) -> None:
    election = write(
        tmp_path / "election.json",
        {"election": {"id": ELECTION, "name": "Pemilihan Uji"}, "contests": [GUBERNUR], **TREE},
    )
    code, out, _ = rekap("election", "load", election)
    assert code == 0 and json.loads(out)["loaded"] == 3
    code, out, _ = rekap("election", "load", election)
    assert code == 0 and json.loads(out)["unchanged"] == 3 and json.loads(out)["loaded"] == 0

    body = write(
        tmp_path / "c1.json", submission(pilkada_form(DPT[TPS[0]], {"1": 7, "2": 8, "3": 9}))
    )
    code, out, _ = rekap(
        "submit", "--election", ELECTION, "--contest", CONTEST, "--tps", "91.01.01.1001.001", body
    )
    assert code == 0 and json.loads(out)["status"] == "created"
    code, out, _ = rekap(
        "submit", "--election", ELECTION, "--contest", CONTEST, "--tps", TPS[0], body
    )
    assert code == 0 and json.loads(out)["status"] == "already stored"

    code, out, _ = rekap("recap", "--election", ELECTION, "--contest", CONTEST, "--json")
    recap = json.loads(out)
    assert code == 0 and recap["votes"] == {"1": 7, "2": 8, "3": 9} and recap["tps_reported"] == 1
    code, out, _ = rekap("recap", "--election", ELECTION, "--contest", CONTEST, "9101")
    assert code == 0 and "KAB SATU" in out and "1/5" in out.replace(" ", "")

    code, out, _ = rekap("projections", "rebuild")
    assert code == 0 and json.loads(out)["rebuilt"] is True
    code, out, _ = rekap("recap", "--election", ELECTION, "--contest", CONTEST, "--json")
    assert json.loads(out) == recap


def test_bad_input_is_a_clear_error_and_a_non_zero_exit(rekap, tmp_path: Path) -> None:
    code, _, err = rekap("election", "load", str(tmp_path / "missing.json"))
    assert code == 1 and "no such file" in err
    (tmp_path / "broken.json").write_text("{not json")
    code, _, err = rekap("election", "load", str(tmp_path / "broken.json"))
    assert code == 1 and "not valid JSON" in err
    (tmp_path / "twice.json").write_text('{"election": {"id": "a", "id": "b", "name": "x\\u0000"}}')
    code, _, err = rekap("election", "load", str(tmp_path / "twice.json"))
    assert code == 1 and "election.id: appears twice" in err
    assert "election.name: holds a control character (U+0000)" in err
    election = write(
        tmp_path / "e.json",
        {"election": {"id": ELECTION, "name": "U"}, "contests": [GUBERNUR], **TREE},
    )
    rekap("election", "load", election)
    form = pilkada_form(DPT[TPS[1]], {"1": 1, "2": 1, "3": 1})
    form["votes"]["7"] = 3
    body = write(tmp_path / "bad.json", submission(form))
    code, out, err = rekap(
        "submit", "--election", ELECTION, "--contest", CONTEST, "--tps", TPS[1], body
    )
    assert code == 1 and out == "" and "form.votes.7: unknown candidate" in err
    code, _, err = rekap("recap", "--election", ELECTION, "--contest", "nope")
    assert code == 1 and "no contest 'nope'" in err


def test_a_token_is_printed_once_and_nothing_else(rekap) -> None:
    code, out, _ = rekap(
        "token", "create", "--role", "ppk", "--scope", "91.01.01", "--name", "PPK Satu"
    )
    token = out.strip()
    assert code == 0 and token.startswith("rk_") and out.count("\n") == 1
    code, out, _ = rekap("token", "list")
    assert token not in out and '"scope": "910101"' in out
    code, _, err = rekap("token", "create", "--role", "kpps", "--scope", "9101")
    assert code == 1 and "scoped to a tps" in err
    token_id = json.loads(out.splitlines()[0])["token_id"]
    assert rekap("token", "revoke", token_id)[0] == 0
    assert rekap("token", "revoke", token_id)[0] == 1


def test_a_totp_token_prints_the_token_then_its_uri_and_the_code_from_that_uri_counts(
    rekap, settings: Settings
) -> None:
    code, out, err = rekap("token", "create", "--role", "ppk", "--scope", "910101", "--totp")
    token, uri = out.splitlines()
    assert code == 0 and out.count("\n") == 2 and token.startswith("rk_")
    assert uri.startswith("otpauth://totp/rekap:t_") and "secret=" in uri
    assert "█" not in err and "▀" not in err  # standard error is no terminal here: no QR code
    secret = uri.split("secret=")[1].split("&")[0]

    code, listed, _ = rekap("token", "list")
    [row] = [json.loads(line) for line in listed.splitlines()]
    assert row["second_factor"] == "totp" and secret not in listed and token not in listed

    services = build_services(settings)
    try:
        credential = services.tokens.credential_for(token)
        assert credential is not None and credential.second_factor
        assert services.tokens.check_code(row["token_id"], code_now(uri)) is CodeCheck.ACCEPTED
    finally:
        services.close()


def test_the_qr_code_of_the_uri_goes_to_standard_error_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    uri = "otpauth://totp/rekap:t_0123456789ab?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=rekap"
    screen, expected, pipe = Terminal(), Terminal(), io.StringIO()
    show_qr_code(uri, screen)
    show_qr_code(uri, pipe)
    segno.make_qr(uri).terminal(out=expected, compact=True)
    assert screen.getvalue() == expected.getvalue() and "█" in screen.getvalue()
    assert pipe.getvalue() == ""


def test_a_totp_key_file_that_is_no_key_is_one_line_and_no_token(rekap, settings: Settings) -> None:
    settings.totp_key.write_text("not a key\n")
    code, out, err = rekap("token", "create", "--role", "ppk", "--scope", "910101", "--totp")
    assert code == 1 and out == ""
    assert err.strip() == (
        f"error: REKAP_TOTP_KEY: {settings.totp_key} must hold the base64 of 32 random bytes "
        "(openssl rand -base64 32)"
    )
    assert rekap("token", "list")[1] == ""


def test_every_command_has_help(capsys: pytest.CaptureFixture) -> None:
    for argv in (
        ["--help"],
        ["serve", "--help"],
        ["submit", "--help"],
        ["projections", "rebuild", "--help"],
        ["token", "create", "--help"],
    ):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0
    assert "usage: rekap" in capsys.readouterr().out


def test_token_create_help_lists_every_role_with_its_scope(
    capsys: pytest.CaptureFixture,
) -> None:
    with pytest.raises(SystemExit):
        main(["token", "create", "--help"])
    out = capsys.readouterr().out
    for role in Role:
        assert f"\n  {role.value} " in out
    assert "--scope KECAMATAN" in out
    with pytest.raises(SystemExit) as refused:
        main(["token", "create", "--role", "kepala"])
    assert refused.value.code == 2 and "invalid choice: 'kepala'" in capsys.readouterr().err


def test_a_dead_or_missing_postgresql_is_one_line_naming_it_and_a_non_zero_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    require_postgres()
    server = parse_database_url(POSTGRES_URL)
    closed = free_port()
    missing = f"rekap_missing_{uuid.uuid4().hex[:8]}"
    recap = ["recap", "--election", ELECTION, "--contest", CONTEST]
    cases = [
        (
            f"postgresql://postgres@127.0.0.1:{closed}/postgres",
            f"error: PostgreSQL at 127.0.0.1:{closed} did not answer (Connection refused)",
            (["init"], ["serve", "--port", "0"], recap, ["projections", "run"]),
        ),
        (
            f"postgresql://{server.user}@{server.host}:{server.port}/{missing}",
            f"error: database '{missing}' does not exist on PostgreSQL at "
            f"{server.host}:{server.port}",
            (["init"], recap),
        ),
    ]
    monkeypatch.setenv("REKAP_DB_POOL_TIMEOUT", "1")
    for url, expected, commands in cases:
        monkeypatch.setenv("REKAP_DATABASE_URL", url)
        for argv in commands:
            code = main(argv)
            out, err = capsys.readouterr()
            assert code == 1 and out == "", argv
            assert len(err.strip().splitlines()) == 1 and err.startswith(expected), (argv, err)

    # The same from a shell: nothing else on standard error (no log lines, no traceback).
    env = {**os.environ, "REKAP_DATABASE_URL": cases[0][0]}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    lines = done.stderr.decode().strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and lines[0].startswith(cases[0][1]), lines
