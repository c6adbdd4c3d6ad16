"""A real province served live, and what its store must hold after any fault.

Sulawesi Utara (71: 8,240 TPS of the 2024 tree) with a governor contest: enough fresh TPS for every
scenario's load on one server. The province remembers every TPS handed out and every reading
acknowledged, across scenarios, so each check compares the whole store with the whole history
of acknowledgements.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from domain.access import SYSTEM
from service.bootstrap import build_services
from service.data import wilayah
from service.input import elections as given_elections
from service.usecases.elections import create_election, define_contest, load_regions
from tests.factories import GUBERNUR
from tests.faults.load import Acknowledged, SubmissionLoad, read_until_there, recovery_time
from tests.faults.servers import LiveServer, Store, call

PROVINCE = "71"
WARM_UP = 1.0  # seconds of load before a fault
AFTER = 2.0  # seconds of load after it
ELECTION = "fault-2024"
CONTEST = "gub-71"
# The test contest's three pairs, in province 71, won by a plurality.
GOVERNOR = {**GUBERNUR, "id": CONTEST, "region": PROVINCE, "winner_rule": "plurality"}


def fault_figures(load: SubmissionLoad, lost: int, recovery: float | None) -> dict[str, Any]:
    """A fault scenario's figures for the table: the load's, the writes lost, the recovery."""
    return {**load.figures(), "lost": lost, "recovery_s": recovery}


def setup_province(store: Store) -> tuple[dict[str, int], dict[str, str]]:
    """The election in the store; each TPS's DPT and an operator token per kab/kota."""
    services = build_services(store.settings)
    try:
        create_election(
            services.setup,
            SYSTEM,
            given_elections.election({"id": ELECTION, "name": "Pemilihan Uji Gangguan"}),
        )
        chunks = list(wilayah.iter_region_chunks(provinces={PROVINCE}, max_dpt=600))
        dpt = {t["code"]: t["dpt"] for chunk in chunks for t in chunk["tps"]}
        load_regions(services.setup, SYSTEM, ELECTION, chunks)
        define_contest(services.setup, SYSTEM, ELECTION, given_elections.contest(GOVERNOR))
        services.runner.catch_up()
        kabs = sorted({code[:4] for code in dpt})
        operators = {kab: services.tokens.create("operator", kab, name="loader")[0] for kab in kabs}
    finally:
        services.close()
    return dpt, operators


@dataclass
class Province:
    server: LiveServer
    dpt: dict[str, int]
    operators: dict[str, str]  # kab/kota -> an operator's token
    fresh: list[str] = field(default_factory=list)  # TPS nobody has submitted for
    handed_out: set[str] = field(default_factory=set)
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)  # acknowledged, latest
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.fresh = sorted(self.dpt, reverse=True)

    @property
    def url(self) -> str:
        return f"{self.server.base}/api/v1/elections/{ELECTION}/contests/{CONTEST}"

    @property
    def backend(self) -> str:
        return self.server.store.backend

    def operator(self, tps: str) -> str:
        return self.operators[tps[:4]]

    def take(self) -> str | None:
        """A TPS nobody has submitted for yet."""
        with self.lock:
            if not self.fresh:
                return None
            tps = self.fresh.pop()
            self.handed_out.add(tps)
            return tps

    def acknowledged(self, tps: str, form: dict[str, Any]) -> None:
        """The service acknowledged this form as the TPS's current reading."""
        with self.lock:
            self.forms[tps] = form

    def load(self, *, clients: int = 8, rate: float = 100.0) -> SubmissionLoad:
        assert len(self.fresh) > 1000, "the province is running out of fresh TPS for loads"
        return SubmissionLoad(
            self.url,
            self.take,
            self.dpt,
            self.operator,
            lambda done: self.acknowledged(done.tps, done.body["form"]),
            clients=clients,
            rate=rate,
        )

    def loaded(self, **kwargs: Any) -> SubmissionLoad:
        """A load of submissions, started and run for WARM_UP seconds: the fault comes next."""
        load = self.load(**kwargs)
        load.start()
        time.sleep(WARM_UP)
        return load

    def settle(
        self, load: SubmissionLoad, since: float, after: float = AFTER
    ) -> tuple[float | None, dict[str, Any]]:
        """After the fault at `since`: the recovery, `after` seconds more of the load, its end
        and the check that nothing is lost; the recovery's seconds and the scenario's figures."""
        recovery = self.recovery(load, since)
        time.sleep(after)
        load.stop()
        return recovery, fault_figures(load, self.check_nothing_lost(load), recovery)

    def recovery(self, load: SubmissionLoad, since: float) -> float | None:
        """Seconds from `since` until a new write is acknowledged and in the province's recap."""
        return recovery_time(load, since, f"regions/{PROVINCE}")

    def stored(self) -> Counter[str]:
        """How many first readings of each TPS the log holds, read through the audit API
        (the whole log, up to a head read before: a stream that ends short is a failure)."""
        head = self.log_head()
        answer = call(
            f"{self.server.base}/api/v1/audit/events",
            headers={"Accept": "application/x-ndjson"},
            timeout=120,
        )
        assert answer.status == 200, answer.body[:300]
        found: Counter[str] = Counter()
        last = 0
        for line in answer.body.splitlines():
            event = json.loads(line)
            last = event["position"]
            if event["type"] == "TpsResult.Submitted":
                found[event["payload"]["tps"]] += 1
        assert last >= head, f"the audit stream ended at position {last}, the log's head was {head}"
        return found

    def log_head(self) -> int:
        answer = call(f"{self.server.base}/readyz")
        assert answer.status in (200, 503) and "log_head" in answer.json, answer.body[:300]
        return int(answer.json["log_head"])

    def check_nothing_lost(self, load: SubmissionLoad | None = None) -> int:
        """Every acknowledged write is in the log and in the read models as acknowledged,
        nothing unacknowledged half-exists, `rekap audit verify` passes; the number lost."""
        if load is not None:
            load.check_answers()
        lost = 0
        if load is not None:
            with ThreadPoolExecutor(4) as pool:
                missing = [m for m in pool.map(self._read_back, load.acknowledged.values()) if m]
            lost += len(missing)
            assert not missing, f"{len(missing)} acknowledged writes not read back: {missing[:5]}"

        in_log = self.stored()
        not_logged = sorted(set(self.forms) - set(in_log))
        unacknowledged = sorted(set(in_log) - set(self.forms))
        doubled = {tps: n for tps, n in in_log.items() if n > 1}
        lost += len(not_logged)
        assert not not_logged, f"acknowledged but not in the log: {not_logged[:5]}"
        assert not unacknowledged, f"in the log, never acknowledged: {unacknowledged[:5]}"
        assert not doubled, f"two first readings in the log: {doubled}"

        head = self.log_head()
        recap = read_until_there(f"{self.url}/regions/{PROVINCE}?wait_for={head}")
        assert recap.status == 200, (recap.status, recap.body[:300], self.server.logs())
        document = recap.json
        assert document["tps_reported"] == len(self.forms)
        for key in ("1", "2", "3"):
            expected = sum(form["votes"][key] for form in self.forms.values())
            assert document["votes"][key] == expected, (key, document["votes"], expected)

        verify = self.server.audit_verify()
        assert verify.returncode == 0, verify.stdout[-3000:] + verify.stderr[-3000:]
        return lost

    def _read_back(self, done: Acknowledged) -> str | None:
        position = done.answer["position"]
        answer = read_until_there(f"{self.url}/tps/{done.tps}?wait_for={position}")
        if answer.status != 200:
            return f"{done.tps}: {answer.status} {answer.body[:200]!r}"
        found = answer.json
        if found["submitted"]["form"] != done.body["form"]:
            return f"{done.tps}: the stored form is not the one acknowledged"
        if found["submitted"]["submission_id"] != done.body["submission_id"]:
            return f"{done.tps}: stored under another submission_id"
        if done.answer["form"] != done.body["form"]:
            return f"{done.tps}: the acknowledgement carries another form"
        return None
