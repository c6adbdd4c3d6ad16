"""A walk through every write endpoint, on a live server (issue 10).

At each step (write_steps.py) the walk first sends every hostile variant (hostile.py) of the
step's valid body, then the valid body itself, whose acceptance proves the variants met a state
in which the valid request succeeds: each was refused for what it is. Each hostile request must
get a 4xx application/problem+json and leave the log (and the evidence files) as they were.
A walk runs in an election of its own, so walks of different kinds never see each other's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.factories import TPS
from tests.faults.hostile import PDF, Variant, encode, variants
from tests.faults.servers import Answer, LiveServer, call
from tests.faults.write_steps import ANOMALOUS, KEC_TPS, Step, anomalous_form, form, step_list


@dataclass
class Outcome:
    kind: str
    step: str
    label: str
    status: int
    code: str
    failure: str | None
    changed: bool = False  # the log grew, a file was stored, or it was accepted (2xx)


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
        assert answer.status in (200, 503) and "log_head" in answer.json, answer.body[:300]
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
