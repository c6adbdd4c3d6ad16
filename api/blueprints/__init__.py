"""One blueprint per resource."""

from __future__ import annotations

from api.blueprints.audit import blp as audit
from api.blueprints.disputes import blp as disputes
from api.blueprints.elections import blp as elections
from api.blueprints.evidence import blp as evidence
from api.blueprints.health import blp as health
from api.blueprints.plenary import blp as plenary
from api.blueprints.recap import blp as recap
from api.blueprints.results import blp as results
from api.blueprints.seats import blp as seats
from api.blueprints.sync import blp as sync
from api.blueprints.tlog import blp as tlog

ALL_BLUEPRINTS = [
    health,
    elections,
    results,
    recap,
    seats,
    plenary,
    disputes,
    evidence,
    audit,
    tlog,
    sync,  # the offline kecamatan nodes: push, pull, reconciliation
]
