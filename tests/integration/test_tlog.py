"""The log in the C2SP formats, on both stores: checkpoints, tiles, proof files, cosignatures,
and a witness that refuses a forked log."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from api.app import create_app
from service.audit.checkpoint import Checkpoint
from service.audit.cosignatures import accept_cosigned, checkpoint_note
from service.audit.leaves import record_bytes
from service.audit.log import AuditLog
from service.audit.merkle import MemoryNodeStore, append_leaves, leaf_hash, root
from service.audit.mirror import write_mirror
from service.audit.note import COSIGNATURE_V1, Note, Signer, open_note, parse_note
from service.audit.proofs import event_proof, tps_result_position, tps_result_proof
from service.audit.signing import verify_tree_head
from service.audit.tiles import Tile, TileNodeStore, decode_bundle, encode_bundle, tiles_of
from service.audit.tlogproof import Policy, check_tlog_proof
from service.audit.witness import ForkDetected, Witness, WitnessError
from service.bootstrap import Services
from service.read.projections.merkle import TxNodeStore, add_origin_column
from tests.factories import CONTEST, ELECTION, TPS
from tests.tlog_helpers import grow_log

HOSTILE = [
    b"",
    b"\x00\x01\x02",
    "\ud800".encode("utf-8", "surrogatepass"),
    b"localhost/rekap-dev\n1\nAAAA\n\n\xe2\x80\x94 x AAAA\n",
    b"[" * 1000 + b"]" * 1000,
    b"a\n" * 5000,
    ("x" * 70000).encode(),
]


def _witness_signer(name: str = "witness.test/w1") -> Signer:
    return Signer(name, Ed25519PrivateKey.generate(), COSIGNATURE_V1)


def _with_witnesses(services: Services, *signers: Signer) -> None:
    services.settings.witnesses.write_text(
        "# witnesses\n" + "".join(s.verifier.vkey() + "\n" for s in signers)
    )


@pytest.fixture
def log(services: Services) -> AuditLog:
    grow_log(services, 40)
    audit = AuditLog.of(services)
    audit.publish()
    return audit


def test_a_checkpoint_and_the_json_head_carry_one_signature(log: AuditLog) -> None:
    head = log.latest()
    note, verified = open_note(checkpoint_note(log, head).encode(), [log.verifier()])
    checkpoint = Checkpoint.parse(note.text)
    assert (checkpoint.origin, checkpoint.size) == ("localhost/rekap-dev", head.size)
    assert checkpoint.root.hex() == head.root and checkpoint.timestamp == head.timestamp
    assert base64.b64decode(head.signature) == verified[0].signature
    assert verify_tree_head(head, log.signer.public_key_b64())
    with log.db.transaction(write=False) as tx:
        assert root(TxNodeStore(tx), head.size) == checkpoint.root


def test_a_store_made_before_checkpoints_gains_the_origin_column(services: Services) -> None:
    with services.db.transaction() as tx:
        tx.execute("DROP TABLE audit_tree_head")
        tx.execute(
            "CREATE TABLE audit_tree_head (size BIGINT PRIMARY KEY, root TEXT NOT NULL, "
            "timestamp TEXT NOT NULL, signature TEXT NOT NULL, key_id TEXT NOT NULL, "
            "position BIGINT NOT NULL)"
        )
    services.runner.create_tables()
    with services.db.transaction() as tx:
        add_origin_column(tx)  # a second time changes nothing
    grow_log(services, 12)
    assert AuditLog.of(services).publish().origin == "localhost/rekap-dev"


def test_tiles_give_the_checkpoint_root_and_bundles_hash_to_the_leaves(log: AuditLog) -> None:
    head = log.latest()
    client = create_app(log.services).test_client()

    def fetch(tile: Tile) -> bytes:
        answer = client.get(f"/api/v1/audit/{tile.path()}")
        assert answer.status_code == 200, answer.data
        expected = "immutable" if tile.full else "max-age=60"
        assert expected in answer.headers["Cache-Control"]
        return answer.data

    assert root(TileNodeStore(fetch, head.size), head.size).hex() == head.root
    bundle = decode_bundle(fetch(Tile(None, 0, head.size)))
    tile = fetch(Tile(0, 0, head.size))
    assert [leaf_hash(e) for e in bundle] == [tile[i : i + 32] for i in range(0, len(tile), 32)]
    gzipped = client.get(
        f"/api/v1/audit/tile/entries/000.p/{head.size}", headers={"Accept-Encoding": "gzip"}
    )
    assert gzipped.headers["Content-Encoding"] == "gzip"
    for bad in ["tile/0/001", f"tile/0/000.p/{head.size + 1}", "tile/0/1", "tile/x/000", "x"]:
        answer = client.get(f"/api/v1/audit/{bad}")
        assert answer.status_code == 404 and answer.is_json, bad


def test_an_entry_over_the_bundle_limit_is_refused_by_name() -> None:
    with pytest.raises(Exception, match="entry 7 is 65536 bytes"):
        encode_bundle([b"a", b"b" * 65536], first_index=6)
    assert decode_bundle(encode_bundle([b"", b"x" * 65535])) == [b"", b"x" * 65535]


def test_the_mirror_is_written_incrementally_and_reads_as_the_api(
    log: AuditLog, tmp_path: Path
) -> None:
    first = write_mirror(log, tmp_path)
    assert first["written"] == first["tiles"] and not first["bundles_too_large"]
    grow_log(log.services, 300)
    second = write_mirror(log, tmp_path)
    size = second["size"]
    assert second["kept"] == 0 and size >= 300
    third = write_mirror(log, tmp_path)
    assert third["kept"] >= 2  # the full tile and bundle 000 are kept, never rewritten
    assert not (tmp_path / "tile/0/000.p").exists()
    store = TileNodeStore(lambda t: (tmp_path / t.path()).read_bytes(), size)
    note = parse_note((tmp_path / "checkpoint").read_bytes())
    assert root(store, size) == Checkpoint.parse(note.text).root
    assert sorted(t.path() for t in tiles_of(size)) == sorted(
        str(p.relative_to(tmp_path)) for p in (tmp_path / "tile").rglob("*") if p.is_file()
    )


def test_a_proof_file_of_a_tps_result_verifies_offline_under_a_witness_policy(
    log: AuditLog,
) -> None:
    witness = _witness_signer()
    _with_witnesses(log.services, witness)
    head = log.latest()
    served = checkpoint_note(log, head)
    signature = witness.sign(served.text, 1_732_700_000)
    accept_cosigned(log, served.with_signatures([signature]).encode())

    proof = tps_result_proof(log, ELECTION, CONTEST, TPS[1])
    policy = Policy(log.verifier(), [witness.verifier], 1)
    result, record = check_tlog_proof(proof.encode(), policy)
    assert result.ok, result.messages
    assert record is not None
    assert record["position"] == tps_result_position(log, ELECTION, CONTEST, TPS[1])
    assert json.loads(base64.b64decode(record["state"]))["tps"] == TPS[1]

    other = _witness_signer("witness.test/w2")
    two = Policy(log.verifier(), [witness.verifier, other.verifier], 2)
    assert not check_tlog_proof(proof.encode(), two)[0].ok
    forged = json.loads(proof.extra or b"{}")
    forged["state"] = base64.b64encode(b'{"votes":{"1":999}}').decode()
    tampered = type(proof)(proof.index, proof.hashes, proof.checkpoint, record_bytes(forged))
    assert not check_tlog_proof(tampered.encode(), policy)[0].ok


def test_the_proof_endpoints_answer_files_and_problems(log: AuditLog) -> None:
    client: FlaskClient = create_app(log.services).test_client()
    answer = client.get(f"/api/v1/elections/{ELECTION}/contests/{CONTEST}/tps/{TPS[0]}/proof")
    assert answer.status_code == 200 and answer.data.startswith(b"c2sp.org/tlog-proof@v1\n")
    assert ".tlog-proof" in answer.headers["Content-Disposition"]
    position = tps_result_position(log, ELECTION, CONTEST, TPS[0])
    assert client.get(f"/api/v1/audit/events/{position}/proof").data == answer.data
    assert event_proof(log, position).encode() == answer.data
    for url in [
        "/api/v1/audit/events/999999/proof",
        f"/api/v1/elections/{ELECTION}/contests/{CONTEST}/tps/9101011001099/proof",
        f"/api/v1/elections/{ELECTION}/contests/{CONTEST}/tps/%00%01/proof",
    ]:
        answer = client.get(url)
        assert answer.status_code in (404, 422) and answer.is_json, url


def test_the_log_attaches_only_listed_witnesses_on_the_exact_text_it_signed(
    log: AuditLog,
) -> None:
    listed, stranger = _witness_signer(), _witness_signer("witness.test/stranger")
    _with_witnesses(log.services, listed)
    client = create_app(log.services).test_client()
    served = client.get("/api/v1/audit/checkpoint").data.decode()
    note = parse_note(served)

    post = client.post("/api/v1/audit/checkpoint", data=_cosigned(note, stranger))
    assert post.status_code == 403 and post.get_json()["code"] == "forbidden"
    forged = Note(note.text.replace("\n", "\nx", 1), note.signatures)
    assert client.post("/api/v1/audit/checkpoint", data=_cosigned(forged, listed)).status_code in (
        404,
        409,
        422,
    )
    other_time = Note(note.text.replace("time ", "time 1"), note.signatures)
    conflict = client.post("/api/v1/audit/checkpoint", data=_cosigned(other_time, listed))
    assert conflict.status_code == 409
    for body in HOSTILE:
        answer = client.post("/api/v1/audit/checkpoint", data=body)
        assert answer.status_code in (400, 413, 422) and answer.is_json, body[:20]
    assert parse_note(client.get("/api/v1/audit/checkpoint").data).signatures == note.signatures

    accepted = client.post("/api/v1/audit/checkpoint", data=_cosigned(note, listed))
    assert accepted.status_code == 200
    served = client.get("/api/v1/audit/checkpoint").data
    assert served == accepted.data
    _, verified = open_note(served, [log.verifier(), listed.verifier])
    assert [s.name for s in verified] == [log.origin, listed.name]


def _cosigned(note: Note, signer: Signer) -> bytes:
    return note.with_signatures([signer.sign(note.text, 1_732_700_000)]).encode()


def _witness(log: AuditLog, tmp_path: Path, signer: Signer) -> Witness:
    client = create_app(log.services).test_client()

    def get(url: str) -> bytes:
        answer = client.get(url.removeprefix("http://log"))
        if answer.status_code != 200:
            raise WitnessError(f"GET {url}: {answer.status_code}")
        return answer.data

    def post(url: str, body: bytes) -> tuple[int, bytes]:
        answer = client.post(url.removeprefix("http://log"), data=body)
        return answer.status_code, answer.data

    return Witness(
        "http://log/api/v1/audit", log.verifier(), signer, tmp_path / "w.checkpoint", get, post
    )


def test_a_witness_cosigns_consistent_growth_and_refuses_a_fork_at_the_same_size(
    log: AuditLog, tmp_path: Path
) -> None:
    signer = _witness_signer()
    _with_witnesses(log.services, signer)
    witness = _witness(log, tmp_path, signer)
    first = witness.run_once()
    assert first.cosigned and first.attached and first.previous is None
    assert not witness.run_once().cosigned  # nothing new
    grow_log(log.services, log.services.runner.head() + 30)
    log.publish()
    second = witness.run_once()
    assert second.cosigned and second.attached and second.previous == first.size

    # The log re-signs another root at the size the witness holds, and serves it as latest.
    head = log.latest()
    # Signed at the stored head's own time: signing "now" would not match it across a second.
    forged = log.signer.sign(head.size, "ab" * 32, head.timestamp, origin=head.origin)
    with log.db.transaction() as tx:
        tx.execute(
            "UPDATE audit_tree_head SET root = %s, signature = %s WHERE size = %s",
            (forged.root, forged.signature, head.size),
        )
    with pytest.raises(ForkDetected, match=f"two checkpoints of size {head.size}") as caught:
        witness.run_once()
    assert caught.value.evidence is not None and caught.value.evidence.exists()
    served = checkpoint_note(log, log.latest())
    assert [s.name for s in served.signatures] == [log.origin]  # no cosignature on the fork


def test_a_witness_refuses_a_larger_checkpoint_that_does_not_extend_what_it_saw(
    log: AuditLog, services: Services, tmp_path: Path
) -> None:
    signer = _witness_signer()
    _with_witnesses(services, signer)
    witness = _witness(log, tmp_path, signer)
    witness.run_once()
    # A second history signed with the same key: a different leaf 0, and more of them.
    held = Checkpoint.parse(parse_note(witness.state.read_bytes()).text)
    with services.db.transaction() as tx:
        tx.execute("UPDATE audit_node SET hash = %s WHERE level = 0 AND idx = 0", ("cd" * 32,))
        tx.execute("DELETE FROM audit_node WHERE level > 0")
        tx.execute("DELETE FROM audit_tree_head")
    with services.db.transaction() as tx:
        leaves = [
            bytes.fromhex(r["hash"])
            for r in tx.query("SELECT hash FROM audit_node WHERE level = 0 ORDER BY idx")
        ]
    store = MemoryNodeStore()
    append_leaves(store, 0, leaves)
    with services.db.transaction() as tx:
        tx.executemany(
            "INSERT INTO audit_node (level, idx, hash) VALUES (%s, %s, %s)",
            [(lv, ix, h.hex()) for lv, ix, h in store.items() if lv > 0],
        )
    grow_log(services, services.runner.head() + 10)
    log.publish()
    assert log.latest().size > held.size
    with pytest.raises(ForkDetected, match="not consistent"):
        witness.run_once()
