"""Certificates (the D.Hasil, the determination) answered as JSON or as their printable page."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from api.http import public_read
from service.read.certificate import render_html


def printable_or_json(document: dict[str, Any], format: str | None, template: str) -> Any:
    """The printable page (`?format=html`, or Accept preferring text/html over JSON) rendered
    from `template`, else the document as a public JSON read."""
    if format == "html" or (
        format is None
        and request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    ):
        page = render_html(
            document,
            request.url_root,
            stylesheet=url_for("site.static", filename="d_hasil.css"),
            icon=url_for("site.static", filename="favicon.svg"),
            template=template,
        )
        return Response(page, mimetype="text/html")
    return public_read(document)
