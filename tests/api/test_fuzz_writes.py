"""A structure-aware fuzz of every write: valid bodies with members replaced by hostile values
(NUL, control characters, lone surrogates, bidirectional overrides, huge numbers and strings,
NaN, deep nesting), removed, added or given twice. Whatever the body, the answer is never a
5xx; a refusal is application/problem+json and stores nothing; and whatever was accepted, the
projections apply it (no event stops a read model)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.bootstrap import Services
from tests.api.conftest import Auth
from tests.api.hostile import encode, mutated
from tests.api.test_plenary_api import OFFICIAL, SIGN, form, submit_all
from tests.api.test_results_api import BASE
from tests.factories import ELECTION, GUBERNUR, TPS, TREE, submission

EXAMPLES = 15
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class Fuzzer:
    def __init__(self, services: Services, client: FlaskClient) -> None:
        self.services = services
        self.client = client

    def send(self, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
        """Send the body; check the answer; the number of events it stored."""
        head = self.services.runner.head()
        r = self.client.open(
            url,
            method=method,
            data=encode(body),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert r.status_code < 500, (r.status_code, r.get_data(as_text=True), encode(body)[:300])
        stored = self.services.runner.head() - head
        if r.status_code >= 400:
            assert r.mimetype == "application/problem+json", r.get_data(as_text=True)
            assert stored == 0, f"a refused request stored something: {r.json}"
        elif isinstance(body, list):  # a bulk import: one event per item it answers 201
            answered = r.json["items"]
            assert len(answered) == len(body)
            assert stored == sum(1 for a in answered if a["status"] == 201)
        self.services.runner.catch_up()
        assert self.services.runner.position() == self.services.runner.head()
        return r

    def document(
        self, url: str, document: dict[str, Any], headers: dict[str, str], method: str = "POST"
    ) -> None:
        @BOUNDED
        @given(body=mutated(document))
        def check(body: Any) -> None:
            self.send(method, url, body, headers)

        check()

    def items(self, url: str, item: dict[str, Any], headers: dict[str, str]) -> None:
        @BOUNDED
        @given(body=st.lists(mutated(item), min_size=1, max_size=3))
        def check(body: list[Any]) -> None:
            self.send("POST", url, body, headers)

        check()


@pytest.fixture
def fuzzer(ready: Services, client: FlaskClient) -> Fuzzer:
    return Fuzzer(ready, client)


def test_fuzzed_set_up_bodies_are_never_a_5xx_and_store_nothing_when_refused(
    fuzzer: Fuzzer, auth: Auth
) -> None:
    admin = auth("admin")
    fuzzer.document("/api/v1/elections", {"id": "e-fuzz", "name": "Pemilu Uji"}, admin)
    fuzzer.document(f"/api/v1/elections/{ELECTION}/regions", TREE, admin, method="PUT")
    fuzzer.document(f"/api/v1/elections/{ELECTION}/contests", {**GUBERNUR, "id": "g-2"}, admin)


def test_fuzzed_results_are_never_a_5xx_and_store_nothing_when_refused(
    fuzzer: Fuzzer, auth: Auth
) -> None:
    operator = auth("operator", "9101")
    fuzzer.document(f"{BASE}/tps/{TPS[0]}/submissions", submission(form(TPS[0])), operator)
    fuzzer.items(f"{BASE}/submissions:bulk", {"tps": TPS[1], **submission(form(TPS[1]))}, operator)
    fuzzer.send("POST", f"{BASE}/tps/{TPS[2]}/submissions", submission(form(TPS[2])), operator)
    correction = {"form": form(TPS[2], v1=1), "reason": "salah baca", "request_id": "r-1"}
    url = f"{BASE}/tps/{TPS[2]}/corrections"
    fuzzer.document(url, correction, {**operator, "If-Match": '"1"'})


def test_fuzzed_plenary_writes_are_never_a_5xx_and_store_nothing_when_refused(
    fuzzer: Fuzzer, client: FlaskClient, ready: Services, auth: Auth
) -> None:
    submit_all(client, auth)
    url = f"{BASE}/plenaries/910101"
    ppk, witness = auth(*OFFICIAL["910101"]), auth("bawaslu", "91")
    assert client.post(f"{url}/open", headers=ppk).status_code == 201
    objection = {"subject": "tps", "target": TPS[0], "detail": "angka janggal"}
    assert client.post(f"{url}/objections", json=objection, headers=witness).status_code == 201

    fuzzer.document(f"{url}/objections", objection, witness)
    fuzzer.document(f"{url}/recommendations", {"text": "hitung ulang TPS 1"}, witness)
    fix = {"tps": TPS[0], "form": form(TPS[0], v1=2), "reason": "dibaca ulang"}
    resolution = {"accepted": True, "note": "diterima", "correction": fix}
    fuzzer.document(f"{url}/objections/910101-1/resolution", resolution, ppk)
    fuzzer.document(f"{url}/corrections", {**fix, "objection_id": None}, ppk)
    fuzzer.document(f"{url}/results", {**fix, "evidence": []}, ppk)
    step = {
        "id": "node-1:7",
        "kind": "open",
        "contest": "gub-99",
        "target": "910101",
        "at": "2024-11-28T09:00:00+07:00",
        "actor": {"id": "node-ppk", "role": "ppk", "scope": "910101"},
        "body": {},
    }
    push = {"node": "node-1", "election": ELECTION, "region": "910101", "steps": [step]}
    fuzzer.document("/api/v1/sync", push, ppk)  # the plenary is open: the step is a conflict
    fuzzer.document(f"{url}/anomalies/{TPS[0]}/acceptance", {"reason": "diterima"}, ppk)
    answer = {"followed": True, "answer": "ya"}
    fuzzer.document(f"{url}/recommendations/910101-r1/answer", answer, ppk)
    refusal = {"by": "saksi 1", "reason": "tidak setuju"}
    fuzzer.document(f"{url}/certification", {**SIGN, "refusals": [refusal]}, ppk)
    order = {"kind": "re_vote", "ref": "MK 1/2025", "tps": [TPS[1]]}
    fuzzer.document(f"{url}/reopen", {"reason": "putusan MK", "order": order}, auth("court"))
    fuzzer.document(f"{url}/revotes", {"tps": TPS[1], "form": form(TPS[1])}, ppk)
