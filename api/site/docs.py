"""The OpenAPI page's assets, served by rekap itself: /api/v1/docs works with no internet.

Swagger UI's files come from the flask-swagger-ui package (a kept package that ships the
swagger-ui-dist build); flask-smorest's page points at them through OPENAPI_SWAGGER_UI_URL, and
its template is replaced by templates/swagger_ui.html, which starts Swagger UI from a file
rather than an inline script (the Content-Security-Policy forbids inline scripts).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from api.auth import public

ASSETS_URL = "/api/v1/docs/assets/"
SWAGGER_DIST = Path(str(resources.files("flask_swagger_ui") / "dist"))

blp = Blueprint("docs_assets", __name__)


@blp.route(f"{ASSETS_URL}<path:name>")
@public
def asset(name: str) -> Response:
    """A file of Swagger UI (its scripts, styles and icons)."""
    return send_from_directory(SWAGGER_DIST, name, max_age=86400)
