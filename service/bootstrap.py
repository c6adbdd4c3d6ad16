"""The one place where the application's parts are built and wired together."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

from service.config import Settings
from service.read.projections.disputes import DisputeProjection
from service.read.projections.merkle import MerkleProjection
from service.read.projections.plenary import PlenaryProjection
from service.read.projections.recap import RecapProjection
from service.read.projections.runner import ProjectionRunner
from service.read.queries import RecapQueries
from service.store import sync_log
from service.store.application import Rekap, build_application
from service.store.db import Database, ensure_schema
from service.store.evidence import EvidenceStore
from service.store.reads import Reads
from service.store.reference import Reference
from service.store.replicas import ReplicaSet
from service.store.tokens import TokenStore
from service.usecases.elections import SetupContext
from service.usecases.legislative import desa_in_read_model
from service.usecases.plenary import PlenaryContext, correction_guard
from service.usecases.plenary.context import region_name_in_read_model
from service.usecases.results import ResultsContext


def all_projections(ref: Reference, settings: Settings) -> list[Any]:
    """Every read model, sharing the process's reference data; the audit tree signs heads."""
    merkle = MerkleProjection(key_path=settings.audit_key, origin=settings.log_origin)
    return [RecapProjection(contests=ref.contest), PlenaryProjection(), DisputeProjection(), merkle]


@dataclass
class Services:
    settings: Settings
    app: Rekap
    db: Database  # the primary: writes, projections, and reads outside a read session
    reads: Reads  # the read side's store: a replica inside a read session (service/store/reads.py)
    ref: Reference
    runner: ProjectionRunner
    queries: RecapQueries
    results: ResultsContext
    tokens: TokenStore
    evidence: EvidenceStore
    setup: SetupContext
    plenary: PlenaryContext

    def close(self) -> None:
        self.reads.close()
        self.db.close()
        self.app.close()


def build_services(settings: Settings | None = None) -> Services:
    """Everything a process needs; never creates tables (that is `rekap init`)."""
    settings = settings or Settings.from_env()
    app = build_application(settings)
    open_store = partial(
        Database,
        pool_size=settings.pool_size,
        pool_timeout=settings.timeouts.pool,
        connect_options=settings.connect_options(),
    )
    db = open_store(settings.database)
    ref = Reference(app)
    runner = ProjectionRunner(
        app, db, all_projections(ref, settings), lease_seconds=settings.projection_lease
    )
    replicas = ReplicaSet(
        db,
        settings.replicas,
        runner.position,
        open_pool=open_store,
        max_lag=settings.replica_max_lag,
        connect_timeout=max(2, math.ceil(settings.timeouts.connect)),
    )
    reads = Reads(db, replicas, runner.position)
    evidence = EvidenceStore(settings.evidence_dir)
    plenary = PlenaryContext(
        app=app, db=db, ref=ref, runner=runner, evidence_exists=evidence.exists
    )
    ref.region_name_in_read_model = partial(region_name_in_read_model, plenary)
    return Services(
        settings=settings,
        app=app,
        db=db,
        reads=reads,
        ref=ref,
        runner=runner,
        queries=RecapQueries(reads, contests=ref.contest),  # Reads has a Database's shape
        results=ResultsContext(
            app=app,
            db=db,
            ref=ref,
            evidence_exists=evidence.exists,
            correction_guard=correction_guard(app),
        ),
        tokens=TokenStore(db, settings.totp_key),
        evidence=evidence,
        setup=SetupContext(app=app, ref=ref, desa_under=partial(desa_in_read_model, plenary)),
        plenary=plenary,
    )


def init_store(settings: Settings | None = None) -> None:
    """Create every table once (events, projections, tokens); running it again changes nothing."""
    settings = settings or Settings.from_env()
    ensure_schema(settings.database)
    build_application(settings, create_table=True).close()
    services = build_services(settings)
    try:
        services.runner.create_tables()
        services.tokens.create_table()
        sync_log.create_tables(services.db)
    finally:
        services.close()
