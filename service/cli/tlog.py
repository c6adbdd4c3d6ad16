"""`rekap audit checkpoint | tiles | tlog-proof | witness | witness-key`, and check-proof of
tlog-proof files: the log in the C2SP formats from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.audit.note import COSIGNATURE_V1, ED25519, NoteError, Signer, Verifier
from service.cli.common import CliError, catch_up, open_services, store

if TYPE_CHECKING:
    from service.audit.log import AuditLog


@contextmanager
def audit_log(publish: bool = False) -> Iterator[AuditLog]:
    """The store's audit log for one command; `publish`: a tree head signed at the log's
    head first (the read models caught up to it)."""
    from service.audit.log import AuditLog

    with store() as services:
        audit = AuditLog.of(services)
        if publish:
            catch_up(services)
            audit.publish()
        yield audit


def add_tlog_commands(audit: Any, command: Any) -> None:
    p = command("checkpoint", cmd_checkpoint, "print the latest checkpoint (a signed note)", audit)
    p.add_argument("--publish", action="store_true", help="sign one at the current size first")
    p = command(
        "tiles",
        cmd_tiles,
        "write the checkpoint, hash tiles and entry bundles to DIR (a static mirror; incremental)",
        audit,
    )
    p.add_argument("directory", type=Path)
    p = command("tlog-proof", cmd_tlog_proof, "write a c2sp.org/tlog-proof file", audit)
    p.add_argument("--position", type=int, help="the event at this log position")
    p.add_argument("--tps", nargs=3, metavar=("ELECTION", "CONTEST", "TPS"), help="its result")
    p.add_argument("--output", "-o", type=Path, help="the file (default: standard output)")
    p = command(
        "witness",
        cmd_witness,
        "check the log's new checkpoint against the last one seen, cosign it and post it",
        audit,
    )
    p.add_argument("--log", required=True, help="the log's URL (http://host:port) or tlog prefix")
    p.add_argument("--key", type=Path, required=True, help="the witness's private key file")
    p.add_argument("--log-key", required=True, help="the log's vkey, or a file holding it")
    p.add_argument("--state", type=Path, help="the last seen checkpoint (default: KEY.checkpoint)")
    p.add_argument("--rounds", type=int, default=1, help="rounds to run (0: until stopped)")
    p.add_argument("--interval", type=float, default=10.0, help="seconds between rounds")
    p = command("witness-key", cmd_witness_key, "create a witness's Ed25519 key", audit)
    p.add_argument("--name", required=True, help="the witness's name, e.g. bawaslu.go.id/witness")
    p.add_argument("--out", type=Path, required=True, help="the private key file to create")


def add_policy_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--log-key", help="tlog-proof: the log's vkey (or a file holding it)")
    p.add_argument(
        "--witness",
        action="append",
        default=[],
        help="tlog-proof: a trusted witness's vkey or a file of vkeys (repeatable)",
    )
    p.add_argument("--quorum", type=int, help="cosignatures needed (default: every --witness)")


def _vkeys(value: str) -> list[Verifier]:

    text = Path(value).read_text(encoding="utf-8") if os.path.isfile(value) else value
    lines = [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]
    try:
        return [Verifier.from_vkey(line) for line in lines]
    except NoteError as exc:
        raise CliError(f"{value[:80]}: {exc}") from exc


def _one_vkey(value: str, signature_type: int, what: str) -> Verifier:

    found = _vkeys(value)
    if len(found) != 1 or found[0].signature_type != signature_type:
        kind = "Ed25519 (type 01)" if signature_type == ED25519 else "cosignature (type 04)"
        raise CliError(f"{what} must be one {kind} vkey: name+hash+key")
    return found[0]


def cmd_checkpoint(args: argparse.Namespace) -> int:
    from service.audit.cosignatures import latest_checkpoint

    with audit_log(publish=args.publish) as audit:
        sys.stdout.write(latest_checkpoint(audit).encode().decode())
        print(f"vkey: {audit.verifier().vkey()}", file=sys.stderr)
    return 0


def cmd_tiles(args: argparse.Namespace) -> int:
    from service.audit.log import AuditLog
    from service.audit.mirror import write_mirror
    from service.audit.tiles import tiles_of
    from service.progress import Progress

    services = open_services()
    try:
        audit = AuditLog.of(services)
        catch_up(services)
        total = sum(1 for _ in tiles_of(audit.size()))
        with Progress("tiles", total) as bar:
            summary = write_mirror(audit, args.directory, bar.update)
        print(json.dumps({"directory": str(args.directory), **summary}))
    finally:
        services.close()
    return 1 if summary["bundles_too_large"] else 0


def cmd_tlog_proof(args: argparse.Namespace) -> int:
    from service.audit.proofs import event_proof, tps_result_proof

    if (args.position is None) == (args.tps is None):
        raise CliError("give --position or --tps ELECTION CONTEST TPS")
    with audit_log() as audit:
        proof = (
            event_proof(audit, args.position)
            if args.position is not None
            else tps_result_proof(audit, *args.tps)
        )
    if args.output is None:
        sys.stdout.write(proof.encode().decode())
    else:
        args.output.write_bytes(proof.encode())
    return 0


def check_tlog_proof_file(args: argparse.Namespace, data: bytes) -> int:
    """check-proof of a tlog-proof file under the reader's policy (the log key, witnesses)."""
    from service.audit.events import plain
    from service.audit.leaves import state_of
    from service.audit.tlogproof import Policy, check_tlog_proof

    if not args.log_key:
        raise CliError("a tlog-proof is checked against the log's key: give --log-key VKEY")
    witnesses = [w for value in args.witness for w in _vkeys(value)]
    quorum = len(witnesses) if args.quorum is None else args.quorum
    try:
        policy = Policy(_one_vkey(args.log_key, ED25519, "--log-key"), witnesses, quorum)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    result, record = check_tlog_proof(data, policy)
    for message in result.messages:
        print(message)
    if record is not None:
        print(
            f"event: {record['topic']} version {record['originator_version']} of aggregate "
            f"{record['originator_id']}, log position {record['position']}"
        )
        try:
            state = json.loads(state_of(record))
            print("content: " + json.dumps(plain(state), ensure_ascii=False, sort_keys=True))
        except ValueError:
            print(f"content: {len(state_of(record))} bytes (not JSON)")
    print("OK" if result.ok else "FAILED")
    return 0 if result.ok else 1


def cmd_witness(args: argparse.Namespace) -> int:
    from service.audit.witness import ForkDetected, Witness, WitnessError, log_prefix

    if not args.key.exists():
        raise CliError(f"no such key file: {args.key} (create one with rekap audit witness-key)")
    try:
        signer = Signer.from_skey(args.key.read_text(encoding="utf-8"), COSIGNATURE_V1)
    except NoteError as exc:
        raise CliError(f"{args.key}: {exc}") from exc
    log = _one_vkey(args.log_key, ED25519, "--log-key")
    state = args.state or args.key.with_name(f"{args.key.name}.checkpoint")
    witness = Witness(log_prefix(args.log), log, signer, state)
    done = 0
    while True:
        try:
            outcome = witness.run_once()
        except ForkDetected as exc:
            print(str(exc), file=sys.stderr)
            return 3
        except WitnessError as exc:
            raise CliError(str(exc)) from exc
        print(json.dumps({"time": int(time.time()), **vars(outcome)}), flush=True)
        done += 1
        if args.rounds and done >= args.rounds:
            return 1 if outcome.cosigned and not outcome.attached else 0
        time.sleep(args.interval)


def cmd_witness_key(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if args.out.exists():
        raise CliError(f"{args.out} exists: a witness keeps its key")
    try:
        signer = Signer(args.name, Ed25519PrivateKey.generate(), COSIGNATURE_V1)
    except NoteError as exc:
        raise CliError(str(exc)) from exc
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(signer.skey() + "\n")
    print(signer.verifier.vkey())
    return 0
