"""`rekap submit | correct | recap`: one TPS's results, and the recap of a region."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from domain.access import SYSTEM
from domain.codes import normalise, tps_code
from service.bootstrap import Services
from service.cli.common import Command, catch_up, read_json, store
from service.input import results as given

SUMMARY = (
    "code",
    "name",
    "votes",
    "valid",
    "invalid",
    "total",
    "tps_reported",
    "tps_total",
    "percentages",
    "winner",
)


def add_commands(sub: Any, command: Command) -> None:
    p = command("submit", cmd_submit, "submit a TPS result from a JSON file (the API's body)")
    _result_args(p)
    p = command("correct", cmd_correct, "correct a TPS result from a JSON file {form, reason}")
    _result_args(p)
    p.add_argument("--version", type=int, required=True, help="the version being corrected")
    p = command("recap", cmd_recap, "show the recap of a region")
    p.add_argument("--election", required=True)
    p.add_argument("--contest", required=True)
    p.add_argument("region", nargs="?", help="region code (default: the contest's region)")
    p.add_argument("--json", action="store_true", help="print the API's JSON document")


def _result_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--election", required=True)
    p.add_argument("--contest", required=True)
    p.add_argument("--tps", required=True)
    p.add_argument("file", type=Path, help="JSON file ('-' for standard input)")


def cmd_submit(args: argparse.Namespace) -> int:
    from service.usecases.results import submit

    command = given.submission(tps_code(args.tps), read_json(args.file))
    with store() as services:
        outcome = submit(
            services.results, SYSTEM, args.election, args.contest, command, source="cli"
        )
        status = "created" if outcome.created else "already stored"
        print(json.dumps({"status": status, **outcome.to_dict()}, indent=2))
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    from service.usecases.results import correct

    command = given.correction(tps_code(args.tps), read_json(args.file), args.version)
    with store() as services:
        outcome = correct(services.results, SYSTEM, args.election, args.contest, command)
        print(json.dumps(outcome.to_dict(), indent=2))
    return 0


def cmd_recap(args: argparse.Namespace) -> int:
    with store() as services:
        catch_up(services)
        contest = services.queries.contest(args.election, args.contest)
        code = normalise(args.region) if args.region else contest.region
        document = services.queries.region(args.election, args.contest, code)
        if args.json:
            print(json.dumps(document, indent=2))
        else:
            print(recap_table(document, contest.to_dict()))
    return 0


def recap_table(doc: dict[str, Any], contest: dict[str, Any]) -> str:
    names = {str(c["number"]): c["name"] for c in contest.get("parties") or contest["candidates"]}
    lines = [
        f"{doc['name']} ({doc['code']}, {doc['tier']})",
        f"TPS {doc['tps_reported']:,}/{doc['tps_total']:,} ({doc['progress']}%), "
        f"DPT {doc['dpt']:,}",
    ]
    for key, votes in doc["votes"].items():
        lines.append(
            f"  {key}. {names.get(key, key):<40} {votes:>12,}  {doc['percentages'][key]:>6}%"
        )
    lines.append(f"  valid {doc['valid']:,}  invalid {doc['invalid']:,}  total {doc['total']:,}")
    a = doc["anomalies"]
    lines.append(
        f"  anomalies: {a['hard']} TPS hard, {a['soft']} TPS soft"
        + (f" ({', '.join(a['tps'][:10])})" if a["tps"] else "")
    )
    if doc.get("winner"):
        w = doc["winner"]
        lines.append(f"  winner: {w['status']} {w['candidates']} - {w['detail']}")
    for child in doc["children"]:
        lines.append(
            f"    {child['code']:<14} {child['name'][:28]:<28} "
            f"{child['tps_reported']:>6}/{child['tps_total']:<6} "
            + " ".join(f"{v:>10,}" for v in child["votes"].values())
        )
    return "\n".join(lines)


def summary(services: Services, eid: str, cid: str, code: str) -> dict[str, Any]:
    document = services.queries.region(eid, cid, code)
    return {k: document[k] for k in SUMMARY}
