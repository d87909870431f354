"""Content-Security-Policy on every page (issue 10, item 2): no inline script or style anywhere — every
template, and every page as its admitted personas see it (the authorization matrix's calls) — the header on
each answer, violations reported to an endpoint that logs them, and the same policy in deploy/nginx.conf."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.authorization.pages import PAGES
from tests.authorization.world import World
from tests.test_authorization_matrix import OPEN_PAGES, OWNER_CALLS, _page_url, _send, _signed_in

ROOT = Path(settings.BASE_DIR)
# An inline script (a <script> without src that is not a JSON data block), a <style> element, a style=""
# attribute, an on…="" event handler or a javascript: URL: each needs 'unsafe-inline' to run.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=[\"']application/json)[^>]*>"
    r"|<style[\s>]"
    r"|\sstyle\s*=\s*[\"']"
    r"|\son[a-z]+\s*=\s*[\"']"
    r"|javascript:",
    re.IGNORECASE,
)
TEMPLATES = sorted((ROOT / "ihospital").glob("*/templates/**/*.html"))


def inline_in(html: str) -> list[str]:
    return [match.group(0).strip() for match in INLINE.finditer(html)]


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_an_inline_script_or_style(template):
    assert inline_in(template.read_text(encoding="utf-8")) == []


def test_the_policy_forbids_inline_code_and_reports_violations(client, db):
    policy = policy_of(client.get("/"))
    assert policy["script-src"] == "script-src 'self'" and policy["style-src"] == "style-src 'self'"
    assert "'none'" in policy["object-src"] and "'none'" in policy["frame-ancestors"]
    assert policy["report-uri"].endswith("/csp-report/")
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def _html(response) -> str | None:
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return None
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "persona"), OWNER_CALLS)
def test_every_page_its_owners_see_has_the_policy_and_no_inline_code(route, persona, request):
    page, world = PAGES[route], World(request)
    call = page.setup(world)
    response = _send(_signed_in(getattr(world, persona)), page, _page_url(route, call.kwargs), call.data)
    html = _html(response)
    response.close()
    if html is not None:
        assert "script-src 'self'" in response["Content-Security-Policy"], route
        assert inline_in(html) == [], route


@pytest.mark.django_db
@pytest.mark.parametrize("route", OPEN_PAGES)
def test_every_open_page_has_the_policy_and_no_inline_code(route, request):
    page = PAGES[route]
    call = page.setup(World(request))
    response = _send(Client(), page, _page_url(route, call.kwargs), call.data)
    html = _html(response)
    if html is not None:
        assert "script-src 'self'" in response["Content-Security-Policy"], route
        assert inline_in(html) == [], route


@pytest.mark.parametrize("path", ["/", "/p/sign-in/", "/staff/sign-in/", "/no-such-page/"])
def test_error_and_sign_in_pages_have_the_policy_and_no_inline_code(client, db, path):
    response = client.get(path)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert inline_in(response.content.decode()) == []


def test_a_violation_report_is_logged_and_answered_204(client, db, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://hospital.example/p/",
            "violated-directive": "script-src-elem",
            "blocked-uri": "inline",
        }
    }
    with caplog.at_level("WARNING", logger="ihospital.web.csp"):
        answer = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert answer.status_code == 204
    assert "script-src-elem" in caplog.text and "/p/" in caplog.text


def test_violation_reports_are_limited_per_address_and_bounded(client, db, caplog, settings):
    settings.CSP_REPORTS_PER_ADDRESS_PER_MINUTE = 2
    body = json.dumps({"csp-report": {"blocked-uri": "x" * 10_000}})
    with caplog.at_level("WARNING", logger="ihospital.web.csp"):
        for _ in range(2):
            assert client.post("/csp-report/", body, content_type="application/csp-report").status_code == 204
    assert max(len(record.getMessage()) for record in caplog.records) < 2000
    assert client.post("/csp-report/", body, content_type="application/csp-report").status_code == 429
    other = Client(REMOTE_ADDR="10.0.0.2")
    assert other.post("/csp-report/", body, content_type="application/csp-report").status_code == 204


def test_nginx_sends_the_same_policy():
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    sent = re.search(r"add_header\s+Content-Security-Policy\s+\"([^\"]+)\"", conf)
    assert sent, "deploy/nginx.conf sets no Content-Security-Policy"
    response = Client().get("/healthz")

    def directives(policy: str) -> dict[str, str]:
        return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}

    assert directives(sent.group(1)) == directives(response["Content-Security-Policy"])


@pytest.mark.parametrize("path", ["/api/patient/v1/docs", "/api/staff/v1/docs", "/admin/login/"])
def test_the_api_docs_and_the_back_office_sign_in_have_the_policy_and_no_inline_code(client, db, path):
    response = client.get(path, follow=True)  # the back office signs in through the staff page
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert inline_in(response.content.decode()) == []
