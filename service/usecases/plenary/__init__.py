"""Use cases of the recap plenary: open, object, resolve, recommend, correct, accept an anomaly,
certify, reopen, record a re-vote.

Races are settled by the event store, not by reads: a TPS correction is saved in one call with an
event of the plenary that makes it, so a certification that read the figures before it fails on
the plenary's version (409); reopening a plenary writes an event on every plenary above it, so a
parent certifying on a child it saw certified fails the same way. The children's states and the
objections carried up are read from their aggregates; the figures come from the recap projection
after it has caught up with the log.

Where each part lives:
- context: the injected context, the plenary a command addresses, loading and saving aggregates;
- inputs: what a command's input must be beyond its shape (a TPS beneath, the contest's form);
- proceedings: open, objections, recommendations;
- corrections: corrections, re-votes, accepted anomalies, and the lock on KPPS corrections;
- reading: the first result of a TPS read in plenary (its upload never came);
- certification (with figures): certify; reopening: reopen.
"""

from service.usecases.plenary.certification import certify
from service.usecases.plenary.context import SYNC_TIMEOUT, PlenaryContext, PlenaryOutcome, Target
from service.usecases.plenary.corrections import (
    accept_anomaly,
    correct,
    correction_guard,
    record_revote,
)
from service.usecases.plenary.proceedings import (
    answer_recommendation,
    open_plenary,
    raise_objection,
    record_recommendation,
    resolve_objection,
)
from service.usecases.plenary.reading import read_result
from service.usecases.plenary.reopening import reopen

__all__ = [
    "SYNC_TIMEOUT",
    "PlenaryContext",
    "PlenaryOutcome",
    "Target",
    "accept_anomaly",
    "answer_recommendation",
    "certify",
    "correct",
    "correction_guard",
    "open_plenary",
    "raise_objection",
    "read_result",
    "record_recommendation",
    "record_revote",
    "reopen",
    "resolve_objection",
]
