"""The Flask application factory: services in, HTTP out."""

from __future__ import annotations

import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from api import auth, problems
from api.blueprints import ALL_BLUEPRINTS
from api.http import ProjectionLagging, apply_body_limit, refuse_what_is_not_text
from api.metrics import init_metrics
from api.site import docs_assets, site
from api.site.docs import ASSETS_URL
from api.site.respond import install_security_headers
from domain.errors import DomainError
from service.bootstrap import Services, build_services
from service.config import Settings

log = logging.getLogger("rekap.api")

TEMPLATES = Path(__file__).parent / "site" / "templates"
MAX_BODY = 1024 * 1024  # one document; bulk imports and files raise it (api/http.py body_limit)
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # echoed in headers and logs: nothing else
READ_METHODS = ("GET", "HEAD")


class RekapFlask(Flask):
    """Flask, with every GET answered in a read session: from a replica when there are any,
    and again from another (the primary at the end) when one fails under it."""

    def dispatch_request(self) -> Any:
        if request.method in READ_METHODS:
            return self.extensions["rekap"].reads.serve(super().dispatch_request)
        return super().dispatch_request()


class RekapApi(Api):
    ERROR_SCHEMA = problems.ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return problems.from_http(error)

    def _register_responses(self) -> None:
        """The library's error responses, documented as application/problem+json."""
        super()._register_responses()
        for response in self.spec.components.responses_lazy.values():
            content = response.get("content", {})
            if self.DEFAULT_RESPONSE_CONTENT_TYPE in content:
                content[problems.MEDIA_TYPE] = content.pop(self.DEFAULT_RESPONSE_CONTENT_TYPE)
        unauthorized = self.spec.components.responses_lazy.get("UNAUTHORIZED")
        if unauthorized is not None:
            unauthorized["description"] = auth.UNAUTHORIZED_DESCRIPTION


def create_app(services: Services | None = None, config: dict[str, Any] | None = None) -> Flask:
    # The site's templates; swagger_ui.html there replaces flask-smorest's (no inline script).
    app = RekapFlask("rekap", template_folder=str(TEMPLATES))
    app.config.update(
        API_TITLE="rekap",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=ASSETS_URL,  # served from the package: no page needs the internet
        MAX_CONTENT_LENGTH=MAX_BODY,
        JSON_SORT_KEYS=False,
    )
    app.config.update(config or {})
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # A worker's statements are bounded (REKAP_DB_STATEMENT_TIMEOUT): 503, not a hung request.
    app.extensions["rekap"] = services or build_services(Settings.from_env().for_requests())
    api = RekapApi(
        app,
        spec_kwargs={
            "info": {
                "description": "Event-sourced staged vote recapitulation (rekapitulasi "
                "suara berjenjang). Every write is an immutable event; every read is public."
            },
            "components": {"securitySchemes": auth.SECURITY_SCHEMES},
        },
    )
    for blueprint in ALL_BLUEPRINTS:
        api.register_blueprint(blueprint)
    # The public site and the docs' assets are not part of the API's OpenAPI document.
    app.register_blueprint(site)
    app.register_blueprint(docs_assets)
    install_security_headers(app)
    _register_error_handlers(app)
    _register_request_hooks(app)
    init_metrics(app)
    auth.check_access_rules(app, public_prefixes=("api-docs.",))
    return app


def _register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, problems.from_domain)
    app.register_error_handler(
        auth.Unauthenticated,
        lambda e: problems.problem(401, str(e), e.code, headers={"WWW-Authenticate": "Bearer"}),
    )
    app.register_error_handler(
        auth.SecondFactorThrottled,
        lambda e: problems.problem(429, str(e), headers={"Retry-After": str(e.retry_after)}),
    )
    app.register_error_handler(HTTPException, problems.from_http)
    app.register_error_handler(
        ProjectionLagging,
        lambda e: problems.problem(
            503, str(e), "projection_lagging", headers={"Retry-After": "1"}, position=e.position
        ),
    )
    for store_error in problems.STORE_ERRORS:
        app.register_error_handler(store_error, problems.store_unavailable)
    app.register_error_handler(Exception, problems.from_unexpected)


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        g.started = time.perf_counter()
        apply_body_limit()
        refuse_what_is_not_text()

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        log.info(
            "%s %s %s %.1fms id=%s",
            request.method,
            request.path,
            response.status_code,
            elapsed * 1000,
            g.get("request_id"),
        )
        return response
