"""The words of the plenary: its states, what an objection is about, what a court orders."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from domain.errors import Conflict


class PlenaryStatus(StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CERTIFIED = "certified"
    REOPENED = "reopened"  # open again after a certificate was superseded


class ObjectionSubject(StrEnum):
    TPS = "tps"
    REGION = "region"
    PROCEDURE = "procedure"


class OrderKind(StrEnum):
    RE_RECAP = "re_recap"
    RE_COUNT = "re_count"
    RE_VOTE = "re_vote"


class TierLocked(Conflict):
    """A certified or plenary-held tier refuses a change from below it."""

    code = "tier_locked"


def refused(objection: dict[str, Any]) -> bool:
    resolution = objection["resolution"]
    return (
        resolution is not None
        and not resolution["accepted"]
        and resolution["carried_to"] is not None
    )
