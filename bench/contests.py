"""The five contests of Pemilu 2024 as the bench runs them: the real contest documents of
`rekap election import-wilayah --pemilu2024` (service/cli/pemilu2024.py) on the chosen
provinces, and their forms, streamed a kecamatan at a time:

- ppwp: the Pilpres (bench/data.py, with its anomalies and corrections);
- dpr: the DPR forms whose party votes add up per dapil to the published 2024 votes
  (bench/legislative.py);
- dpd, dprd_provinsi, dprd_kabkota: generated forms (bench/legislative_regional.py); the DPRD
  groups are one contest per province (38) and per kab/kota (508).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from bench import data, legislative, legislative_regional
from bench.data import TpsForm
from service.cli.pemilu2024 import contest_documents

KEYS = ("ppwp", "dpr", "dpd", "dprd_provinsi", "dprd_kabkota")
LABELS = {
    "ppwp": "Pilpres",
    "dpr": "DPR",
    "dpd": "DPD",
    "dprd_provinsi": "DPRD provinsi",
    "dprd_kabkota": "DPRD kab/kota",
}
# Tiers a contest group's read is measured at (a DPRD contest has no region above its own).
TIERS = {
    "ppwp": ("nasional", "provinsi", "kabkota", "kecamatan", "desa"),
    "dpr": ("nasional", "provinsi", "kabkota", "kecamatan", "desa"),
    "dpd": ("nasional", "provinsi", "kabkota", "kecamatan", "desa"),
    "dprd_provinsi": ("provinsi", "kabkota", "kecamatan", "desa"),
    "dprd_kabkota": ("kabkota", "kecamatan", "desa"),
}

Stream = Iterator[tuple[str, str, list[TpsForm]]]  # (contest id, kecamatan, its forms)


def chosen(names: str | None, count: int | None) -> list[str]:
    """The contest groups to run: named, in the order named (`dpr,ppwp`), or the first `count`
    in ballot order."""
    if names:
        wanted = list(dict.fromkeys(n.strip() for n in names.split(",") if n.strip()))
        unknown = [n for n in wanted if n not in KEYS]
        if unknown:
            raise SystemExit(f"unknown contests {unknown}: choose from {', '.join(KEYS)}")
        return wanted
    return list(KEYS[: max(1, min(5, count or 5))])


def documents(
    provinces: Collection[str] | None, keys: Collection[str], seed: int
) -> dict[str, list[dict[str, Any]]]:
    """The contest documents of each chosen group, as --pemilu2024 defines them."""
    found: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
    for document in contest_documents(provinces, seed):
        key = "ppwp" if document["kind"] == "presiden" else document["kind"]
        if key in found:
            found[key].append(document)
    return found


def kecamatan_forms(
    key: str, docs: list[dict[str, Any]], provinces: Collection[str] | None, seed: int
) -> Stream:
    """Every form of a contest group, kecamatan by kecamatan, with the contest it is for."""
    if key == "ppwp":
        for kec, forms in data.kecamatan_forms(provinces, data.PILPRES_ID, seed):
            yield data.PILPRES_ID, kec, forms
    elif key == "dpr":
        for kec, forms in legislative.dpr_kecamatan_forms(provinces, seed):
            yield legislative.DPR_ID, kec, forms
    elif key == "dpd":
        for kec, forms in legislative_regional.dpd_kecamatan_forms(provinces, seed):
            yield legislative_regional.DPD_ID, kec, forms
    else:
        for document in docs:
            for kec, forms in legislative_regional.dprd_kecamatan_forms(document, seed):
                yield document["id"], kec, forms


def contest_for(key: str, code: str, defined: Collection[str]) -> str | None:
    """The contest of a group a region is read in (a DPRD's is that of its province or kab/kota)."""
    if key == "dprd_provinsi":
        found = f"dprd-prov-{code[:2]}"
    elif key == "dprd_kabkota":
        found = f"dprd-kab-{code[:4]}"
    else:
        found = {"ppwp": data.PILPRES_ID, "dpr": legislative.DPR_ID}.get(key, key)
    return found if found in defined else None
