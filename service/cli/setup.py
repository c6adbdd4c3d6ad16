"""`rekap init`, `rekap demo load`, `rekap election load | import-wilayah`: the store and what
an election is made of."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from domain.access import SYSTEM
from domain.codes import normalise
from service.bootstrap import Services, init_store
from service.cli.common import CliError, Command, catch_up, read_json, store
from service.config import Settings
from service.input import elections as given
from service.progress import Progress

DEMO_TPS = 14_835


def add_commands(sub: Any, command: Command) -> None:
    command("init", cmd_init, "create the tables (running it again changes nothing)")
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
    p.add_argument(
        "--pemilu2024",
        action="store_true",
        help="also define Pemilu 2024's five contests: Pilpres, DPR, DPD, DPRD provinsi and "
        "kab/kota, with their real dapil and candidates (generated DPRD lists and seats)",
    )


def cmd_init(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    init_store(settings)
    print(f"store ready: {settings.database.url}")
    return 0


def load_demo_once(services: Services) -> None:
    """The demo election, loaded if the store has none yet, and projected."""
    from service.demo.loader import demo_is_loaded, load_demo

    if demo_is_loaded(services):
        print("the demo election is already loaded")
    else:
        with Progress("demo results", DEMO_TPS) as bar:
            load_demo(services, bar.update)
    catch_up(services)


def cmd_demo_load(args: argparse.Namespace) -> int:
    from service.cli.results import summary

    with store() as services:
        load_demo_once(services)
        print(json.dumps(summary(services, "pilkada-2024", "gub-31", "31"), indent=2))
    return 0


def cmd_election_load(args: argparse.Namespace) -> int:
    from service.usecases.elections import create_election, define_contest, load_regions

    document = read_json(args.file)
    if not isinstance(document, dict) or not isinstance(document.get("election"), dict):
        raise CliError(
            'the file must hold {"election": {"id", "name"}, "contests": [...], '
            '"regions": [...], "tps": [...]}'
        )
    command = given.election(document["election"])
    contests = [given.contest(c) for c in document.get("contests", [])]
    with store() as services:
        eid = command.election_id
        create_election(services.setup, SYSTEM, command)
        tree = {"regions": document.get("regions", []), "tps": document.get("tps", [])}
        with Progress("regions", len(tree["tps"])) as bar:
            summary = load_regions(services.setup, SYSTEM, eid, [tree], bar.update)
        for contest in contests:  # a contest runs over a loaded region
            define_contest(services.setup, SYSTEM, eid, contest)
        print(json.dumps({"election": eid, **summary.to_dict()}))
    return 0


def cmd_import_wilayah(args: argparse.Namespace) -> int:
    from service.data import wilayah
    from service.usecases.elections import create_election, load_regions

    provinces = {normalise(p) for p in args.provinces.split(",")} if args.provinces else None
    counts = wilayah.summary(provinces=provinces)
    with store() as services:
        if args.name:
            command = given.election({"id": args.election, "name": args.name})
            create_election(services.setup, SYSTEM, command)
        chunks = wilayah.iter_region_chunks(
            provinces=provinces, seed=args.seed, max_dpt=args.max_dpt
        )
        with Progress("TPS", counts["tps"]) as bar:
            summary = load_regions(services.setup, SYSTEM, args.election, chunks, bar.update)
        defined: dict[str, Any] = {}
        if args.pemilu2024:
            from service.cli.pemilu2024 import define_pemilu2024

            defined["contests"] = define_pemilu2024(services, args.election, provinces, args.seed)
        print(json.dumps({"election": args.election, **summary.to_dict(), **defined}))
    return 0
