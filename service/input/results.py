"""Loaders of a TPS's results: a submission, a correction, an item of a bulk import; and the
C.Hasil form as documented (the domain reads it against its contest: domain/form.py)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields as f
from marshmallow import post_load
from marshmallow import validate as v

from domain.codes import Tier
from domain.commands import CorrectResult, EvidencePage, SubmitResult
from domain.errors import DomainError, InvalidInput
from service.input import load
from service.input.fields import (
    BOX,
    ID,
    MAX_TEXT,
    SHA256,
    Code,
    DomainChecked,
    Loads,
    Moment,
    Strict,
    Text,
)


class SplitSchema(Strict):
    """One row split by sex: laki-laki, perempuan, jumlah."""

    l = f.Integer(required=True, strict=True, validate=BOX)  # noqa: E741 - the form's column
    p = f.Integer(required=True, strict=True, validate=BOX)
    j = f.Integer(required=True, strict=True, validate=BOX)


class BallotsSchema(Strict):
    received = f.Integer(required=True, strict=True, validate=BOX)
    used = f.Integer(required=True, strict=True, validate=BOX)
    returned = f.Integer(required=True, strict=True, validate=BOX)
    unused = f.Integer(required=True, strict=True, validate=BOX)


class FormSchema(Strict):
    """A C.Hasil. List names follow the contest's kind: Pilkada `dpt`, `dpph`, `dptb`; Pemilu
    `dpt` (registered) and `dpt`, `dptb`, `dpk` (voted); `voted.total` is the form's total row.
    `votes` is keyed by candidate number (`0` is the empty column of a single-candidate contest);
    DPR and DPRD: by party, each with its party-only votes, its candidates' and its total."""

    registered = f.Dict(keys=f.String(), values=f.Nested(SplitSchema), required=True)
    voted = f.Dict(keys=f.String(), values=f.Nested(SplitSchema), required=True)
    ballots = f.Nested(BallotsSchema, required=True)
    disabled_voted = f.Nested(SplitSchema, required=True)
    votes = f.Dict(
        keys=f.String(validate=v.Regexp(r"^[0-9]{1,2}$")),
        values=f.Raw(
            metadata={
                "description": "a candidate's votes; DPR and DPRD: a party's "
                '{"party": n, "candidates": {"1": n}, "total": n}'
            }
        ),
        required=True,
    )
    valid = f.Integer(required=True, strict=True, validate=BOX)
    invalid = f.Integer(required=True, strict=True, validate=BOX)
    total = f.Integer(required=True, strict=True, validate=BOX)


class EvidenceRefSchema(Loads):
    COMMAND = EvidencePage

    page = f.Integer(required=True, strict=True, validate=v.Range(1, 99))
    sha256 = f.String(required=True, validate=SHA256)


def _evidence() -> f.List:
    return f.List(f.Nested(EvidenceRefSchema), load_default=list, allow_none=True)


class SubmissionSchema(Strict):
    """A TPS's C.Hasil; its TPS is the one of the path (or of the bulk item)."""

    submission_id = f.String(
        required=True,
        validate=ID,
        metadata={"description": "client-generated (a UUID); a retry sends the same one"},
    )
    captured_at = Moment(load_default=None, allow_none=True)
    form = DomainChecked(FormSchema, required=True)
    evidence = _evidence()

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "evidence": tuple(data["evidence"] or ())}


class BulkItemSchema(SubmissionSchema):
    tps = Code(Tier.TPS, required=True)


class BulkRequestSchema(BulkItemSchema):
    """Documented as its items; loaded as it came, so each item is loaded (and answered) alone."""

    def load(self, data: Any, *, many: bool | None = None, **kwargs: Any) -> Any:
        from marshmallow import ValidationError

        if not isinstance(data, list):
            raise ValidationError("a list of submissions, each with its tps")
        return data


class CorrectionSchema(Strict):
    form = DomainChecked(FormSchema, required=True)
    reason = Text(MAX_TEXT, required=True)
    objection_id = f.String(load_default=None, allow_none=True, validate=ID)
    request_id = f.String(
        load_default=None,
        allow_none=True,
        validate=ID,
        metadata={"description": "client-generated; a retry with the same id stores nothing"},
    )
    evidence = _evidence()


def submission(tps: str, body: Any) -> SubmitResult:
    """The submission of TPS `tps` in `body`, or InvalidInput naming every field at fault."""
    fields = load(SubmissionSchema, body, "the submission cannot be accepted")
    return SubmitResult(tps=tps, **fields)


def correction(tps: str, body: Any, expected_version: int) -> CorrectResult:
    fields = load(CorrectionSchema, body, "the correction cannot be accepted")
    return CorrectResult(
        tps=tps,
        expected_version=expected_version,
        **{**fields, "evidence": tuple(fields["evidence"] or ())},
    )


def bulk_items(
    items: list[Any], refused: dict[int, Any] | None = None
) -> list[SubmitResult | DomainError]:
    """Each item of a bulk import loaded alone: its command, or why it cannot be one."""
    loaded: list[SubmitResult | DomainError] = []
    for index, item in enumerate(items):
        if refused and index in refused:
            loaded.append(InvalidInput("the item holds what cannot be stored", refused[index]))
            continue
        try:
            fields = load(BulkItemSchema, item, "the item cannot be accepted")
        except DomainError as exc:
            loaded.append(exc)
            continue
        loaded.append(SubmitResult(**fields))
    return loaded
