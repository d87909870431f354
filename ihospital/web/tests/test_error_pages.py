"""Branded error pages (Django's 403/404/500 handlers on the one error page of core.web) with a way back
that fits who is reading, and a favicon."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from config import urls
from ihospital.core.testing.personas import make_user
from ihospital.web import views


def body(response) -> str:
    return response.content.decode()


def home_link(html: str) -> str:
    start = html.index('data-testid="error-home" href="') + len('data-testid="error-home" href="')
    return html[start : html.index('"', start)]


@pytest.mark.django_db
def test_an_unknown_address_gets_the_branded_404_with_the_front_door_for_anonymous_visitors(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = body(response)
    assert 'data-code="core.not_found"' in html and "favicon.svg" in html
    assert home_link(html) == "/"


@pytest.mark.parametrize(("role", "home"), [("patient", "/p/"), ("doctor", "/staff/"), ("auditor", "/staff/")])
@pytest.mark.django_db
def test_the_404_leads_each_role_back_to_its_own_home(client, role, home):
    client.force_login(make_user(f"reader_{role}", role, phone="13900000077" if role == "patient" else None))
    assert home_link(body(client.get("/p/appointments/not-a-booking/"))) == home


@pytest.mark.django_db
def test_a_permission_refusal_gets_the_branded_403(rf: RequestFactory):
    request = rf.get("/somewhere/")
    request.user = make_user("dr_403", "doctor")
    response = views.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert 'data-code="core.forbidden"' in body(response) and home_link(body(response)) == "/staff/"


def test_the_500_page_is_branded_and_touches_neither_database_nor_session(rf):
    response = views.server_error(rf.get("/"))  # no django_db mark: any query would raise here
    assert response.status_code == 500
    html = body(response)
    assert 'data-code="core.server_error"' in html and home_link(html) == "/"
    assert "set_language" not in html and "/i18n/setlang/" not in html  # no CSRF token to post it with


def test_django_uses_these_handlers():
    assert (urls.handler403, urls.handler404, urls.handler500) == (
        "ihospital.web.views.permission_denied",
        "ihospital.web.views.page_not_found",
        "ihospital.web.views.server_error",
    )


@pytest.mark.django_db
def test_a_favicon_is_linked_and_served_also_at_the_root(client):
    html = body(client.get("/"))
    assert 'rel="icon" href="/static/web/favicon.svg"' in html
    moved = client.get("/favicon.ico")
    assert moved.status_code == 301 and moved["Location"] == "/static/web/favicon.ico"
    icon = client.get(moved["Location"])
    assert icon.status_code == 200 and b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"


@pytest.mark.django_db
def test_a_refused_form_gets_the_branded_403_not_djangos_csrf_page():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/p/sign-in/", {"phone": "13800000001"})
    assert response.status_code == 403
    html = body(response)
    assert 'data-code="core.csrf_failed"' in html and 'data-testid="error-home"' in html
    assert "<style" not in html  # Django's own page styles itself inline, which the CSP blocks
    assert "表单已过期" in html
