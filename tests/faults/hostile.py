"""Every hostile input through every write endpoint, on a live server (issue 10).

A walk goes through the write endpoints in the order a contest lives them (election, contest,
regions, evidence, submissions, bulk, corrections, then every plenary write of a kecamatan up to
its certification, reopening by court order and re-vote). At each step it first sends every
hostile variant of the step's valid body, then the valid body itself, whose acceptance proves
the variants met a state in which the valid request succeeds: each was refused for what it is.
Each hostile request must get a 4xx application/problem+json and leave the log as it was.

The variants come in kinds, one test each (see test_hostile_input.py). A walk runs in an
election of its own, so walks of different kinds never see each other's state.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.factories import CONTEST, DPT, GUBERNUR, TPS, TREE, pilkada_form
from tests.faults.live import Answer, LiveServer, call

MAX_BODY = 64 * 1024 * 1024  # api/app.py
MAX_EVIDENCE = 10 * 1024 * 1024  # service/evidence.py
HUGE_TEXT = 2 * 1024 * 1024  # characters: "huge strings (megabytes)"
DEPTH = 1000
PDF = b"%PDF-1.4 C.Hasil page 1\n"

KINDS = (
    "nul",
    "control_characters",
    "lone_surrogates",
    "deep_nesting",
    "duplicate_keys",
    "huge_numbers",
    "huge_strings",
    "wrong_types",
    "empty_bodies",
    "content_types",
    "size_limits",
    "hostile_paths",
)

PLENARY = "plenaries/910101"
KEC_TPS = TPS[:3]  # the TPS of kecamatan 910101
ANOMALOUS = TPS[2]  # submitted with a hard anomaly (R4), accepted in the plenary
BULK_TPS = TPS[3]
CORRECTED_TPS = TPS[3]  # kecamatan 910102: its plenary never opens here
VOTES = {TPS[0]: {"1": 50, "2": 40, "3": 30}, TPS[1]: {"1": 60, "2": 30, "3": 20}}


def form(tps: str, shift: int = 0) -> dict[str, Any]:
    votes = VOTES.get(tps, {"1": 70, "2": 50, "3": 40})
    return pilkada_form(DPT[tps], {**votes, "1": votes["1"] + shift})


def anomalous_form(tps: str) -> dict[str, Any]:
    document = form(tps)
    document["votes"]["1"] += 5  # R4: the votes no longer add up to the valid votes
    return document


class Raw:
    """A JSON value written as these characters, which Python's json would never write."""

    def __init__(self, text: str) -> None:
        self.text = text


@dataclass
class Variant:
    kind: str
    label: str
    body: bytes | None
    headers: dict[str, str] = field(default_factory=dict)
    path: str | None = None  # instead of the step's path


@dataclass
class Step:
    """One write endpoint, with a valid body for the state the walk has reached."""

    name: str
    method: str
    path: str  # under /api/v1/elections/{eid}, or absolute when it starts with /api
    token: str  # a key of Walk.tokens
    body: Callable[[Walk], Any] | None
    text: tuple[str, ...] = ()  # dotted paths of text fields in the body
    numbers: tuple[str, ...] = ()  # dotted paths of number fields
    flags: tuple[str, ...] = ()  # dotted paths of boolean fields
    forms: tuple[str, ...] = ()  # dotted paths of C.Hasil forms (their votes get duplicate keys)
    path_params: tuple[str, ...] = ()  # parts of the path a client chooses
    if_match: bool = False
    ok: tuple[int, ...] = (201,)
    remember: Callable[[Walk, Any], None] | None = None


@dataclass
class Outcome:
    kind: str
    step: str
    label: str
    status: int
    code: str
    failure: str | None
    changed: bool = False  # the log grew, a file was stored, or it was accepted (2xx)


def step_list() -> list[Step]:
    tps0, tps1 = TPS[0], TPS[1]
    return [
        Step(
            "create election",
            "POST",
            "/api/v1/elections",
            "admin",
            lambda w: {"id": w.election, "name": "Pemilihan Uji"},
            text=("id", "name"),
        ),
        Step(
            "define contest",
            "POST",
            "contests",
            "admin",
            lambda w: copy.deepcopy(GUBERNUR),
            text=("id", "kind", "region", "winner_rule", "name", "candidates.0.name"),
            numbers=("candidates.0.number",),
        ),
        Step(
            "load regions",
            "PUT",
            "regions",
            "admin",
            lambda w: copy.deepcopy(TREE),
            text=("regions.0.code", "regions.1.name", "tps.0.code"),
            numbers=("tps.0.dpt",),
            ok=(200,),
        ),
        Step("upload evidence", "POST", "/api/v1/evidence", "operator", None, ok=(201, 200)),
        Step(
            "submit",
            "POST",
            f"contests/{CONTEST}/tps/{tps0}/submissions",
            "operator",
            lambda w: {
                "submission_id": f"{w.election}-{tps0}",
                "captured_at": "2024-11-27T14:05:00+07:00",
                "form": form(tps0),
                "evidence": [{"page": 1, "sha256": w.evidence}],
            },
            text=("submission_id", "captured_at", "evidence.0.sha256"),
            numbers=("form.votes.1", "evidence.0.page"),
            forms=("form",),
            path_params=(tps0,),
        ),
        Step(
            "bulk import",
            "POST",
            f"contests/{CONTEST}/submissions:bulk",
            "operator",
            lambda w: [
                {"tps": BULK_TPS, "submission_id": f"{w.election}-bulk", "form": form(BULK_TPS)}
            ],
            text=("0.tps", "0.submission_id"),
            numbers=("0.form.registered.dpt.l",),
            forms=("0.form",),
            ok=(200,),
        ),
        Step(
            "correct",
            "POST",
            f"contests/{CONTEST}/tps/{CORRECTED_TPS}/corrections",
            "operator",
            lambda w: {
                "form": form(CORRECTED_TPS, shift=1),
                "reason": "dibaca ulang dari foto C.Hasil",
                "request_id": f"{w.election}-fix",
            },
            text=("reason", "request_id"),
            numbers=("form.total",),
            forms=("form",),
            path_params=(CORRECTED_TPS,),
            if_match=True,
        ),
        Step(
            "open plenary",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/open",
            "ppk",
            None,
            path_params=("910101",),
        ),
        Step(
            "raise objection",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/objections",
            "saksi",
            lambda w: {"subject": "tps", "target": tps0, "detail": "suara paslon 1 kurang 5"},
            text=("subject", "target", "detail"),
            remember=lambda w, a: w.ids.update(objection=a["objection_id"]),
        ),
        Step(
            "resolve objection",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/objections/{{objection}}/resolution",
            "ppk",
            lambda w: {
                "accepted": True,
                "note": "dihitung ulang, terbukti",
                "correction": {"tps": tps0, "form": form(tps0, shift=2), "reason": "hitung ulang"},
            },
            text=("note", "correction.tps", "correction.reason"),
            numbers=("correction.form.votes.1",),
            flags=("accepted",),
            forms=("correction.form",),
            path_params=("{objection}",),
        ),
        Step(
            "record recommendation",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/recommendations",
            "bawaslu",
            lambda w: {"text": "periksa ulang segel kotak TPS 001"},
            text=("text",),
            remember=lambda w, a: w.ids.update(recommendation=a["recommendation_id"]),
        ),
        Step(
            "answer recommendation",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/recommendations/{{recommendation}}/answer",
            "ppk",
            lambda w: {"followed": True, "answer": "segel diperiksa, utuh"},
            text=("answer",),
            flags=("followed",),
            path_params=("{recommendation}",),
        ),
        Step(
            "correct in plenary",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/corrections",
            "ppk",
            lambda w: {"tps": tps1, "form": form(tps1, shift=3), "reason": "salah baca"},
            text=("tps", "reason"),
            numbers=("form.invalid",),
            forms=("form",),
        ),
        Step(
            "accept anomaly",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/anomalies/{ANOMALOUS}/acceptance",
            "ppk",
            lambda w: {"reason": "sesuai fisik kotak suara"},
            text=("reason",),
            path_params=(ANOMALOUS,),
        ),
        Step(
            "certify",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/certification",
            "ppk",
            lambda w: {
                "signed_by": ["Ketua PPK", "Anggota 1"],
                "refusals": [{"by": "Saksi paslon 2", "reason": "menolak hasil"}],
            },
            text=("signed_by.0", "refusals.0.by", "refusals.0.reason"),
        ),
        Step(
            "reopen by court order",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/reopen",
            "court",
            lambda w: {
                "reason": "pemungutan suara ulang",
                "order": {"kind": "re_vote", "ref": "MK 123/PHP.GUB/2025", "tps": [tps0]},
            },
            text=("reason", "order.kind", "order.ref", "order.tps.0"),
        ),
        Step(
            "record re-vote",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/revotes",
            "ppk",
            lambda w: {"tps": tps0, "form": form(tps0, shift=4)},
            text=("tps",),
            numbers=("form.votes.2",),
            forms=("form",),
        ),
    ]


def setting(document: Any, path: str, value: Any) -> Any:
    """A copy of `document` with the field at dotted `path` set to `value`."""
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    node = changed
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return changed


def getting(document: Any, path: str) -> Any:
    node = document
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def encode(document: Any) -> bytes:
    """JSON, with each Raw value written as its own characters."""
    raws: list[str] = []

    def mark(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(document))
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@raw{i}@@"', raw)
    return text.encode("utf-8", "surrogatepass")


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


TEXT_VALUES = {
    "nul": ["a\x00b"],
    "control_characters": ["a\x01b", "\x1b[31mred\x7f"],
    "lone_surrogates": ["\ud800", "a\udfffb"],
    "huge_strings": ["x" * HUGE_TEXT],
}
NUMBER_VALUES = [
    Raw(str(2**70)),
    Raw(str(-(2**70))),
    Raw("1e400"),
    Raw("-1e400"),
    Raw("-0.0"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1.5"),
    Raw("1e2"),
]
WRONG_TEXT = [12345, ["a"]]
WRONG_NUMBER = ["12", True]
WRONG_FLAG = ["true", 1, None]


def variants(step: Step, kind: str, body: Any) -> Iterator[Variant]:
    """The hostile variants of one kind for a step whose valid body is `body`."""
    if step.name == "upload evidence":
        yield from _evidence_variants(kind)
        return
    if body is None:  # a command without a body: only its path is the client's
        if kind == "hostile_paths":
            yield from _path_variants(step)
        return
    json_headers = {"Content-Type": "application/json"}

    def at(path: str, value: Any, label: str) -> Variant:
        return Variant(kind, f"{label} in {path}", encode(setting(body, path, value)), json_headers)

    if kind in TEXT_VALUES:
        for path in step.text:
            for value in TEXT_VALUES[kind]:
                shown = value if len(value) < 20 else f"{len(value):,} chars"
                yield at(path, value, repr(shown))
        if kind in ("nul", "lone_surrogates") and step.forms:
            key = "1\x00" if kind == "nul" else "\ud800"
            votes = getting(body, f"{step.forms[0]}.votes")
            yield at(f"{step.forms[0]}.votes", {**votes, key: 1}, f"key {key!r}")
    elif kind == "huge_numbers":
        for path in step.numbers:
            for raw in NUMBER_VALUES:
                yield at(path, raw, raw.text if len(raw.text) < 20 else "2**70")
    elif kind == "wrong_types":
        for path in step.text:
            for value in WRONG_TEXT:
                yield at(path, value, f"{value!r}")
        for path in step.numbers:
            for value in WRONG_NUMBER:
                yield at(path, value, f"{value!r}")
        for path in step.flags:
            for value in WRONG_FLAG:
                yield at(path, value, f"{value!r}")
        for whole in ([] if isinstance(body, dict) else {}, "text", None):
            yield Variant(kind, f"body {whole!r}", encode(whole), json_headers)
    elif kind == "deep_nesting":
        yield Variant(kind, f"body [[...]] {DEPTH} deep", nested(DEPTH).encode(), json_headers)
        deep_object = '{"a":' * DEPTH + "1" + "}" * DEPTH
        yield Variant(kind, f'body {{"a":...}} {DEPTH} deep', deep_object.encode(), json_headers)
        first = (step.text or step.numbers)[0]
        yield at(first, Raw(nested(DEPTH)), f"[[...]] {DEPTH} deep")
    elif kind == "duplicate_keys":
        yield from _duplicate_key_variants(step, body)
    elif kind == "empty_bodies":
        yield Variant(kind, "empty, as JSON", b"", json_headers)
        yield Variant(kind, "no body, no Content-Type", None)
        yield Variant(kind, "whitespace only", b"  \n ", json_headers)
    elif kind == "content_types":
        valid = encode(body)
        yield Variant(kind, "the JSON as text/plain", valid, {"Content-Type": "text/plain"})
        yield Variant(
            kind, "a form", b"a=1&b=2", {"Content-Type": "application/x-www-form-urlencoded"}
        )
        yield Variant(
            kind,
            "multipart",
            b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
            {"Content-Type": "multipart/form-data; boundary=x"},
        )
        yield Variant(kind, "the JSON as a PDF", valid, {"Content-Type": "application/pdf"})
        yield Variant(kind, "invalid UTF-8", b'{"a": "\xff\xfe\xed\xa0\x80"}', json_headers)
    elif kind == "size_limits" and step.name in ("create election", "bulk import"):
        yield from _size_variants(step, body)
    elif kind == "hostile_paths":
        yield from _path_variants(step)


def _duplicate_key_variants(step: Step, body: Any) -> Iterator[Variant]:
    headers = {"Content-Type": "application/json"}
    text = encode(body).decode()
    if isinstance(body, dict) and step.text:
        key = step.text[0].split(".")[0]
        other = json.dumps(_other_value(body[key]))
        doubled = "{" + f'"{key}": {other}, ' + text[1:]
        yield Variant("duplicate_keys", f'"{key}" twice', doubled.encode(), headers)
    for path in step.forms:
        votes = getting(body, f"{path}.votes")
        first = json.dumps(votes)
        doubled = '{"1": 999, ' + first[1:]
        yield Variant(
            "duplicate_keys",
            f'{{"1": 999, "1": {votes["1"]}}} in {path}.votes',
            text.replace(first, doubled, 1).encode(),
            headers,
        )


def _other_value(value: Any) -> Any:
    if isinstance(value, str):
        return value + "-other"
    if isinstance(value, bool):
        return not value
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [{**value[0], "tps": TPS[5]}]
    return value


def _size_variants(step: Step, body: Any) -> Iterator[Variant]:
    headers = {"Content-Type": "application/json"}
    over = b'{"id": "big", "name": "' + b"x" * MAX_BODY + b'"}'
    yield Variant("size_limits", "64 MiB + 1 over the body limit", over, headers)
    if step.name == "create election":
        filler = MAX_BODY - 64
        under = b'{"id": "big", "name": "' + b"x" * filler + b'"}'
        assert len(under) <= MAX_BODY
        yield Variant("size_limits", "a name just under 64 MiB", under, headers)


def _evidence_variants(kind: str) -> Iterator[Variant]:
    pdf = {"Content-Type": "application/pdf"}
    if kind == "empty_bodies":
        yield Variant(kind, "empty", b"", pdf)
        yield Variant(kind, "no body, no Content-Type", None)
    elif kind == "content_types":
        yield Variant(kind, "JSON", b'{"a": 1}', {"Content-Type": "application/json"})
        yield Variant(kind, "an executable", b"\x7fELF\x02\x01\x01" + b"\0" * 64, pdf)
        yield Variant(kind, "HTML", b"<html><script>alert(1)</script></html>", pdf)
    elif kind == "size_limits":
        yield Variant(kind, "a PDF 10 MiB + 1", PDF + b"0" * (MAX_EVIDENCE + 1 - len(PDF)), pdf)
        yield Variant(kind, "10 MiB that is no page", b"0" * MAX_EVIDENCE, pdf)
    elif kind == "nul":
        yield Variant(kind, "NUL bytes", b"\0" * 1024, pdf)


def _path_variants(step: Step) -> Iterator[Variant]:
    for param in step.path_params:
        for label, value in (
            ("%00", "%00"),
            ("a lone surrogate as UTF-8", "%ED%A0%80"),
            ("invalid UTF-8", "%FF%FE"),
            ("an overlong NUL", "%C0%80"),
            ("a code with NUL", "9101011001001%00"),
            ("3,000 digits", "9" * 3000),
        ):
            yield Variant(
                "hostile_paths", f"{label} for {param}", None, path=step.path.replace(param, value)
            )


class Walk:
    """One walk through the write endpoints, in an election of its own."""

    def __init__(self, server: LiveServer, tokens: dict[str, str], election: str) -> None:
        self.server = server
        self.tokens = tokens
        self.base_election = self.election = election
        self.generation = 0
        self.evidence = ""
        self.ids: dict[str, str] = {}
        self.outcomes: list[Outcome] = []
        self.evidence_dir = Path(server.store.settings.evidence_dir)

    def url(self, path: str) -> str:
        path = path.format(**self.ids)
        if path.startswith("/api"):
            return self.server.base + path
        return f"{self.server.base}/api/v1/elections/{self.election}/{path}"

    def log_head(self) -> int:
        answer = call(f"{self.server.base}/readyz", timeout=30)
        assert answer.status == 200, (answer.status, answer.body[:300])
        return int(answer.json["log_head"])

    def evidence_files(self) -> int:
        if not self.evidence_dir.exists():
            return 0
        return sum(1 for p in self.evidence_dir.rglob("*") if p.is_file())

    def run(self, kinds: tuple[str, ...], *, stop_at_first: bool = False) -> list[Outcome]:
        """Every step: its variants of `kinds`, then its valid body (which must succeed).

        A variant that changed something is a failure; the walk then starts again in a fresh
        election, brought back to this step by the valid requests of the steps before, so each
        variant meets the state it is meant for.
        """
        steps = step_list()
        for index, step in enumerate(steps):
            done = 0
            while True:
                body = step.body(self) if step.body else None
                todo = [v for kind in kinds for v in variants(step, kind, body)][done:]
                if not todo:
                    break
                for variant in todo:
                    outcome = self.send(step, variant)
                    self.outcomes.append(outcome)
                    done += 1
                    if outcome.failure and stop_at_first:
                        return self.outcomes
                    if outcome.changed:
                        self.restart(steps[:index])
                        break
            self.control(step, step.body(self) if step.body else None)
        return self.outcomes

    def restart(self, steps: list[Step]) -> None:
        self.generation += 1
        self.election = f"{self.base_election}-{self.generation}"
        self.ids, self.evidence = {}, ""
        for step in steps:
            self.control(step, step.body(self) if step.body else None)

    def headers(self, step: Step) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[step.token]}"}
        if step.if_match:
            headers["If-Match"] = '"1"'
        return headers

    def send(self, step: Step, variant: Variant) -> Outcome:
        head, files = self.log_head(), self.evidence_files()
        url = self.url(variant.path or step.path)
        answer = call(
            url,
            step.method,
            data=variant.body,
            headers={**self.headers(step), **variant.headers},
            timeout=60,
        )
        failure = judge(step, answer)
        grew = self.log_head() != head
        stored = self.evidence_files() != files
        if failure is None and grew:
            failure = f"answered {answer.status} but the log grew"
        if failure is None and stored:
            failure = f"answered {answer.status} but an evidence file was stored"
        code = ""
        if answer.media_type == "application/problem+json":
            code = str(answer.json.get("code"))
        changed = grew or stored or (failure is not None and 200 <= answer.status < 300)
        return Outcome(
            variant.kind, step.name, variant.label, answer.status, code, failure, changed
        )

    def control(self, step: Step, body: Any) -> None:
        if step.name == "upload evidence":
            answer = call(
                self.url(step.path),
                "POST",
                data=PDF + self.election.encode(),
                headers={**self.headers(step), "Content-Type": "application/pdf"},
            )
            assert answer.status in step.ok, (step.name, answer.status, answer.body[:300])
            self.evidence = answer.json["sha256"]
            return
        answer = call(
            self.url(step.path),
            step.method,
            data=None if body is None else encode(body),
            headers={**self.headers(step), "Content-Type": "application/json"},
            timeout=60,
        )
        assert answer.status in step.ok, (
            f"the valid {step.name} was refused after its hostile variants: the walk cannot go "
            f"on ({answer.status} {answer.body[:300]!r})"
        )
        if step.name == "bulk import":
            assert [i["status"] for i in answer.json["items"]] == [201], answer.json
        if step.name == "submit":  # the rest of the kecamatan, one with a hard anomaly
            for tps in KEC_TPS[1:]:
                rest = {
                    "submission_id": f"{self.election}-{tps}",
                    "form": anomalous_form(tps) if tps == ANOMALOUS else form(tps),
                }
                extra = call(
                    self.url(step.path.replace(TPS[0], tps)),
                    "POST",
                    rest,
                    headers=self.headers(step),
                )
                assert extra.status == 201, extra.body[:300]
        if step.remember:
            step.remember(self, answer.json)


def judge(step: Step, answer: Answer) -> str | None:
    """Why this answer to a hostile request is wrong, or None: a 4xx problem+json (a bulk
    import may instead answer 200 with a 4xx problem for every item)."""
    if answer.status == 0:
        return f"no answer: {answer.error}"
    if step.name == "bulk import" and answer.status == 200:
        statuses = [item["status"] for item in answer.json["items"]]
        if all(400 <= s < 500 for s in statuses):
            return None
        return f"bulk answered items {statuses}"
    if not 400 <= answer.status < 500:
        return f"answered {answer.status} {answer.body[:120]!r}"
    if answer.media_type != "application/problem+json":
        return f"answered {answer.status} as {answer.media_type or 'no media type'}"
    try:
        problem = answer.json
    except ValueError:
        return f"answered {answer.status} with a body that is not JSON"
    if problem.get("status") != answer.status or not problem.get("code"):
        return f"answered {answer.status} with a problem without status or code: {problem}"
    return None
