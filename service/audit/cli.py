"""`rekap audit ...`: export, verify, prove, publish and check offline."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from service.audit.tlog_cli import add_policy_options, add_tlog_commands, check_tlog_proof_file

Command = Callable[..., argparse.ArgumentParser]


def add_audit_commands(sub: Any, command: Command) -> None:
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
    p.add_argument("--public-key", type=Path, help="the key the heads must be signed with")
    p.add_argument("--no-projections", action="store_true", help="check leaves and heads only")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
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
    p.add_argument("--public-key", type=Path, help="the trusted key (default: the document's)")
    add_policy_options(p)
    p = command("publish", cmd_publish, "write a static bundle anyone can verify offline", audit)
    p.add_argument("directory", type=Path)
    p = command(
        "check-bundle", cmd_check_bundle, "verify a published bundle offline (no store)", audit
    )
    p.add_argument("directory", type=Path)
    p.add_argument("--public-key", type=Path, help="the trusted key (default: the bundle's)")
    add_tlog_commands(audit, command)


def _read_key(path: Path | None) -> str | None:
    if path is None:
        return None
    from service.cli import CliError

    if not path.exists():
        raise CliError(f"no such file: {path}")
    return path.read_text(encoding="utf-8").strip()


def cmd_export(args: argparse.Namespace) -> int:
    from service.audit.events import iter_events
    from service.cli import _services
    from service.progress import Progress

    services = _services()
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
    from service.audit.verify import verify
    from service.cli import _services
    from service.progress import Progress

    services = _services()
    try:
        with Progress("verify", services.runner.head()) as bar:
            report = verify(
                services,
                public_key=_read_key(args.public_key),
                progress=bar.update,
                projections=not args.no_projections,
            )
    finally:
        services.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for difference in report.differences:
            print(f"DIFFERENCE {difference.describe()}")
        for note in report.notes:
            print(f"note: {note}")
        summary = report.to_dict()
        del summary["differences"], summary["notes"]
        print(
            ("OK " if report.ok else f"FAILED ({len(report.differences)} differences) ")
            + json.dumps(summary)
        )
    return 0 if report.ok else 1


def cmd_tree_head(args: argparse.Namespace) -> int:
    from service.audit.log import AuditLog
    from service.cli import _catch_up, _services

    services = _services()
    try:
        audit = AuditLog.of(services)
        if args.publish:
            _catch_up(services)
            audit.publish()
        print(json.dumps({**audit.latest().to_dict(), "public_key": audit.signer.public_key_b64()}))
    finally:
        services.close()
    return 0


def cmd_proof(args: argparse.Namespace) -> int:
    from service.audit.log import AuditLog
    from service.cli import CliError, _services

    if (args.position is None) == (args.first is None):
        raise CliError("give --position (inclusion) or --first (consistency)")
    services = _services()
    try:
        audit = AuditLog.of(services)
        if args.position is not None:
            document = audit.inclusion(args.position, args.size)
        else:
            document = audit.consistency(args.first, args.second)
        print(json.dumps(document, indent=2))
    finally:
        services.close()
    return 0


def cmd_check_proof(args: argparse.Namespace) -> int:
    from service.audit.proofcheck import check_document
    from service.audit.tlogproof import is_tlog_proof
    from service.cli import CliError

    if str(args.file) != "-" and not args.file.exists():
        raise CliError(f"no such file: {args.file}")
    data = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    if is_tlog_proof(data):
        return check_tlog_proof_file(args, data)
    result = check_document(json.loads(data), _read_key(args.public_key))
    for message in result.messages:
        print(message)
    print("OK" if result.ok else "FAILED")
    return 0 if result.ok else 1


def cmd_publish(args: argparse.Namespace) -> int:
    from service.audit.bundle import publish_bundle
    from service.cli import _services
    from service.progress import Progress

    services = _services()
    try:
        with Progress("publish", services.runner.head()) as bar:
            summary = publish_bundle(services, args.directory, bar.update)
        print(json.dumps({"directory": str(args.directory), **summary}))
    finally:
        services.close()
    return 0


def cmd_check_bundle(args: argparse.Namespace) -> int:
    from service.audit.bundle import check_bundle

    result = check_bundle(args.directory, _read_key(args.public_key))
    for message in result.messages:
        print(message)
    print("OK" if result.ok else "FAILED")
    return 0 if result.ok else 1
