"""The `rekap` command line: set up the store, load elections, submit, recap, serve."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from domain.access import DUTIES, SYSTEM, Role
from domain.codes import normalise
from domain.errors import DomainError
from service import store_errors
from service.bootstrap import Services, build_services, init_store
from service.config import ConfigError, Settings
from service.json_input import MalformedJson, parse_json
from service.progress import Progress
from service.projections.lease import ProjectionsBusy
from service.projections.runner import ProjectionStuck

log = logging.getLogger("rekap")


class CliError(Exception):
    """A failure the user can act on; printed without a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error.field}: {error.message}", file=sys.stderr)
        return 1
    except (CliError, ConfigError, OSError, ProjectionsBusy, ProjectionStuck) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a store that does not answer is one line, not a traceback
        if not store_errors.is_unreachable(exc):
            raise
        print(f"error: {_store_error(exc)}", file=sys.stderr)
        return 1


def _store_error(exc: Exception) -> str:
    try:
        return store_errors.describe(Settings.from_env().database, exc)
    except ConfigError:
        return str(exc)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rekap",
        description="Event-sourced staged vote recapitulation. The store is chosen by "
        "REKAP_DATABASE_URL (default sqlite:///var/rekap.db).",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(
        name: str, handler: Callable[[argparse.Namespace], int | None], help: str, parent: Any = sub
    ) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    command("init", cmd_init, "create the tables (running it again changes nothing)")

    p = command("serve", cmd_serve, "serve the API under gunicorn, with the projections")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: 2)")
    p.add_argument("--demo", action="store_true", help="load the demo election if there is none")

    demo = sub.add_parser("demo", help="the Jakarta 2024 demo election").add_subparsers()
    command("load", cmd_demo_load, "load the demo election (if not loaded yet)", demo)

    election = sub.add_parser("election", help="set up elections").add_subparsers()
    p = command(
        "load",
        cmd_election_load,
        "load an election from a JSON file: {election, contests, regions, tps}",
        election,
    )
    p.add_argument("file", type=Path)
    p = command(
        "import-wilayah",
        cmd_import_wilayah,
        "load the real 2024 region hierarchy with generated DPT",
        election,
    )
    p.add_argument("--election", required=True)
    p.add_argument("--name", help="create the election with this name if it does not exist")
    p.add_argument("--provinces", help="comma-separated province codes (default: all)")
    p.add_argument("--max-dpt", type=int, default=300, help="300 for Pemilu, 600 for Pilkada")
    p.add_argument("--seed", type=int, default=2024)

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

    from service.projections.cli import add_projection_commands

    add_projection_commands(sub, command)

    token = sub.add_parser("token", help="API tokens").add_subparsers()
    p = command("create", cmd_token_create, "issue a token; prints it, and nothing else", token)
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = "roles and their scope:\n" + "\n".join(
        f"  {role.value:<13} {DUTIES[role]}" for role in Role
    )
    p.add_argument("--role", required=True, choices=[r.value for r in Role], metavar="ROLE")
    p.add_argument("--scope", help="region or TPS code the role acts in (see below)")
    p.add_argument("--contest", help="a saksi's contest")
    p.add_argument("--candidate", type=int, help="a saksi's candidate number")
    p.add_argument("--name", default="", help="who holds it")
    p = command("revoke", cmd_token_revoke, "revoke a token (by token or token id)", token)
    p.add_argument("token")
    command("list", cmd_token_list, "list tokens (never their secret)", token)

    from service.audit.cli import add_audit_commands

    add_audit_commands(sub, command)
    return parser


def _result_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--election", required=True)
    p.add_argument("--contest", required=True)
    p.add_argument("--tps", required=True)
    p.add_argument("file", type=Path, help="JSON file ('-' for standard input)")


def _read_json(path: Path) -> Any:
    """A JSON file, read as strictly as a request body (service/json_input.py)."""
    if str(path) == "-":
        raw = sys.stdin.buffer.read()
    elif not path.exists():
        raise CliError(f"no such file: {path}")
    else:
        raw = path.read_bytes()
    try:
        return parse_json(raw)
    except MalformedJson as exc:
        raise CliError(f"{path}: {exc}") from None


def _services() -> Services:
    services = build_services(Settings.from_env())
    try:
        services.runner.positions()
    except Exception as exc:
        services.close()
        if store_errors.is_unreachable(exc):
            raise
        raise CliError(
            f"the store is not ready ({exc.__class__.__name__}): run `rekap init`"
        ) from exc
    return services


def _catch_up(services: Services, label: str = "projections") -> None:
    """The read models up to the log's head: applied here, or by the projection process when
    one runs (this waits for it)."""
    todo = services.runner.head() - services.runner.position()
    with Progress(label, todo) as bar:
        services.runner.catch_up(bar.update)


# -- commands --------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    init_store(settings)
    print(f"store ready: {settings.database.url}")
    return 0


def cmd_demo_load(args: argparse.Namespace) -> int:
    from service.demo.loader import demo_is_loaded, load_demo

    services = _services()
    try:
        if demo_is_loaded(services):
            print("the demo election is already loaded")
        else:
            with Progress("demo results", 14_835) as bar:
                load_demo(services, bar.update)
        _catch_up(services)
        print(json.dumps(_summary(services, "pilkada-2024", "gub-31", "31"), indent=2))
    finally:
        services.close()
    return 0


def cmd_election_load(args: argparse.Namespace) -> int:
    from service.elections import create_election, define_contest, load_regions

    document = _read_json(args.file)
    if not isinstance(document, dict) or not isinstance(document.get("election"), dict):
        raise CliError(
            'the file must hold {"election": {"id", "name"}, "contests": [...], '
            '"regions": [...], "tps": [...]}'
        )
    services = _services()
    try:
        eid = document["election"].get("id")
        create_election(services.app, SYSTEM, eid, document["election"].get("name", ""))
        tree = {"regions": document.get("regions", []), "tps": document.get("tps", [])}
        with Progress("regions", len(tree["tps"])) as bar:
            summary = load_regions(
                services.app, services.ref, SYSTEM, eid, [tree], lambda n: bar.update(n)
            )
        for contest in document.get("contests", []):  # a contest runs over a loaded region
            define_contest(services.app, services.ref, SYSTEM, eid, contest)
        print(json.dumps({"election": eid, **summary.to_dict()}))
    finally:
        services.close()
    return 0


def cmd_import_wilayah(args: argparse.Namespace) -> int:
    from service import wilayah
    from service.elections import create_election, load_regions

    provinces = {normalise(p) for p in args.provinces.split(",")} if args.provinces else None
    counts = wilayah.summary(provinces=provinces)
    services = _services()
    try:
        if args.name:
            create_election(services.app, SYSTEM, args.election, args.name)
        chunks = wilayah.iter_region_chunks(
            provinces=provinces, seed=args.seed, max_dpt=args.max_dpt
        )
        with Progress("TPS", counts["tps"]) as bar:
            summary = load_regions(
                services.app, services.ref, SYSTEM, args.election, chunks, lambda n: bar.update(n)
            )
        print(json.dumps({"election": args.election, **summary.to_dict()}))
    finally:
        services.close()
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from service.results import submit

    body = _read_json(args.file)
    services = _services()
    try:
        outcome = submit(
            services.results, SYSTEM, args.election, args.contest, args.tps, body, source="cli"
        )
        print(
            json.dumps(
                {"status": "created" if outcome.created else "already stored", **outcome.to_dict()},
                indent=2,
            )
        )
    finally:
        services.close()
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    from service.results import correct

    body = _read_json(args.file)
    services = _services()
    try:
        outcome = correct(
            services.results,
            SYSTEM,
            args.election,
            args.contest,
            args.tps,
            body,
            expected_version=args.version,
        )
        print(json.dumps(outcome.to_dict(), indent=2))
    finally:
        services.close()
    return 0


def cmd_recap(args: argparse.Namespace) -> int:
    services = _services()
    try:
        _catch_up(services)
        contest = services.queries.contest(args.election, args.contest)
        code = normalise(args.region) if args.region else contest.region
        document = services.queries.region(args.election, args.contest, code)
        if args.json:
            print(json.dumps(document, indent=2))
        else:
            print(_recap_table(document, contest.to_dict()))
    finally:
        services.close()
    return 0


def _recap_table(doc: dict[str, Any], contest: dict[str, Any]) -> str:
    names = {str(c["number"]): c["name"] for c in contest["candidates"]}
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


def _summary(services: Services, eid: str, cid: str, code: str) -> dict[str, Any]:
    doc = services.queries.region(eid, cid, code)
    return {
        k: doc[k]
        for k in (
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
    }


def cmd_token_create(args: argparse.Namespace) -> int:
    services = _services()
    try:
        scope = args.scope
        token, actor = services.tokens.create(
            args.role, scope, args.contest, args.candidate, args.name
        )
        print(token)
        log.debug("token %s for %s", actor.id, actor.role)
    finally:
        services.close()
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    services = _services()
    try:
        if not services.tokens.revoke(args.token):
            raise CliError("no such active token")
        print("revoked")
    finally:
        services.close()
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    services = _services()
    try:
        for row in services.tokens.list():
            print(json.dumps(row))
    finally:
        services.close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from service.server import serve

    settings = Settings.from_env()
    init_store(settings)
    if args.demo:
        services = build_services(settings)
        try:
            from service.demo.loader import demo_is_loaded, load_demo

            if not demo_is_loaded(services):
                with Progress("demo results", 14_835) as bar:
                    load_demo(services, bar.update)
            _catch_up(services)
        finally:
            services.close()
    workers = args.workers or 2
    return serve(settings, host=args.host, port=args.port, workers=workers)


if __name__ == "__main__":
    sys.exit(main())
