"""`rekap token create | revoke | list`: the bearer tokens of the API."""

from __future__ import annotations

import argparse
import json
from typing import Any

from domain.access import DUTIES, Role
from service.cli.common import CliError, Command, store


def add_commands(sub: Any, command: Command) -> None:
    token = sub.add_parser("token", help="API tokens").add_subparsers()
    p = command("create", cmd_create, "issue a token; prints it, and nothing else", token)
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = "roles and their scope:\n" + "\n".join(
        f"  {role.value:<13} {DUTIES[role]}" for role in Role
    )
    p.add_argument("--role", required=True, choices=[r.value for r in Role], metavar="ROLE")
    p.add_argument("--scope", help="region or TPS code the role acts in (see below)")
    p.add_argument("--contest", help="a saksi's contest")
    p.add_argument("--candidate", type=int, help="a saksi's candidate number")
    p.add_argument("--name", default="", help="who holds it")
    p = command("revoke", cmd_revoke, "revoke a token (by token or token id)", token)
    p.add_argument("token")
    command("list", cmd_list, "list tokens (never their secret)", token)


def cmd_create(args: argparse.Namespace) -> int:
    with store() as services:
        token, _ = services.tokens.create(
            args.role, args.scope, args.contest, args.candidate, args.name
        )
        print(token)
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    with store() as services:
        if not services.tokens.revoke(args.token):
            raise CliError("no such active token")
        print("revoked")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with store() as services:
        for row in services.tokens.list():
            print(json.dumps(row))
    return 0
