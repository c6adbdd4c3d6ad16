"""The public site's routes: they read the request (language, as of, search text), ask pages.py
for what to show and render it. Stable URLs, in Indonesian as the public writes them:

    /                                          the elections and their contests
    /pemilu/<election>                         one election
    /pemilu/<election>/<contest>               the contest: its top region
    /pemilu/<election>/<contest>/wilayah/<code>            a region, any tier down to the desa
    /pemilu/<election>/<contest>/wilayah/<code>/riwayat    every event that shaped it
    /pemilu/<election>/<contest>/tps/<code>                one TPS: photos, figures, versions
    /cari?q=...                                a region or TPS by code (dotted or not) or name

Every page takes `?lang=en` (Indonesian otherwise) and the region and TPS pages `?as_of=` (a log
position or an ISO 8601 time); links keep both, so a drill-down stays in the past it started in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, redirect, render_template, request, send_from_directory, url_for
from werkzeug.wrappers import Response

from api.auth import public
from api.http import services
from api.site import pages
from api.site.i18n import Locale, language_of
from api.site.respond import PAST_MAX_AGE, html_page
from domain.codes import NATION, Tier, dotted, is_within, normalise, tier_of
from domain.errors import DomainError, InvalidInput, NotFound

blp = Blueprint("site", __name__)
STATIC = Path(__file__).parent / "static"

MAX_QUERY = 100
MAX_AS_OF = 64
CONTEST = "/pemilu/<eid>/<cid>"


@blp.context_processor
def page_context() -> dict[str, Any]:
    language = _language()
    as_of = _as_of(strict=False)

    def href(endpoint: str, keep_as_of: bool = True, **values: Any) -> str:
        """A link that keeps the page's language and (unless told not to) its moment."""
        if language != "id":
            values.setdefault("lang", language)
        if as_of is not None and keep_as_of:
            values.setdefault("as_of", as_of)
        return url_for(endpoint, **values)

    def switch_language() -> str:
        other = "en" if language == "id" else "id"
        args = {k: v for k, v in request.args.items() if k != "lang"}
        if other != "id":
            args["lang"] = other
        return url_for(request.endpoint or "site.index", **(request.view_args or {}), **args)

    return {
        "L": Locale(language),
        "lang": language,
        "as_of": as_of,
        "href": href,
        "switch_language": switch_language,
        "dotted": dotted,
        "NATION": NATION,
    }


@blp.errorhandler(DomainError)
def domain_error(error: DomainError) -> Response:
    status = 404 if isinstance(error, NotFound) else 400
    body = render_template("site/error.html", status=status, message=str(error))
    return html_page(body, status=status)


@blp.route("/")
@public
def index() -> Response:
    s = services()
    elections = [s.queries.election(e["id"], brief=True) for e in s.queries.elections()]
    return _page("site/index.html", elections=elections)


@blp.route("/site-static/<path:filename>")
@public
def static(filename: str) -> Response:
    """The site's own style sheets, scripts and icon (no page loads anything from elsewhere)."""
    return send_from_directory(STATIC, filename, max_age=3600)


@blp.route("/favicon.ico")
@public
def favicon() -> Response:
    """Browsers ask for it on pages that name no icon (a JSON document, say)."""
    return redirect(url_for("site.static", filename="favicon.svg"), 301)


@blp.route("/pemilu/<eid>")
@public
def election(eid: str) -> Response:
    return _page("site/election.html", election=services().queries.election(eid, brief=True))


@blp.route(CONTEST)
@public
def contest(eid: str, cid: str) -> Response:
    """A contest's own URL: its top region (the nation, a province or a kab/kota)."""
    top = services().queries.contest(eid, cid).region
    return redirect(_url("site.region", eid=eid, cid=cid, code=top), 302)


@blp.route(f"{CONTEST}/wilayah/<code>")
@public
def region(eid: str, cid: str, code: str) -> Response:
    return _figures(pages.region_page, "site/region.html", eid, cid, code)


@blp.route(f"{CONTEST}/wilayah/<code>/riwayat")
@public
def region_history(eid: str, cid: str, code: str) -> Response:
    after = request.args.get("after", "0")
    if not after.isdigit() or len(after) > 18:
        raise InvalidInput("after is a log position (0 or more)")
    page = pages.history_page(services(), eid, cid, code, int(after))
    return _page("site/history.html", **page)


@blp.route(f"{CONTEST}/tps/<code>")
@public
def tps(eid: str, cid: str, code: str) -> Response:
    return _figures(pages.tps_page, "site/tps.html", eid, cid, code)


def _figures(
    build: Callable[..., dict[str, Any]], template: str, eid: str, cid: str, code: str
) -> Response:
    """A region's or a TPS's page, at its canonical code, now or as of `?as_of=`."""
    if normalise(code) != code:
        return _canonical(eid, cid, code)
    as_of = _as_of()
    return _page(template, past=as_of is not None, **build(services(), eid, cid, code, as_of))


@blp.route("/cari")
@public
def search() -> Response:
    """A code goes straight to its page; a name lists the regions that bear it."""
    text = request.args.get("q", "").strip()[:MAX_QUERY]
    eid, cid = request.args.get("e"), request.args.get("c")
    s = services()
    contests = []
    for listed in s.queries.elections():
        if eid and eid != listed["id"]:
            continue
        election = s.queries.election(listed["id"], brief=True)
        contests += [(election, c) for c in election["contests"] if not cid or cid == c["id"]]
    code = _as_code(text)
    if code is not None:
        holding = [(e, c) for e, c in contests if is_within(code, c["region"])]
        if len(holding) == 1:
            election, contest = holding[0]
            endpoint = "site.tps" if tier_of(code) is Tier.TPS else "site.region"
            return redirect(_url(endpoint, eid=election["id"], cid=contest["id"], code=code))
        return _page("site/search.html", text=text, code=code, contests=holding, found=[])
    found = []
    if text:
        for election in {e["id"]: e for e, _ in contests}.values():
            regions = s.queries.find_regions(election["id"], text)
            within = [c for e, c in contests if e["id"] == election["id"]]
            for r in regions:
                for contest in within:
                    if is_within(r["code"], contest["region"]):
                        found.append({**r, "election": election, "contest": contest})
    return _page("site/search.html", text=text, code=None, contests=[], found=found)


def _canonical(eid: str, cid: str, code: str) -> Response:
    """A dotted code's page lives at its undotted URL: one URL to cite per page."""
    values = {**(request.view_args or {}), "code": normalise(code), **request.args}
    return redirect(url_for(request.endpoint or "site.region", **values), 301)


def _as_code(text: str) -> str | None:
    try:
        return normalise(text) if text else None
    except InvalidInput:
        return None


def _page(template: str, **context: Any) -> Response:
    past = context.get("past", False)
    return html_page(
        render_template(template, **context),
        max_age=PAST_MAX_AGE if past else 5,
    )


def _language() -> str:
    return language_of(request.args.get("lang"))


def _as_of(strict: bool = True) -> str | None:
    value = request.args.get("as_of", "").strip()
    if not value:
        return None
    if len(value) > MAX_AS_OF:
        if strict:
            raise InvalidInput("as_of is a log position or an ISO 8601 time")
        return None
    return value


def _url(endpoint: str, **values: Any) -> str:
    language, as_of = _language(), _as_of(strict=False)
    if language != "id":
        values["lang"] = language
    if as_of is not None:
        values["as_of"] = as_of
    return url_for(endpoint, **values)
