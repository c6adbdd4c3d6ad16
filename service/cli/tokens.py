"""`rekap token create | revoke | list`: the bearer tokens of the API."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

import segno

from domain.access import DUTIES, Role
from service.cli.common import CliError, Command, store
from service.store.totp_key import SecretUnreadable


def add_commands(sub: Any, command: Command) -> None:
    token = sub.add_parser("token", help="API tokens").add_subparsers()
    p = command(
        "create",
        cmd_create,
        "issue a token; prints it, and nothing else (with --totp, then the otpauth:// URI of "
        "its second factor)",
        token,
    )
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = "roles and their scope:\n" + "\n".join(
        f"  {role.value:<13} {DUTIES[role]}" for role in Role
    )
    p.add_argument("--role", required=True, choices=[r.value for r in Role], metavar="ROLE")
    p.add_argument("--scope", help="region or TPS code the role acts in (see below)")
    p.add_argument("--contest", help="a saksi's contest")
    p.add_argument("--candidate", type=int, help="a saksi's candidate number")
    p.add_argument("--name", default="", help="who holds it")
    p.add_argument(
        "--totp",
        action="store_true",
        help="give it a second factor: its writes then need the current code of an "
        "authenticator app in X-OTP; prints the otpauth:// URI for the app on the next line "
        "(and its QR code on standard error when that is a terminal), once: it is never shown "
        "again (REKAP_TOTP_KEY seals it)",
    )
    p = command("revoke", cmd_revoke, "revoke a token (by token or token id)", token)
    p.add_argument("token")
    command("list", cmd_list, "list tokens (never their secret)", token)


def cmd_create(args: argparse.Namespace) -> int:
    who = (args.role, args.scope, args.contest, args.candidate, args.name)
    with store() as services:
        if not args.totp:
            token, _ = services.tokens.create(*who)
            print(token)
            return 0
        try:
            token, _, uri = services.tokens.create_with_totp(*who)
        except SecretUnreadable as exc:
            raise CliError(str(exc)) from None
        print(token)
        print(uri, flush=True)
        show_qr_code(uri, sys.stderr)
    return 0


def show_qr_code(uri: str, stream: TextIO) -> None:
    """The URI as a QR code for the app's camera, only on a terminal: standard output stays the
    token and the URI, two lines a script can read."""
    if stream.isatty():
        segno.make_qr(uri).terminal(out=stream, compact=True)


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
