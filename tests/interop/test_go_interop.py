"""Interoperability with an independent implementation: Go's golang.org/x/mod/sumdb/note and
sumdb/tlog (Debian's golang-go and golang-golang-x-mod-dev) read rekap's checkpoint, tiles,
entry bundles and proof files, and sign a note rekap verifies.

The Go program (tests/interop/go/tlogcheck) is compiled here into a temporary directory, offline,
against the Debian-packaged source. Without Go the tests skip, except in CI, where they fail.
"""

from __future__ import annotations

import base64
import functools
import os
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from service.audit.checkpoint import Checkpoint
from service.audit.cosignatures import checkpoint_note
from service.audit.log import AuditLog
from service.audit.mirror import write_mirror
from service.audit.note import Signer, Verifier, open_note, parse_note
from service.audit.proofs import event_proof
from service.bootstrap import Services
from tests.conftest import IN_CI
from tests.tlog_helpers import grow_log, serving

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "interop" / "go" / "tlogcheck"
GOPATH = Path("/usr/share/gocode")
INSTALL = "apt-get install -y golang-go golang-golang-x-mod-dev"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tlogcheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        message = f"Go and golang.org/x/mod are not installed ({INSTALL})"
        if IN_CI:
            pytest.fail(message + ": CI must run the interoperability tests", pytrace=False)
        pytest.skip(message)
    out = tmp_path_factory.mktemp("go")
    env = {
        **os.environ,
        "GO111MODULE": "off",  # GOPATH mode: the Debian source tree, no module proxy
        "GOPATH": str(GOPATH),
        "GOPROXY": "off",
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }
    if not (os.environ.get("HOME") or os.environ.get("XDG_CACHE_HOME")):
        env["GOCACHE"] = str(out / "cache")  # otherwise Go's own cache, kept between runs
    binary = out / "tlogcheck"
    built = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=SOURCE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    return binary


def _run(binary: Path, *args: str) -> str:
    done = subprocess.run(
        [str(binary), *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_go_opens_the_checkpoint_and_proves_inclusion_and_consistency_through_the_tiles(
    tlogcheck: Path, services: Services
) -> None:
    grow_log(services, 60)
    audit = AuditLog.of(services)
    old = audit.publish()
    assert old is not None
    grow_log(services, 300)  # a full tile, a partial one, and a level-1 tile
    head = audit.publish()
    assert head is not None and head.size > 256
    old_root = base64.b64encode(bytes.fromhex(old.root)).decode()
    indexes = ["0", "1", "255", "256", str(head.size - 1)]
    with serving(services) as base:
        out = _run(
            tlogcheck,
            "log",
            f"{base}/api/v1/audit",
            audit.verifier().vkey(),
            str(old.size),
            old_root,
            *indexes,
        )
    assert f"equals the root of localhost/rekap-dev at size {head.size}" in out
    assert f"size {head.size} is an extension of size {old.size}" in out
    assert out.count("tlog.CheckRecord proves it") == len(indexes)


def test_go_reads_the_static_mirror_from_a_plain_file_server(
    tlogcheck: Path, services: Services, tmp_path: Path
) -> None:
    grow_log(services, 280)
    audit = AuditLog.of(services)
    summary = write_mirror(audit, tmp_path / "mirror")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "mirror"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        out = _run(tlogcheck, "log", base, audit.verifier().vkey(), "3", str(summary["size"] - 1))
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert f"at size {summary['size']}" in out and out.count("CheckRecord proves it") == 2


def test_go_verifies_a_proof_file(tlogcheck: Path, services: Services, tmp_path: Path) -> None:
    grow_log(services, 30)
    audit = AuditLog.of(services)
    audit.publish()
    position = services.runner.head() - 3
    proof = tmp_path / "event.tlog-proof"
    proof.write_bytes(event_proof(audit, position).encode())
    out = _run(tlogcheck, "proof", str(proof), audit.verifier().vkey())
    assert "ok the record" in out


def test_a_note_signed_by_go_verifies_here_and_its_key_signs_alike(
    tlogcheck: Path, services: Services, tmp_path: Path
) -> None:
    grow_log(services, 10)
    audit = AuditLog.of(services)
    text = checkpoint_note(audit, audit.publish() or audit.latest()).text
    (tmp_path / "text").write_text(text)
    skey, vkey, *note_lines = _run(
        tlogcheck, "sign", "go.example/log", str(tmp_path / "text")
    ).split("\n")
    signed = "\n".join(note_lines).encode()
    note, verified = open_note(signed, [Verifier.from_vkey(vkey)])
    assert note.text == text and Checkpoint.parse(note.text).origin == audit.origin
    signer = Signer.from_skey(skey)
    assert signer.verifier.vkey() == vkey
    assert signer.sign(text) == verified[0]  # Ed25519 is deterministic: the same signature
    assert parse_note(signed).signatures == (verified[0],)
