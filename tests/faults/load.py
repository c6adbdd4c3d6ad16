"""A steady load of first submissions, as field clients send them, and the read side's clock.

Each client thread submits the C.Hasil of a fresh TPS at a fixed pace. An answer that never came
(a connection reset by a killed worker, a timeout) or a 503 is retried with the same body, the
same submission_id, until an answer comes: a client cannot tell whether the first attempt was
stored, and the retry must tell it (201 if not, 200 with the stored result if so). So when the
load stops every submission has a final answer, and the store must hold exactly the acknowledged
ones.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.factories import pilkada_form
from tests.faults.servers import Answer, call

RETRY_DELAY = 0.2
SETTLE_TIMEOUT = 60.0  # the longest a client keeps retrying one submission after the load stops
REQUEST_TIMEOUT = 30.0


@dataclass
class Acknowledged:
    tps: str
    body: dict[str, Any]
    answer: dict[str, Any]
    status: int


@dataclass
class Tally:
    requests: int = 0
    no_answer: int = 0  # connection lost or timed out: retried
    statuses: Counter[int] = field(default_factory=Counter)
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    slowest: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)


def form_for(tps: str, dpt: int, seed: str = "") -> dict[str, Any]:
    """A consistent C.Hasil whose figures differ from TPS to TPS (and from seed to seed)."""
    rng = random.Random(tps + seed)
    turnout = rng.randint(dpt // 2, dpt - 10)
    first = rng.randint(0, turnout // 2)
    second = rng.randint(0, turnout - first - 4)
    votes = {"1": first, "2": second, "3": turnout - 4 - first - second}
    return pilkada_form(dpt, votes)


class SubmissionLoad:
    """`clients` threads submitting, together, about `rate` first readings a second."""

    def __init__(
        self,
        url: str,
        take: Callable[[], str | None],
        dpt: dict[str, int],
        token_for: Callable[[str], str],
        on_acknowledged: Callable[[Acknowledged], None],
        *,
        clients: int = 8,
        rate: float = 100.0,
    ) -> None:
        self.url = url  # .../elections/{eid}/contests/{cid}
        self.take = take
        self.dpt = dpt
        self.token_for = token_for
        self.on_acknowledged = on_acknowledged
        self.interval = clients / rate
        self.tally = Tally()
        self.acknowledged: dict[str, Acknowledged] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]
        self.started = 0.0
        self.stopped = 0.0

    def start(self) -> SubmissionLoad:
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop sending new submissions; wait until every one sent has its final answer."""
        self.stopping.set()
        self.stopped = time.monotonic()
        for thread in self.threads:
            thread.join(timeout=SETTLE_TIMEOUT + REQUEST_TIMEOUT)
        assert not any(t.is_alive() for t in self.threads), "a load client never finished"

    def submit(self) -> Acknowledged | None:
        """One more submission from the calling thread (a probe); its acknowledgement."""
        tps = self.take()
        return self._deliver(tps) if tps else None

    def _client(self) -> None:
        pace = time.monotonic()
        while not self.stopping.is_set():
            tps = self.take()
            if tps is None:
                return
            self._deliver(tps)
            pace += self.interval
            self.stopping.wait(max(0.0, pace - time.monotonic()))

    def _deliver(self, tps: str) -> Acknowledged | None:
        body = {
            "submission_id": str(uuid.uuid4()),
            "captured_at": "2024-11-27T14:05:00+07:00",
            "form": form_for(tps, self.dpt[tps]),
        }
        while True:
            sent = time.monotonic()
            answer = call(
                f"{self.url}/tps/{tps}/submissions",
                "POST",
                body,
                token=self.token_for(tps),
                timeout=REQUEST_TIMEOUT,
            )
            took = time.monotonic() - sent
            with self.lock:
                self._count(answer, took)
            if answer.status in (200, 201):
                done = Acknowledged(tps, body, answer.json, answer.status)
                with self.lock:
                    self.acknowledged[tps] = done
                self.on_acknowledged(done)
                return done
            if answer.status not in (0, 503):
                with self.lock:
                    self.tally.refused.append((tps, answer.status, _code(answer)))
                return None
            if self.stopping.is_set() and time.monotonic() - self.stopped > SETTLE_TIMEOUT:
                with self.lock:
                    self.tally.unresolved.append(tps)
                return None
            time.sleep(RETRY_DELAY)

    def _count(self, answer: Answer, took: float) -> None:
        self.tally.requests += 1
        self.tally.statuses[answer.status] += 1
        self.tally.slowest = max(self.tally.slowest, took)
        if answer.status == 0:
            self.tally.no_answer += 1
            self.tally.errors[answer.error.split(":")[0]] += 1

    def check_answers(self) -> None:
        """Every submission got its final answer, none a 5xx but 503, none refused."""
        t = self.tally
        assert not t.unresolved, f"submissions never answered: {t.unresolved[:5]}"
        server_errors = {s: n for s, n in t.statuses.items() if s >= 500 and s != 503}
        assert not server_errors, f"5xx answers under load: {server_errors}"
        assert not t.refused, f"fresh first readings refused: {t.refused[:5]}"
        assert self.acknowledged, "the load got nothing acknowledged"

    def figures(self) -> dict[str, Any]:
        t = self.tally
        return {
            "seconds": round(self.stopped - self.started, 1),
            "requests": t.requests,
            "acknowledged": len(self.acknowledged),
            "ack_200": sum(1 for a in self.acknowledged.values() if a.status == 200),
            "refused": len(t.refused),
            "no_answer": t.no_answer,
            "503": t.statuses.get(503, 0),
            "5xx_other": sum(n for s, n in t.statuses.items() if s >= 500 and s != 503),
            "slowest_s": round(t.slowest, 2),
        }


def _code(answer: Answer) -> str:
    try:
        return str(answer.json.get("code"))
    except ValueError:
        return answer.body[:80].decode(errors="replace")


def read_until_there(url: str, timeout: float = 60.0) -> Answer:
    """GET a read with ?wait_for=, asking again while it answers 503 (projection lagging)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = call(url, timeout=REQUEST_TIMEOUT)
        if answer.status not in (0, 503) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def recovery_time(load: SubmissionLoad, since: float, read: str) -> float | None:
    """Seconds from `since` (a fault, or the end of an outage) until a new write from this
    thread was acknowledged and a read with ?wait_for= its position answered 200 at `read`
    (a path under the contest); None if either never happened."""
    probe = load.submit()
    if probe is None:
        return None
    answer = read_until_there(f"{load.url}/{read}?wait_for={probe.answer['position']}")
    return round(time.monotonic() - since, 2) if answer.status == 200 else None
