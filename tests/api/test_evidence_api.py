"""Evidence files: uploaded by result writers and officials, served to anyone, immutable."""

from __future__ import annotations

import hashlib

from flask.testing import FlaskClient

from service.bootstrap import Services
from service.store.evidence import MAX_BYTES
from tests.api.conftest import Auth
from tests.api.test_results_api import problem

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"page" * 100


def test_a_photo_is_stored_by_its_digest_and_served_immutable(
    client: FlaskClient, services: Services, auth: Auth
) -> None:
    headers = {**auth("kpps", "9101011001001"), "Content-Type": "image/png"}
    r = client.post("/api/v1/evidence", data=PNG, headers=headers)
    assert r.status_code == 201
    digest = hashlib.sha256(PNG).hexdigest()
    assert r.get_json() == {
        "sha256": digest,
        "size": len(PNG),
        "media_type": "image/png",
        "url": f"/api/v1/evidence/{digest}",
    }
    assert services.evidence.path(digest).read_bytes() == PNG
    assert client.post("/api/v1/evidence", data=PNG, headers=headers).status_code == 200

    served = client.get(f"/api/v1/evidence/{digest}")
    assert served.status_code == 200 and served.data == PNG and served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"]
    again = client.get(f"/api/v1/evidence/{digest}", headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304


def test_officials_may_upload_and_witnesses_may_not(
    client: FlaskClient, services: Services, auth: Auth
) -> None:
    assert (
        client.post("/api/v1/evidence", data=PDF, headers=auth("ppk", "910101")).status_code == 201
    )
    problem(client.post("/api/v1/evidence", data=PDF), 401)
    saksi = auth("saksi", "91", contest="gub-99", candidate=1)
    problem(client.post("/api/v1/evidence", data=PDF, headers=saksi), 403)


def test_what_is_not_a_page_or_too_large_is_refused(client: FlaskClient, auth: Auth) -> None:
    headers = auth("operator", "9101")
    problem(client.post("/api/v1/evidence", data=b"GIF89a....", headers=headers), 415)
    problem(client.post("/api/v1/evidence", data=b"", headers=headers), 400)
    big = b"%PDF-" + b"0" * MAX_BYTES
    problem(client.post("/api/v1/evidence", data=big, headers=headers), 413, "payload_too_large")


def test_unknown_evidence_is_404(client: FlaskClient) -> None:
    problem(client.get(f"/api/v1/evidence/{'a' * 64}"), 404)
    problem(client.get("/api/v1/evidence/not-a-digest"), 404)
