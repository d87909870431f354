"""ihospital.core.web: who may open a page (role_required), a refusal on a form (attach_error), and the
page a DomainError leaving an HTML view becomes (DomainErrorMiddleware).

Core imports no app, so the real pages are reached by URL only; this module is also a URLconf that adds
views raising each kind of error to the project's own routes (included by name)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django import forms
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path, resolve, reverse

from ihospital.core.errors import CoreError, DomainError, ErrorCode
from ihospital.core.web import DomainErrorMiddleware, attach_error, role_required, sign_in_url

CONFLICT = CoreError.ILLEGAL_TRANSITION  # 409, with a %(current)s placeholder
BAD = ErrorCode("test.bad", "Bad request.", status=400)
RAISED = {
    "not_found": DomainError(CoreError.NOT_FOUND),
    "forbidden": DomainError(CoreError.FORBIDDEN),
    "conflict": DomainError(CONFLICT, current="paid"),
    "invalid": DomainError(CoreError.INVALID_REQUEST),
    "bad": DomainError(BAD),
}


def raising_view(request, which: str):
    raise RAISED[which]


def ok_view(request):
    return HttpResponse("ok")


urlpatterns = [
    path("__test__/raise/<str:which>/", raising_view),
    path("__test__/patients/", role_required("patient")(ok_view)),
    path("", include("config.urls")),
]

TEST_URLS = pytest.mark.urls(__name__)


def signed_in(user, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    if user is not None:
        client.force_login(user)
    return client


# --- role_required ------------------------------------------------------------------------------------


def _guarded(user, *roles: str, **options):
    request = RequestFactory().get("/somewhere/?tab=1")
    request.user = user
    return role_required(*roles, **options)(ok_view)(request)


@pytest.mark.parametrize(
    ("roles", "options", "sign_in"),
    [
        (("patient",), {}, "/p/sign-in/"),
        (("doctor",), {}, "/staff/sign-in/"),
        (("doctor", "pharmacist", "nurse", "auditor"), {}, "/staff/sign-in/"),
        (("patient", "doctor"), {}, "/staff/sign-in/"),  # open to both: the staff sign-in (LOGIN_URL)
        (("doctor",), {"login_url": "accounts:patient_sign_in"}, "/p/sign-in/"),
    ],
)
def test_anonymous_visitors_go_to_the_sign_in_page_of_the_roles_and_come_back(db, roles, options, sign_in):
    from django.contrib.auth.models import AnonymousUser

    response = _guarded(AnonymousUser(), *roles, **options)
    assert response.status_code == 302
    assert response.url == f"{sign_in}?next={quote('/somewhere/?tab=1', safe='/')}"


def test_the_sign_in_page_of_a_role_is_a_setting(settings):
    settings.ROLE_LOGIN_URLS = {"patient": "/p/sign-in/", "auditor": "/audit/sign-in/"}
    assert sign_in_url({"auditor"}) == "/audit/sign-in/"
    assert sign_in_url({"doctor"}) == "/staff/sign-in/"


def test_the_roles_it_names_are_let_in(alice, dr_bob, auditor):
    assert _guarded(alice, "patient").content == b"ok"
    assert _guarded(dr_bob, "doctor", "auditor").content == b"ok"
    assert _guarded(auditor, "doctor", "auditor").content == b"ok"


def test_a_signed_in_user_of_another_role_gets_403_and_a_way_to_sign_in_as_someone_else(alice, dr_bob):
    refused = _guarded(alice, "doctor")
    assert refused.status_code == 403
    body = refused.content.decode()
    assert 'href="/staff/sign-in/?next=/somewhere/%3Ftab%3D1"' in body
    assert "您无权执行此操作。" in body  # zh-Hans: the default language
    assert _guarded(dr_bob, "patient").status_code == 403


def test_a_role_is_required():
    with pytest.raises(TypeError):
        role_required()


@pytest.mark.parametrize(
    ("url_name", "sign_in", "wrong_role"),
    [
        ("appointments:mine", "/p/sign-in/", "dr_bob"),
        ("notifications:patient_messages", "/p/sign-in/", "dr_bob"),
        ("appointments:review_queue", "/staff/sign-in/", "alice"),
        ("consultations:desk", "/staff/sign-in/", "carol"),
        ("notifications:staff_messages", "/staff/sign-in/", "alice"),
        ("consultations:audit_list", "/staff/sign-in/", "dr_bob"),
        ("web:staff_home", "/staff/sign-in/", "alice"),
        ("payments:receipts", "/p/sign-in/", "auditor"),
        ("accounts:staff_security", "/staff/sign-in/", "mallory"),
        ("accounts:confirm_identity", "/staff/sign-in/", "admin"),
    ],
)
def test_every_page_uses_it(request, url_name, sign_in, wrong_role):
    url = reverse(url_name)
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(f"{sign_in}?next=")
    refused = signed_in(request.getfixturevalue(wrong_role)).get(url)
    assert refused.status_code == 403
    assert "You are not allowed to do this." in refused.content.decode()


# --- attach_error --------------------------------------------------------------------------------------


class PhoneForm(forms.Form):
    phone = forms.CharField(required=False)


def test_attach_error_puts_named_fields_on_the_field_and_the_rest_on_top():
    named = PhoneForm({})
    attach_error(named, DomainError(BAD, fields={"phone": "Enter a mobile number.", "elsewhere": "x"}))
    assert named.errors == {"phone": ["Enter a mobile number."]}
    unnamed = PhoneForm({})
    attach_error(unnamed, DomainError(BAD, fields={"elsewhere": "x"}))
    assert unnamed.non_field_errors() == ["Bad request."]


# --- the error page ------------------------------------------------------------------------------------


@TEST_URLS
@pytest.mark.parametrize(
    ("which", "status", "english", "chinese"),
    [
        ("not_found", 404, "Not found.", "未找到相关内容。"),
        ("forbidden", 403, "You are not allowed to do this.", "您无权执行此操作。"),
        (
            "conflict",
            409,
            "This action is not possible in the current state (paid).",
            "当前状态（paid）下无法执行此操作。",
        ),
        ("invalid", 422, "Some fields are missing or invalid.", "部分信息缺失或填写有误。"),
        ("bad", 400, "Bad request.", "Bad request."),
    ],
)
def test_a_domain_error_leaving_a_page_becomes_the_page_for_its_status(alice, which, status, english, chinese):
    url = f"/__test__/raise/{which}/"
    for language, message in (("zh-hans", chinese), ("en", english)):
        response = signed_in(alice, language).get(url)
        assert response.status_code == status
        assert response.templates[0].name == "web/error.html"
        body = response.content.decode()
        assert f'data-code="{RAISED[which].code}">{message}</div>' in body, language


@TEST_URLS
def test_the_default_language_is_chinese(db):
    assert "未找到相关内容。" in Client().get("/__test__/raise/not_found/").content.decode()


@TEST_URLS
def test_a_test_url_guarded_for_patients_answers_through_the_middleware(alice, dr_bob):
    assert signed_in(alice).get("/__test__/patients/").content == b"ok"
    assert signed_in(dr_bob).get("/__test__/patients/").status_code == 403


def test_api_views_keep_their_own_handler(rf):
    """django-ninja renders its DomainErrors as JSON itself; should one ever escape, it is not turned
    into an HTML page here."""
    request = rf.get("/api/patient/v1/appointments")
    request.resolver_match = resolve("/api/patient/v1/appointments")
    middleware = DomainErrorMiddleware(lambda request: HttpResponse())
    assert middleware.process_exception(request, DomainError(CoreError.NOT_FOUND)) is None
    assert middleware.process_exception(request, ValueError("not ours")) is None


def test_api_refusals_stay_json(alice):
    response = signed_in(alice).get("/api/patient/v1/appointments/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json() == {"code": "core.not_found", "message": "Not found.", "fields": {}}


def test_another_patients_visit_person_page_is_still_404(alice, mallory):
    """visit_person_edit used to catch the selector's DomainError itself; the middleware answers now."""
    owner = signed_in(alice)
    owner.post(
        "/p/visit-persons/new/",
        {"relationship": "self", "name": "艾丽斯", "id_number": "11010519491231002X", "phone": "13800000001"},
    )
    edit_url = re.search(r'href="(/p/visit-persons/[0-9a-f-]{36}/)"', owner.get("/p/").content.decode()).group(1)
    assert owner.get(edit_url).status_code == 200
    for language, message in (("en", "Not found."), ("zh-hans", "未找到相关内容。")):
        refused = signed_in(mallory, language).get(edit_url)
        assert refused.status_code == 404
        assert message in refused.content.decode()
