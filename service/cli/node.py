"""`rekap node export | init | pull | push`: a kecamatan working offline on a node of its own
(a laptop with the embedded store), and its link to central (api.md "Running")."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from service.cli.common import CliError, Command, catch_up, store
from service.node import bundle, local
from service.node.client import LinkError, pull, push


def add_commands(sub: Any, command: Command) -> None:
    node = sub.add_parser("node", help="an offline kecamatan node").add_subparsers()
    p = command(
        "export",
        cmd_export,
        "central: write what a kecamatan needs to work offline to FILE (gzip JSON)",
        node,
    )
    p.add_argument("--election", required=True)
    p.add_argument("--region", required=True, help="the kecamatan (6 digits)")
    p.add_argument("file", type=Path)
    p = command(
        "init",
        cmd_init,
        "the laptop: make this (new, initialised) store the node of FILE's kecamatan",
        node,
    )
    p.add_argument("file", type=Path)
    p = command("pull", cmd_pull, "bring in what central received for the kecamatan", node)
    p.add_argument(
        "--from", dest="url", required=True, help="central's URL, or a newer export FILE"
    )
    p = command(
        "push",
        cmd_push,
        "send what the node did to central (POST /api/v1/sync); exits 1 if a step conflicts",
        node,
    )
    p.add_argument("--to", dest="url", required=True, help="central's URL")
    p.add_argument("--token", required=True, help="central's token of the kecamatan's PPK")
    p.add_argument("--otp", help="the token's current code, where it has a second factor")
    p.add_argument("--batch", type=int, default=0, help="steps per request (default: all in one)")
    command("status", cmd_status, "the node's identity and the steps it would push", node)


def cmd_export(args: argparse.Namespace) -> int:
    with store() as services:
        catch_up(services)
        document = bundle.export(services.db, args.election, args.region)
    bundle.write(document, args.file)
    print(
        json.dumps(
            {
                "file": str(args.file),
                "election": args.election,
                "region": document["region"],
                "tps": len(document["tps"]),
                "events": len(document["events"]),
                "head": document["head"],
            }
        )
    )
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    if not args.file.exists():
        raise CliError(f"no such file: {args.file}")
    document = bundle.read(args.file)
    with store() as services:
        summary = local.init_node(services, document)
        catch_up(services)
    print(json.dumps({k: v for k, v in summary.items() if k != "tps"}))
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    source = Path(args.url)
    with store() as services:
        try:
            if "://" not in args.url and source.exists():  # a newer export, on a USB stick
                summary = local.pull(services, bundle.read(source))
            else:
                summary = pull(services, args.url)
        except LinkError as exc:
            raise CliError(str(exc)) from None
        catch_up(services)
    print(json.dumps(summary))
    return 1 if summary["diverged"] else 0


def cmd_push(args: argparse.Namespace) -> int:
    with store() as services:
        try:
            report = push(services, args.url, args.token, args.otp, args.batch)
        except (LinkError, LookupError) as exc:
            raise CliError(str(exc)) from None
    print(json.dumps(report))
    conflicts = [s for s in report["steps"] if s["status"] == "conflict"]
    for s in conflicts:
        print(f"conflict: step {s['step']}: {s['reason']}", file=sys.stderr)
    return 1 if conflicts else 0


def cmd_status(args: argparse.Namespace) -> int:
    from service.node.steps import node_steps

    with store() as services:
        try:
            node, steps = node_steps(services)
        except LookupError as exc:
            raise CliError(str(exc)) from None
    kinds: dict[str, int] = {}
    for s in steps:
        kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
    print(json.dumps({**{k: v for k, v in node.items() if k != "tps"}, "steps": kinds}))
    return 0
