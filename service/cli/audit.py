"""`rekap audit ...`: export, verify, prove, publish and check offline."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.audit.signing import TreeHead

from service.cli.common import CliError, open_services, store
from service.cli.tlog import (
    add_policy_options,
    add_tlog_commands,
    audit_log,
    check_tlog_proof_file,
)

Command = Callable[..., argparse.ArgumentParser]
log = logging.getLogger("rekap.audit")
KEY_FILE = (
    "the file holds the base64 of the raw 32-byte Ed25519 key, a PEM public key, or the JSON of "
    "`rekap audit tree-head` or /api/v1/audit/public-key"
)

VERIFY_HELP = """\
Recompute every leaf, tree head and read model from the raw store; exit 1 on any difference.

1. Each stored event's leaf hash against the audit tree's leaf at its position: a changed,
   deleted (a run of them is one finding) or inserted event, with how many later leaves shift.
2. Each signed tree head (the store's and those given with --head or remembered in --state):
   its signature, and its root against the root recomputed from the stored events at its size.
   A held head beyond the store's log, or missing from the store's heads, fails. Events after
   the last signed head are not covered by any signed head: that fails when the log has no
   signed head at all, or when they were logged longer after the last head than the
   projection's signing interval (10 s) allows (the heads that covered them were deleted);
   otherwise it is a note.
3. Each read model against a replay of the log into scratch tables, row by row. An event that
   cannot be decoded or applied is reported with its position.

Each cause is printed once (DIFFERENCE ...), followed by a count of what follows from it (later
leaves that shift, signed heads and rows that differ as a result). Progress is drawn on a
terminal and logged every few seconds otherwise.
"""


def add_commands(sub: Any, command: Command) -> None:
    audit = sub.add_parser(
        "audit", help="the tamper-evident log: export, verify, proofs, publication"
    ).add_subparsers()
    p = command("export", cmd_export, "write the log as NDJSON ('-' for standard output)", audit)
    p.add_argument("file", type=Path)
    p.add_argument("--after", type=int, default=0, help="start after this log position")
    p = command(
        "verify",
        cmd_verify,
        "recompute every leaf, tree head and read model from the raw store; exit 1 on any "
        "difference",
        audit,
    )
    p.description = VERIFY_HELP
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument(
        "--public-key",
        type=Path,
        metavar="FILE",
        help="the key the heads must be signed with (default: the store's signing key); "
        + KEY_FILE,
    )
    p.add_argument(
        "--head",
        type=Path,
        action="append",
        metavar="FILE",
        help="a signed tree head you hold (the JSON of `rekap audit tree-head`, "
        "/api/v1/audit/tree-head, or a list from /api/v1/audit/tree-heads); the store must "
        "reach its size with its root, and keep it; may be repeated",
    )
    p.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="remember the latest head checked in FILE: the next run checks the store still "
        "extends it (created on the first run; left as it was when verify fails)",
    )
    p.add_argument("--no-projections", action="store_true", help="check leaves and heads only")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the report as JSON (every finding with its consequences counted and the "
        "first few of them; bounded whatever the size of the log)",
    )
    p = command("tree-head", cmd_tree_head, "print the latest signed tree head", audit)
    p.add_argument("--publish", action="store_true", help="sign a head at the current size first")
    p = command("proof", cmd_proof, "print a proof document for check-proof", audit)
    p.add_argument("--position", type=int, help="inclusion proof of the event at this position")
    p.add_argument("--size", type=int, help="tree size (default: the latest head)")
    p.add_argument("--first", type=int, help="consistency proof from this size")
    p.add_argument("--second", type=int, help="... to this size (default: the latest head)")
    p = command(
        "check-proof",
        cmd_check_proof,
        "verify a tree head and a proof from their JSON alone",
        audit,
    )
    p.add_argument(
        "file", type=Path, help="JSON document or .tlog-proof file ('-' for standard input)"
    )
    p.add_argument(
        "--public-key",
        type=Path,
        metavar="FILE",
        help=f"the trusted key (default: the document's); {KEY_FILE}",
    )
    add_policy_options(p)
    p = command("publish", cmd_publish, "write a static bundle anyone can verify offline", audit)
    p.add_argument("directory", type=Path)
    p = command(
        "check-bundle", cmd_check_bundle, "verify a published bundle offline (no store)", audit
    )
    p.add_argument("directory", type=Path)
    p.add_argument(
        "--public-key",
        type=Path,
        metavar="FILE",
        help=f"the trusted key (default: the bundle's); {KEY_FILE}",
    )
    add_tlog_commands(audit, command)


def _read_key(path: Path | None) -> str | None:
    from service.audit.trusted import TrustedInputError, read_public_key

    if path is None:
        return None
    if not path.exists():
        raise CliError(f"no such file: {path}")
    try:
        return read_public_key(path)
    except TrustedInputError as exc:
        raise CliError(str(exc)) from None


def _read_heads(paths: list[Path] | None, state: Path | None) -> list[TreeHead]:
    from service.audit.trusted import TrustedInputError, read_heads, read_state

    heads: list[TreeHead] = []
    try:
        for path in paths or []:
            if not path.exists():
                raise CliError(f"no such file: {path}")
            heads += read_heads(path)
        if state is not None:
            heads += read_state(state)
    except TrustedInputError as exc:
        raise CliError(str(exc)) from None
    return heads


def cmd_export(args: argparse.Namespace) -> int:
    from service.audit.events import iter_events
    from service.progress import Progress

    services = open_services()
    try:
        total = max(services.runner.head() - args.after, 0)
        out = sys.stdout if str(args.file) == "-" else args.file.open("w", encoding="utf-8")
        try:
            with Progress("export", total) as bar:
                count = 0
                for event in iter_events(services.app, services.db, args.after):
                    out.write(json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n")
                    count += 1
                    if count % 1000 == 0:
                        bar.update(count)
                bar.update(count)
        finally:
            if out is not sys.stdout:
                out.close()
        print(json.dumps({"exported": count, "file": str(args.file)}), file=sys.stderr)
    finally:
        services.close()
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from service.audit.trusted import write_state
    from service.audit.verify import verify
    from service.progress import Progress

    key = _read_key(args.public_key)
    held = _read_heads(args.head, args.state)
    services = open_services()
    try:
        report = verify(
            services,
            public_key=key,
            phases=Progress,
            projections=not args.no_projections,
            held=held,
        )
    except Exception as exc:  # the store went away mid-way, say: an error, not a traceback
        log.debug("verify failed", exc_info=True)
        raise CliError(f"verify could not finish: {type(exc).__name__}: {exc}") from None
    finally:
        services.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        for line in report.lines():
            print(line)
    if args.state is not None:
        if report.ok and report.latest_verified is not None:
            write_state(args.state, report.latest_verified)
            print(
                f"state: {args.state} remembers the head of size {report.latest_verified.size}",
                file=sys.stderr,
            )
        elif not report.ok:
            print(f"state: {args.state} is left as it was", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_tree_head(args: argparse.Namespace) -> int:
    with audit_log(publish=args.publish) as audit:
        print(json.dumps({**audit.latest().to_dict(), "public_key": audit.signer.public_key_b64()}))
    return 0


def cmd_proof(args: argparse.Namespace) -> int:
    if (args.position is None) == (args.first is None):
        raise CliError("give --position (inclusion) or --first (consistency)")
    with audit_log() as audit:
        if args.position is not None:
            document = audit.inclusion(args.position, args.size)
        else:
            document = audit.consistency(args.first, args.second)
        print(json.dumps(document, indent=2))
    return 0


def cmd_check_proof(args: argparse.Namespace) -> int:
    from service.audit.proofcheck import check_document
    from service.audit.tlogproof import is_tlog_proof
    from service.input.strict_json import MalformedJson, parse_json

    if str(args.file) != "-" and not args.file.exists():
        raise CliError(f"no such file: {args.file}")
    data = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    if is_tlog_proof(data):
        return check_tlog_proof_file(args, data)
    try:
        document = parse_json(data)
    except MalformedJson as exc:
        raise CliError(f"{args.file} is not a proof document: {exc}") from None
    result = check_document(document, _read_key(args.public_key))
    for message in result.messages:
        print(message)
    print("OK" if result.ok else "FAILED")
    return 0 if result.ok else 1


def cmd_publish(args: argparse.Namespace) -> int:
    from service.audit.bundle import publish_bundle
    from service.progress import Progress

    with store() as services:
        summary = publish_bundle(services, args.directory, Progress)
        print(json.dumps({"directory": str(args.directory), **summary}))
    return 0


def cmd_check_bundle(args: argparse.Namespace) -> int:
    from service.audit.bundle import check_bundle
    from service.progress import Progress

    result = check_bundle(args.directory, _read_key(args.public_key), Progress)
    for message in result.messages:
        print(message)
    print(result.verdict())
    return 0 if result.ok else 1
