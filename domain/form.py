"""The TPS result form (C.Hasil) as a value, parsed from its JSON document.

The list names follow the contest's kind and are never mapped across election types:
Pemilu (Pilpres) records registered voters on the DPT and voters from the DPT, DPTb (moved in)
and DPK (unregistered); Pilkada records registered voters and voters on the DPT, DPPh (moved in)
and DPTb (unregistered).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.contests import ContestKind
from domain.errors import ErrorList, FieldError, InvalidInput

BOX_MAX = 999
SPLIT_KEYS = ("l", "p", "j")
BALLOT_KEYS = ("received", "used", "returned", "unused")
PARTY_KEYS = ("party", "candidates", "total")  # a party's section IV entry (legislative)
Ballot = Mapping[str, Sequence[str]]  # party key -> its candidates' keys


@dataclass(frozen=True)
class FormLayout:
    registered: tuple[str, ...]
    voted: tuple[str, ...]  # the lists of voters, without the form's own total row


PEMILU = FormLayout(registered=("dpt",), voted=("dpt", "dptb", "dpk"))
PILKADA = FormLayout(registered=("dpt", "dpph", "dptb"), voted=("dpt", "dpph", "dptb"))


def layout_for(kind: ContestKind) -> FormLayout:
    return PILKADA if kind.is_pilkada else PEMILU


@dataclass(frozen=True)
class Split:
    l: int  # noqa: E741 - the form's own column name (laki-laki)
    p: int
    j: int


@dataclass(frozen=True)
class Form:
    registered: dict[str, Split]
    voted: dict[str, Split]  # the lists of the layout plus "total"
    ballots: dict[str, int]
    disabled_voted: Split
    votes: dict[str, Any]  # candidate -> votes; legislative: party -> {party, candidates, total}
    valid: int
    invalid: int
    total: int

    def to_dict(self) -> dict[str, Any]:
        def split(s: Split) -> dict[str, int]:
            return {"l": s.l, "p": s.p, "j": s.j}

        return {
            "registered": {k: split(v) for k, v in self.registered.items()},
            "voted": {k: split(v) for k, v in self.voted.items()},
            "ballots": dict(self.ballots),
            "disabled_voted": split(self.disabled_voted),
            "votes": {
                k: v if type(v) is int else {**v, "candidates": dict(v["candidates"])}
                for k, v in self.votes.items()
            },
            "valid": self.valid,
            "invalid": self.invalid,
            "total": self.total,
        }

    @property
    def voter_lists(self) -> list[str]:
        return [k for k in self.voted if k != "total"]

    @property
    def by_party(self) -> bool:
        """Section IV lists parties with their candidates (DPR, DPRD)."""
        return any(type(v) is dict for v in self.votes.values())


class BoxLayout:
    """Every box of a contest's form in a fixed order, read out of a form document at once.

    Recap totals add forms box by box; reading the boxes as one tuple in a fixed order lets them
    be added as vectors instead of one dictionary entry at a time.
    """

    def __init__(
        self,
        kind: ContestKind,
        candidates: list[str],
        ballot: Ballot | None = None,
        with_candidates: bool = True,
    ) -> None:
        """`ballot`: a legislative district's parties and candidates; `with_candidates=False`
        leaves out each candidate's votes (the sums above a district: party totals only)."""
        layout = layout_for(kind)
        votes: list[tuple[str, ...]] = [("votes", k) for k in candidates] if with_candidates else []
        for party, listed in (ballot or {}).items():
            votes.append(("votes", party, "party"))
            if with_candidates:
                votes.extend(("votes", party, "candidates", c) for c in listed)
            votes.append(("votes", party, "total"))
        paths: list[tuple[str, ...]] = [
            *(("registered", k, c) for k in layout.registered for c in SPLIT_KEYS),
            *(("voted", k, c) for k in (*layout.voted, "total") for c in SPLIT_KEYS),
            *(("ballots", b) for b in BALLOT_KEYS),
            *(("disabled_voted", c) for c in SPLIT_KEYS),
            *votes,
            ("valid",),
            ("invalid",),
            ("total",),
        ]
        self.names = [".".join(path) for path in paths]
        # One compiled expression of constant subscripts: several times faster than walking
        # the document, and the projection reads every form it applies.
        source = ", ".join("f" + "".join(f"[{part!r}]" for part in path) for path in paths)
        self.values: Callable[[dict[str, Any]], tuple[int, ...]] = eval(f"lambda f: ({source},)")


def form_from_document(doc: dict[str, Any]) -> Form:
    """A form from a document that was parsed when it was recorded (no checks: replay speed)."""

    def split(cells: dict[str, int]) -> Split:
        return Split(cells["l"], cells["p"], cells["j"])

    return Form(
        registered={k: split(v) for k, v in doc["registered"].items()},
        voted={k: split(v) for k, v in doc["voted"].items()},
        ballots=doc["ballots"],
        disabled_voted=split(doc["disabled_voted"]),
        votes=doc["votes"],
        valid=doc["valid"],
        invalid=doc["invalid"],
        total=doc["total"],
    )


def parse_form(
    data: object,
    kind: ContestKind,
    candidates: list[str],
    path: str = "form",
    ballot: Ballot | None = None,
) -> Form:
    """The form, or InvalidInput listing every field that cannot be part of a C.Hasil; with a
    `ballot` (DPR, DPRD), section IV is read per party against the district's ballot."""
    errors = ErrorList()
    layout = layout_for(kind)
    if not isinstance(data, dict):
        raise InvalidInput("the form must be an object", [FieldError(path, "must be an object")])
    _unknown(
        data,
        {"registered", "voted", "ballots", "disabled_voted", "votes", "valid", "invalid", "total"},
        path,
        errors,
    )
    registered = _splits(data.get("registered"), layout.registered, f"{path}.registered", errors)
    voted = _splits(data.get("voted"), (*layout.voted, "total"), f"{path}.voted", errors)
    ballots = _boxes(data.get("ballots"), BALLOT_KEYS, f"{path}.ballots", errors)
    disabled = _split(data.get("disabled_voted"), f"{path}.disabled_voted", errors)
    votes: dict[str, Any]
    if ballot is None:
        votes = _boxes(data.get("votes"), tuple(candidates), f"{path}.votes", errors, "candidate")
    else:
        votes = _party_votes(data.get("votes"), ballot, f"{path}.votes", errors)
    valid = _box(data.get("valid"), f"{path}.valid", errors)
    invalid = _box(data.get("invalid"), f"{path}.invalid", errors)
    total = _box(data.get("total"), f"{path}.total", errors)
    if errors:
        raise InvalidInput("the form cannot be a C.Hasil", errors.errors)
    return Form(registered, voted, ballots, disabled, votes, valid, invalid, total)  # type: ignore[arg-type]


def flatten(form: dict[str, Any]) -> dict[str, int]:
    """Every box of a form document as `section.row.column -> number` (recap sums add these)."""
    # Written out for the form's three levels: the projection flattens every form it applies.
    flat: dict[str, int] = {}
    for key, value in form.items():
        if type(value) is not dict:
            flat[key] = value
            continue
        for row, cells in value.items():
            if type(cells) is not dict:
                flat[f"{key}.{row}"] = cells
                continue
            for column, number in cells.items():
                flat[f"{key}.{row}.{column}"] = number
    return flat


def unflatten(flat: dict[str, int]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name, value in flat.items():
        path = _PATHS.get(name)
        if path is None:
            path = _PATHS[name] = tuple(name.split("."))
        node = doc
        for part in path[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            node = child
        node[path[-1]] = value
    return doc


# Box names split once: a region's recap unflattens the sums of every child on each read.
_PATHS: dict[str, tuple[str, ...]] = {}


def vote_count(box: Any) -> int:
    """A candidate's votes, or a party's total on a DPR or DPRD form."""
    return box["total"] if type(box) is dict else box


def r11_box_in_range(value: int) -> bool:
    """R11 (schema): every box of the form holds 0 to 999 (three digits)."""
    return 0 <= value <= BOX_MAX


def _section(
    data: object, known: Container[str], path: str, errors: ErrorList, unknown: str
) -> dict[str, Any] | None:
    """`data` as a section of the form: an object (else a fault, and None), each of its keys
    that is not `known` a fault saying `unknown`."""
    if not isinstance(data, dict):
        errors.add(path, "missing section" if data is None else "must be an object")
        return None
    for key in data:
        if key not in known:
            errors.add(f"{path}.{key}", unknown)
    return data


def _unknown(data: dict[str, Any], allowed: set[str], path: str, errors: ErrorList) -> None:
    for key in data:
        if key not in allowed:
            errors.add(f"{path}.{key}", "unknown field")


def _box(value: object, path: str, errors: ErrorList) -> int:
    if value is None:
        errors.add(path, "missing")
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        errors.add(path, "must be a whole number")
        return 0
    if not r11_box_in_range(value):
        errors.add(path, "R11: every box of the form holds 0 to 999")
        return 0
    return value


def _boxes(
    data: object, keys: tuple[str, ...], path: str, errors: ErrorList, what: str = "field"
) -> dict[str, int]:
    section = _section(data, keys, path, errors, f"unknown {what}")
    if section is None:
        return {}
    found: dict[str, int] = {}
    for key in keys:
        value = section.get(key)
        # A plain int in range is the common case: the box's path is only spelled out for a fault.
        if type(value) is int and 0 <= value <= BOX_MAX:
            found[key] = value
        else:
            found[key] = _box(value, f"{path}.{key}", errors)
    return found


def _party_votes(data: object, ballot: Ballot, path: str, errors: ErrorList) -> dict[str, Any]:
    """Section IV of a DPR or DPRD form: each party of the district's ballot with its
    party-only votes, each of its candidates' votes and its total as written."""
    section = _section(
        data, ballot, path, errors, "this party is not on the ballot of the TPS's district"
    )
    if section is None:
        return {}
    found: dict[str, Any] = {}
    for party, listed in ballot.items():
        at = f"{path}.{party}"
        entry = section.get(party)
        if not isinstance(entry, dict):
            errors.add(at, "missing" if entry is None else "must be an object")
            continue
        _unknown(entry, set(PARTY_KEYS), at, errors)
        found[party] = {
            "party": _box(entry.get("party"), f"{at}.party", errors),
            "candidates": _boxes(
                entry.get("candidates"),
                tuple(listed),
                f"{at}.candidates",
                errors,
                "candidate of this party in the TPS's district",
            ),
            "total": _box(entry.get("total"), f"{at}.total", errors),
        }
    return found


def _split(data: object, path: str, errors: ErrorList) -> Split:
    boxes = _boxes(data, SPLIT_KEYS, path, errors)
    return Split(boxes.get("l", 0), boxes.get("p", 0), boxes.get("j", 0))


def _splits(data: object, keys: tuple[str, ...], path: str, errors: ErrorList) -> dict[str, Split]:
    section = _section(data, keys, path, errors, "unknown list for this kind of contest")
    if section is None:
        return {}
    return {key: _split(section.get(key), f"{path}.{key}", errors) for key in keys}
