"""The plenary aggregate and its certification rules, without any store."""

from __future__ import annotations

import pytest

from domain.certification import CertificationFacts, blocking_reasons
from domain.codes import Tier
from domain.contests import Contest
from domain.errors import Conflict, InvalidInput, NotFound
from domain.plenary import (
    Plenary,
    PlenaryStatus,
    next_plenary,
    plenaries_above,
    plenaries_below,
    plenary_tier,
)
from tests.factories import GUBERNUR

PPK = {"id": "ppk", "role": "ppk", "scope": "910101"}
SAKSI = {"id": "saksi", "role": "saksi", "scope": "9101", "contest": "gub-99", "candidate": 1}
CONTEST = Contest.from_dict("e", GUBERNUR)
BUPATI = Contest.from_dict(
    "e",
    {
        "id": "bup-9101",
        "kind": "bupati",
        "region": "9101",
        "winner_rule": "plurality",
        "candidates": [{"number": 1, "name": "A"}, {"number": 2, "name": "B"}],
    },
)


def opened(code: str = "910101") -> Plenary:
    return Plenary(election_id="e", contest_id="gub-99", code=code, tier="kecamatan", actor=PPK)


def replayed(plenary: Plenary) -> Plenary:
    """The same plenary rebuilt from its events alone."""
    events = plenary.collect_events()
    copy = None
    for e in events:
        copy = e.mutate(copy)
    assert copy is not None
    return copy


def certify(plenary: Plenary) -> int:
    return plenary.certify(
        figures={"total": {}},
        signed_by=["Ketua"],
        refusals=[{"by": "saksi 2", "reason": "tidak setuju"}],
        relied_on={},
        verdict=None,
        actor=PPK,
    )


def test_every_blocking_reason_is_listed_at_once() -> None:
    facts = CertificationFacts(
        tps_without_result=["9101011001002"],
        children_not_certified={"910102": "open", "910101": "not_open"},
        unresolved_anomalies={"9101011002001": ["R4", "R5"]},
        open_objections=[{"id": "910101-1", "detail": "segel rusak", "origin": "910101"}],
        carried_objections=[{"id": "910102-2", "detail": "angka", "origin": "910102"}],
        unanswered_recommendations=[{"id": "910101-r1", "text": "hitung ulang"}],
    )
    fields = [e.field for e in blocking_reasons(facts)]
    assert fields == [
        "tps.9101011001002",
        "children.910101",
        "children.910102",
        "anomalies.9101011002001",
        "objections.910101-1",
        "objections.910102-2",
        "recommendations.910101-r1",
    ]
    assert blocking_reasons(CertificationFacts()) == []


def test_an_objection_not_accepted_travels_up_and_an_accepted_one_does_not() -> None:
    plenary = opened()
    first = plenary.raise_objection(subject="procedure", target=None, detail="a", actor=SAKSI)
    second = plenary.raise_objection(subject="procedure", target=None, detail="b", actor=SAKSI)
    assert (first, second) == ("910101-1", "910101-2")
    plenary.resolve_objection(
        objection_id=first, accepted=False, note="no", carried=None, carried_to="9101", actor=PPK
    )
    plenary.resolve_objection(
        objection_id=second, accepted=True, note="yes", carried=None, carried_to="9101", actor=PPK
    )
    assert [o["id"] for o in plenary.minutes.carried_up()] == [first]
    with pytest.raises(Conflict):
        plenary.resolve_objection(
            objection_id=first, accepted=True, note="", carried=None, carried_to=None, actor=PPK
        )
    with pytest.raises(NotFound):
        plenary.resolve_objection(
            objection_id="910101-9",
            accepted=True,
            note="",
            carried=None,
            carried_to=None,
            actor=PPK,
        )
    assert replayed(plenary).minutes.carried_up() == plenary.minutes.carried_up()


def test_a_certified_plenary_refuses_changes_until_it_is_reopened() -> None:
    plenary = opened()
    assert certify(plenary) == 1 and plenary.status is PlenaryStatus.CERTIFIED
    with pytest.raises(Conflict):
        plenary.raise_objection(subject="procedure", target=None, detail="late", actor=SAKSI)
    with pytest.raises(Conflict):
        certify(plenary)
    plenary.reopen(
        reason="putusan MK", order={"kind": "re_vote", "ref": "MK 1", "tps": []}, actor=PPK
    )
    assert plenary.status is PlenaryStatus.REOPENED and plenary.certificates[0]["superseded"]
    with pytest.raises(Conflict):
        plenary.reopen(reason="again", order=None, actor=PPK)
    assert certify(plenary) == 2
    copy = replayed(plenary)
    assert copy.status is PlenaryStatus.CERTIFIED
    assert [c["superseded"] for c in copy.certificates] == [True, False]


def test_a_revote_needs_a_court_order_for_that_tps() -> None:
    plenary = opened()
    with pytest.raises(Conflict):
        plenary.record_revote(tps="9101011001001", from_version=1, before={}, after={}, actor=PPK)
    certify(plenary)
    order = {"kind": "re_vote", "ref": "MK 7", "tps": ["9101011001001"]}
    plenary.reopen(reason="PSU", order=order, actor=PPK)
    with pytest.raises(Conflict):
        plenary.record_revote(tps="9101011001002", from_version=1, before={}, after={}, actor=PPK)
    assert (
        plenary.record_revote(tps="9101011001001", from_version=1, before={}, after={}, actor=PPK)
        == order
    )
    with pytest.raises(InvalidInput):
        plenary.record_correction(
            tps="9102011001001",
            from_version=1,
            before={},
            after={},
            reason="not mine",
            objection_id=None,
            actor=PPK,
        )


def test_plenaries_sit_at_the_contests_tiers_only() -> None:
    assert CONTEST.plenary_tiers == [Tier.KECAMATAN, Tier.KABKOTA, Tier.PROVINSI]
    assert plenary_tier(CONTEST, "91") is Tier.PROVINSI
    with pytest.raises(NotFound):
        plenary_tier(CONTEST, "0")
    with pytest.raises(NotFound):
        plenary_tier(BUPATI, "91")
    with pytest.raises(NotFound):
        plenary_tier(BUPATI, "910201")  # another kab/kota
    assert plenaries_above(CONTEST, "910101") == ["9101", "91"]
    assert plenaries_above(BUPATI, "910101") == ["9101"]
    assert next_plenary(BUPATI, "9101") is None
    assert plenaries_below(CONTEST, "9101011001001", "91") == ["910101", "9101"]
    assert plenaries_below(CONTEST, "9101011001001", "910101") == []


def test_a_result_read_in_plenary_is_in_its_minutes_and_on_its_certificate() -> None:
    plenary = opened()
    form = {"votes": {"1": 3}, "valid": 3, "invalid": 0, "total": 3}
    reading = {"form": form, "reason": "dibacakan", "evidence": [], "actor": PPK}
    with pytest.raises(InvalidInput):
        plenary.record_result_read(tps="9102011001001", **reading)  # not under it
    plenary.record_result_read(tps="9101011002001", **reading)
    again = replayed(plenary)
    assert list(again.minutes.read) == ["9101011002001"]
    assert again.minutes.read["9101011002001"]["by"] == PPK
    certify(again)
    assert [r["tps"] for r in again.current_certificate()["results_read"]] == ["9101011002001"]
    with pytest.raises(Conflict):  # certified: nothing more is read until it is reopened
        again.record_result_read(tps="9101011001001", **reading)
