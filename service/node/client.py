"""The node's side of the link: `rekap node push` sends the node's steps to central's
`POST /api/v1/sync` as the official who ran them, and `rekap node pull` fetches the kecamatan's
bundle from central's `GET /api/v1/sync/export`. The transport is a function, so a test can
put a cut in the link."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from service.bootstrap import Services
from service.node import local
from service.node.bundle import parse
from service.node.steps import node_steps

# (method, url, body, headers) -> (status, document)
Send = Callable[[str, str, Any, dict[str, str]], tuple[int, Any]]
TIMEOUT = 300.0


class LinkError(Exception):
    """Central refused the push or the pull as a whole, or could not be reached."""


def http(method: str, url: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"{}")
        except ValueError:
            return error.code, {"detail": raw[:200].decode("utf-8", "replace")}
    except (urllib.error.URLError, OSError) as error:
        raise LinkError(f"central at {url} cannot be reached: {error}") from None


def push(
    services: Services,
    url: str,
    token: str,
    otp: str | None = None,
    batch: int = 0,
    send: Send = http,
) -> dict[str, Any]:
    """Every step of the node, in its order, `batch` steps a request (0: all in one, which a
    token with a second factor needs: each code counts once). Central answers each step."""
    node, steps = node_steps(services)
    headers = {"Authorization": f"Bearer {token}"}
    if otp:
        headers["X-OTP"] = otp
    size = batch if batch > 0 else max(1, len(steps))
    answers: list[dict[str, Any]] = []
    for start in range(0, max(1, len(steps)), size):
        chunk = steps[start : start + size]
        document = {
            "node": node["node"],
            "election": node["election"],
            "region": node["region"],
            "steps": chunk,
            "evidence": _evidence(services, chunk),
        }
        status, answer = send("POST", f"{url.rstrip('/')}/api/v1/sync", document, headers)
        if status != 200:
            detail = answer.get("detail") if isinstance(answer, dict) else answer
            raise LinkError(f"central refused the push ({status}): {detail}")
        answers.extend(answer["steps"])
    counts: dict[str, int] = {}
    for a in answers:
        counts[a["status"]] = counts.get(a["status"], 0) + 1
    return {"node": node["node"], "region": node["region"], "counts": counts, "steps": answers}


def _evidence(services: Services, steps: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The pages the steps cite that the node holds, for central to keep."""
    digests = {
        page["sha256"]
        for step in steps
        for page in step["body"].get("evidence") or []
        if isinstance(page, dict) and isinstance(page.get("sha256"), str)
    }
    files = []
    for digest in sorted(digests):
        if services.evidence.exists(digest):
            path, _ = services.evidence.open(digest)
            files.append({"sha256": digest, "data": base64.b64encode(path.read_bytes()).decode()})
    return files


def fetch_bundle(url: str, election: str, region: str, send: Send = http) -> dict[str, Any]:
    query = urllib.parse.urlencode({"election": election, "region": region})
    status, document = send("GET", f"{url.rstrip('/')}/api/v1/sync/export?{query}", None, {})
    if status != 200:
        detail = document.get("detail") if isinstance(document, dict) else document
        raise LinkError(f"central refused the pull ({status}): {detail}")
    return parse(document)


def pull(services: Services, url: str, send: Send = http) -> dict[str, Any]:
    node = local.state(services)
    if node is None:
        raise LinkError("this store is not a node: run `rekap node init FILE` first")
    bundle = fetch_bundle(url, node["election"], node["region"], send)
    return local.pull(services, bundle)
