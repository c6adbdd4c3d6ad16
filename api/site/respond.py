"""How the site answers: HTML pages with ETag and Cache-Control like the API's public reads, and
the security headers every response carries.

Everything on a page comes from the server's own origin: no inline script or style (the pages
use external files only), so the Content-Security-Policy can forbid both, and text that
witnesses, officials or KPPS typed can never run as script even if an escape were missed.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, request

from api.http import PUBLIC_MAX_AGE

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI sets style attributes on the elements it draws; its scripts still come from here.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"
PAST_MAX_AGE = 86400  # a page as of a past moment never changes


def html_page(body: str, status: int = 200, max_age: int = PUBLIC_MAX_AGE) -> Response:
    """A public HTML page; 304 when If-None-Match already holds its tag."""
    tag = hashlib.sha256(body.encode()).hexdigest()[:32]
    headers = {
        "ETag": f'"{tag}"',
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if status == 200 and request.if_none_match.contains_weak(tag):
        return Response(status=304, headers=headers)
    return Response(body, status=status, mimetype="text/html", headers=headers)


def install_security_headers(app: Flask) -> None:
    @app.after_request
    def secure(response: Response) -> Response:
        policy = DOCS_CSP if request.endpoint == DOCS_ENDPOINT else CSP
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
