"""Who may call what, for every route of the site.

Every API route, found by walking the OpenAPI documents, refuses anonymous, wrong-role and wrong-owner
callers, and the owner's call succeeds. Routes added later are covered without touching this file — unless
they are public or take a new kind of path parameter, which must then be declared here on purpose.

Every other URL, found by walking the URLconf, must be classified in tests/authorization/pages.py, which
says what is checked for each kind; Django's admin site sends everyone but back-office staff to its sign-in.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import ERROR, get_messages
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from config.api import patient_api, staff_api
from ihospital.accounts import services
from ihospital.appointments.tests.factories import resident_id
from ihospital.audit.services import Actor
from ihospital.core.testing.personas import make_user
from tests.authorization import world
from tests.authorization.pages import CLINICAL, PAGES, PATIENT, PERSONA_OF, ROLE_OF, Call, Page
from tests.authorization.world import World

APIS = {"patient": ("/api/patient/v1", patient_api), "staff": ("/api/staff/v1", staff_api)}
AUDIENCE_ROLES = {"patient": {"patient"}, "staff": {"doctor", "pharmacist", "nurse"}}
ALL_ROLES = {"patient", "doctor", "pharmacist", "nurse", "hospital_admin", "security_admin", "auditor"}

# Routes anyone may call (signing in). Any other route without auth fails test_only_declared_routes_are_public.
PUBLIC = {
    ("patient", "POST", "/auth/sms-code"),
    ("patient", "POST", "/auth/token"),
    ("patient", "GET", "/auth/privacy-notice"),
    ("staff", "POST", "/auth/token"),
}


MULTIPART: set[tuple[str, str]] = set()  # (method, path) of operations taking file uploads
BODIES: dict[tuple[str, str], dict] = {}  # (method, path) → a minimal valid JSON body


def _sample(schema: dict, components: dict) -> object:
    """A minimal value that passes validation, so callers reach the authorisation check behind it."""
    if "$ref" in schema:
        return _sample(components[schema["$ref"].rsplit("/", 1)[1]], components)
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _sample(props[name], components) for name in schema.get("required", [])}
    samples = {"boolean": True, "integer": 1, "number": 1, "array": []}
    if kind in samples:
        return samples[kind]
    return {"uuid": str(uuid.uuid4()), "date": "2020-01-01", "date-time": "2020-01-01T00:00:00Z"}.get(
        fmt, "sample text"
    )


def discover() -> list[tuple[str, str, str, bool]]:
    routes = []
    for audience, (_prefix, api) in APIS.items():
        schema = api.get_openapi_schema(path_prefix="")
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                content = operation.get("requestBody", {}).get("content", {})
                if "multipart/form-data" in content:
                    MULTIPART.add((method.upper(), path))
                if "application/json" in content:
                    components = schema.get("components", {}).get("schemas", {})
                    BODIES[(method.upper(), path)] = _sample(content["application/json"]["schema"], components)
                routes.append((audience, method.upper(), path, bool(operation.get("security"))))
    return routes


ROUTES = discover()
# Bodies that must carry the object's own data for the owner's call to succeed: the name correction proves
# the ID number of world.visit_person (factories.resident_id(77)).
BODIES[("POST", "/visit-persons/{person_id}/name")] = {"name": "病人", "id_number": resident_id(77)}
PROTECTED = [(a, m, p) for a, m, p, secured in ROUTES if secured]


def test_the_matrix_sees_the_routes():
    assert len(PROTECTED) >= 8, PROTECTED  # guards against the discovery silently finding nothing


def test_only_declared_routes_are_public():
    assert {(a, m, p) for a, m, p, secured in ROUTES if not secured} == PUBLIC


def _url(audience: str, path: str, params: dict[str, str] | None = None) -> str:
    params = params or {}
    return APIS[audience][0] + re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), str(uuid.uuid4())), path)


PDF = world.pdf()  # a one-page PDF as a real writer makes it: uploads are parsed, a sketch of one is refused


def _call(client: Client, method: str, url: str, **headers):
    path = "/" + url.split("/v1/", 1)[1]
    if any(m == method and re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", p), path) for m, p in MULTIPART):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(url, {"file": SimpleUploadedFile("r.pdf", PDF)}, headers=headers)
    body = next(
        (b for (m, p), b in BODIES.items() if m == method and re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", p), path)), {}
    )
    return client.generic(method, url, data=json.dumps(body), content_type="application/json", headers=headers)


def _token_for(role: str) -> str:
    phone = f"1370000{abs(hash(role)) % 10000:04d}" if role == "patient" else None
    user = make_user(f"matrix_{role}", role, phone=phone)
    secret, _ = services.api_token_issue(user=user, actor=Actor.system())
    return secret


@pytest.mark.django_db
@pytest.mark.parametrize(("audience", "method", "path"), PROTECTED)
def test_anonymous_callers_are_refused(audience, method, path):
    response = _call(Client(), method, _url(audience, path))
    assert response.status_code == 401, (method, path)
    assert response.json()["code"] == "core.not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(("audience", "method", "path"), PROTECTED)
def test_wrong_role_callers_are_refused_by_token_and_by_session(audience, method, path):
    for role in sorted(ALL_ROLES - AUDIENCE_ROLES[audience]):
        token = _token_for(role)
        by_token = _call(Client(), method, _url(audience, path), Authorization=f"Bearer {token}")
        session = Client()
        session.force_login(make_user(f"session_{role}", role, phone="13600000000" if role == "patient" else None))
        by_session = _call(session, method, _url(audience, path))
        assert (by_token.status_code, by_session.status_code) == (401, 401), (role, method, path)


@pytest.mark.django_db
@pytest.mark.parametrize(("audience", "method", "path"), PROTECTED)
def test_invalid_expired_and_revoked_tokens_are_refused(audience, method, path):
    from ihospital.accounts.models import ApiToken
    from ihospital.core.time import now

    role = sorted(AUDIENCE_ROLES[audience])[0]
    token = _token_for(role)
    url = _url(audience, path)
    assert _call(Client(), method, url, Authorization="Bearer not-a-token").status_code == 401
    ApiToken.objects.update(expires_at=now())
    assert _call(Client(), method, url, Authorization=f"Bearer {token}").status_code == 401
    ApiToken.objects.update(expires_at=now().replace(year=now().year + 1), revoked_at=now())
    assert _call(Client(), method, url, Authorization=f"Bearer {token}").status_code == 401


# One builder per kind of path parameter. OWNED: the object belongs to the audience's owner (alice's
# booking; dr_bob's session) and the other persona of the same role must get "not found". SHARED: the
# hospital's catalogue, readable by every caller of the audience.
OWNED: dict[str, Callable[[World], object]] = {
    "person_id": lambda w: world.visit_person(w).public_id,
    "appointment_id": lambda w: world.pending(w).public_id,
    "attachment_id": lambda w: world.attachment(w).public_id,
    "consultation_id": lambda w: world.checked_in(w, confirmed=False).public_id,
}
SHARED: dict[str, Callable[[World], object]] = {
    "department_id": lambda w: world.department(w).public_id,
    "doctor_id": lambda w: world.doctor_profile(w).public_id,
    # Any clinical member of staff may check any signature (it shows signer, certificate, time and digest,
    # not the document; the patient's PDF will carry the same facts on a QR code).
    "signature_id": lambda w: world.signature(w).public_id,
}
# Operations that act on an object in another state than the builder's above: what they need for the
# owner's call to succeed.
READY: dict[tuple[str, str, str], Callable[[World], object]] = {
    ("patient", "POST", "/appointments/{appointment_id}/check-in"): lambda w: world.accepted(w).public_id,
    ("patient", "POST", "/consultations/{consultation_id}/answer"): lambda w: world.calling(w).public_id,
    ("patient", "POST", "/consultations/{consultation_id}/messages"): lambda w: world.in_progress(w).public_id,
    ("staff", "POST", "/appointments/{appointment_id}/accept"): lambda w: world.requested(w).public_id,
    ("staff", "POST", "/appointments/{appointment_id}/reject"): lambda w: world.requested(w).public_id,
    ("staff", "POST", "/consultations/{consultation_id}/call"): lambda w: world.checked_in(w).public_id,
    ("staff", "POST", "/consultations/{consultation_id}/complete"): lambda w: world.in_progress(w).public_id,
    ("staff", "POST", "/consultations/{consultation_id}/refer"): lambda w: world.in_progress(w).public_id,
    ("staff", "POST", "/consultations/{consultation_id}/messages"): lambda w: world.in_progress(w).public_id,
}
PARAMETERISED = [(a, m, p) for a, m, p in PROTECTED if "{" in p]


def test_every_path_parameter_is_declared_owned_or_shared():
    names = {name for _, _, path in PARAMETERISED for name in re.findall(r"\{(\w+)\}", path)}
    assert names <= set(OWNED) | set(SHARED), f"declare owned/shared for: {names - set(OWNED) - set(SHARED)}"


OWNED_ROUTES = [(a, m, p) for a, m, p in PARAMETERISED if set(re.findall(r"\{(\w+)\}", p)) & set(OWNED)]


def test_every_operation_made_ready_exists():
    assert set(READY) <= set(OWNED_ROUTES)


def _params(w: World, route: tuple[str, str, str]) -> dict[str, str]:
    names = re.findall(r"\{(\w+)\}", route[2])
    if route in READY:
        (name,) = names
        return {name: str(READY[route](w))}
    return {name: str({**OWNED, **SHARED}[name](w)) for name in names}


@pytest.mark.django_db
@pytest.mark.parametrize(("audience", "method", "path"), OWNED_ROUTES)
def test_wrong_owner_gets_not_found_and_the_owner_succeeds(audience, method, path, request):
    w = World(request)
    url = _url(audience, path, _params(w, (audience, method, path)))
    owner, intruder = (w.alice, w.mallory) if audience == "patient" else (w.dr_bob, w.dr_erin)
    refused = _call(_signed_in(intruder), method, url)
    assert refused.status_code == 404 and refused.json()["code"] == "core.not_found", (method, path)
    answered = _call(_signed_in(owner), method, url)
    answered.close()  # a file response holds its file open
    assert 200 <= answered.status_code < 300, (method, path, answered.status_code, getattr(answered, "content", b""))


# =====================================================================================================
# Every other URL of the site: pages, file downloads, uploads, recordings, sandboxes (classified in
# tests/authorization/pages.py), and Django's admin site.


def _walk(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> Iterator[tuple]:
    """(route, name, is_regex) of every URL pattern, includes followed."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        else:
            name = ":".join(filter(None, [namespace, entry.name])) if entry.name else None
            yield prefix + str(entry.pattern), name, isinstance(entry.pattern, RegexPattern)


URLS = list(_walk())
PATIENT_SIGN_IN, STAFF_SIGN_IN = "/p/sign-in/", "/staff/sign-in/"
ADMIN = "admin/"  # Django's admin site: its own sign-in; core.admin_roles gives each model to its roles
API_PREFIXES = {f"{prefix.lstrip('/')}/": audience for audience, (prefix, _api) in APIS.items()}
API_DOCUMENTS = ("openapi.json", "docs")  # each API's OpenAPI schema and its docs page: public
API_ROOT = ""  # django-ninja's root, there to name the others: always 404
SITE = {route: name for route, name, _regex in URLS if not route.startswith((ADMIN, *API_PREFIXES))}


def _page_url(route: str, kwargs: dict) -> str:
    """The route with its parameters filled in: from ``kwargs``, else a value nobody owns."""

    def value(match: re.Match) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if name in kwargs:
            return str(kwargs[name])
        return {"int": "0", "slug": "x", "str": "x", "path": "1"}.get(converter, str(uuid.uuid4()))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _send(client: Client, page: Page, url: str, data: dict | bytes | None = None):
    if page.method == "GET":
        return client.get(url)
    if isinstance(data, bytes):
        return client.post(url, data=data, content_type="application/octet-stream")
    return client.post(url, data or {})


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _stranger(role: str):
    return make_user(f"other_{role}", role, phone="13600000009" if role == "patient" else None)


def _assert_succeeded(response, call: Call, what) -> None:
    errors = [str(m) for m in get_messages(response.wsgi_request) if m.level >= ERROR]
    response.close()  # a file response holds its file open
    assert (response.status_code, errors) == (call.status, []), what
    if 300 <= call.status < 400:
        assert urlsplit(response["Location"]).path.startswith(call.to), (what, response["Location"])


def test_every_url_is_classified():
    """A new page, file or sandbox route needs its line in PAGES: who may open it, and what it owns."""
    assert {route: page.name for route, page in PAGES.items()} == SITE


def test_every_api_url_is_an_operation_of_the_api_matrix_or_its_documents():
    operations = {(audience, path.lstrip("/")) for audience, _method, path, _secured in ROUTES}
    for route, _name, _regex in URLS:
        prefix = next((p for p in API_PREFIXES if route.startswith(p)), None)
        if prefix is not None:
            tail = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route[len(prefix) :])
            assert tail in (*API_DOCUMENTS, API_ROOT) or (API_PREFIXES[prefix], tail) in operations, route


API_DOCUMENT_ROUTES = sorted(r for r, _n, _x in URLS if r.startswith(tuple(API_PREFIXES)) and r.endswith(API_DOCUMENTS))


@pytest.mark.django_db
@pytest.mark.parametrize("route", API_DOCUMENT_ROUTES)
def test_the_api_documents_are_public(route):
    assert Client().get(f"/{route}").status_code == 200


ROLE_PAGES = sorted(route for route, page in PAGES.items() if page.roles)
OPEN_PAGES = sorted(route for route, page in PAGES.items() if not (page.roles or page.gate or page.refused))
MACHINE_PAGES = sorted(route for route, page in PAGES.items() if page.refused and not page.gate)
GATED_PAGES = sorted(route for route, page in PAGES.items() if page.gate)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROLE_PAGES)
def test_anonymous_callers_are_sent_to_sign_in(route):
    page = PAGES[route]
    response = _send(Client(), page, _page_url(route, {}))
    sign_in = PATIENT_SIGN_IN if page.roles == PATIENT else STAFF_SIGN_IN
    assert response.status_code == 302 and response["Location"].startswith(f"{sign_in}?next="), route


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROLE_PAGES)
def test_other_roles_are_refused(route):
    """Pharmacists and nurses on doctors' pages, doctors on patients' pages, patients on staff pages…"""
    page = PAGES[route]
    url = _page_url(route, {})
    refused = {role: _send(_signed_in(_stranger(role)), page, url).status_code for role in ALL_ROLES - page.roles}
    assert refused == dict.fromkeys(refused, 403), route


OWNER_CALLS = [
    (route, persona)
    for route, page in sorted(PAGES.items())
    if page.roles
    for persona in page.owners or [PERSONA_OF[role] for role in sorted(page.roles)]
]
INTRUDER_CALLS = [(route, persona) for route, page in sorted(PAGES.items()) for persona in page.intruders]


def test_owners_and_intruders_are_of_an_admitted_role():
    for route, persona in OWNER_CALLS + INTRUDER_CALLS:
        assert ROLE_OF[persona] in PAGES[route].roles, (route, persona)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "persona"), OWNER_CALLS)
def test_the_owner_succeeds(route, persona, request):
    page, world = PAGES[route], World(request)
    call = page.setup(world)
    response = _send(_signed_in(getattr(world, persona)), page, _page_url(route, call.kwargs), call.data)
    _assert_succeeded(response, call, (route, persona))


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "persona"), INTRUDER_CALLS)
def test_someone_elses_objects_are_not_found(route, persona, request):
    page, world = PAGES[route], World(request)
    call = page.setup(world)
    response = _send(_signed_in(getattr(world, persona)), page, _page_url(route, call.kwargs), call.data)
    assert response.status_code == 404, (route, persona)


@pytest.mark.django_db
@pytest.mark.parametrize("route", OPEN_PAGES)
def test_open_pages_answer_anyone(route, request):
    page = PAGES[route]
    call = page.setup(World(request))
    _assert_succeeded(_send(Client(), page, _page_url(route, call.kwargs), call.data), call, route)


@pytest.mark.django_db
@pytest.mark.parametrize("route", MACHINE_PAGES)
def test_routes_for_machines_refuse_anonymous_callers(route, request):
    """A payment notification without the provider's signature is refused."""
    page = PAGES[route]
    call = page.setup(World(request))
    assert _send(Client(), page, _page_url(route, call.kwargs), call.data).status_code == page.refused, route


class RealPayProvider:
    """Stands for a real payment provider: while one takes the money, no sandbox cashier exists."""

    name = "real"


GATES = {  # gate → its setting, the value that turns the route on, the value that turns it off
    "DEV_INBOX_ENABLED": ("DEV_INBOX_ENABLED", True, False),
    "CLOUD_VIDEO": ("CLOUD_VIDEO_SANDBOX_ENABLED", True, False),
    "PAYMENT_PROVIDER": (
        "PAYMENT_PROVIDER",
        "ihospital.integrations.payproviders.sandbox.provider.SandboxPayProvider",
        f"{__name__}.RealPayProvider",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("route", GATED_PAGES)
def test_dev_and_sandbox_routes_are_not_found_when_off(route, settings, request):
    page = PAGES[route]
    setting, _on, off = GATES[page.gate]
    call = page.setup(World(request))
    setattr(settings, setting, off)
    url = _page_url(route, call.kwargs)
    callers = (Client(), _signed_in(_stranger("auditor")))
    assert {_send(client, page, url, call.data).status_code for client in callers} == {404}, route


@pytest.mark.django_db
@pytest.mark.parametrize("route", GATED_PAGES)
def test_dev_and_sandbox_routes_answer_when_on(route, settings, request):
    page = PAGES[route]
    setting, on, _off = GATES[page.gate]
    setattr(settings, setting, on)
    call = page.setup(World(request))
    response = _send(Client(), page, _page_url(route, call.kwargs), call.data)
    if page.refused:  # a sandbox API: its callers show its Bearer token, not a session
        assert response.status_code == page.refused, route
    else:
        _assert_succeeded(response, call, route)


ADMIN_PUBLIC = {"admin/login/", "admin/logout/"}
ADMIN_REGEX_SAMPLES = {"admin:app_list": "/admin/accounts/", None: "/admin/no-such-page/"}
ADMIN_ROUTES = sorted((r, n, x) for r, n, x in URLS if r.startswith(ADMIN) and r not in ADMIN_PUBLIC)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name", "regex"), ADMIN_ROUTES, ids=[r for r, _n, _x in ADMIN_ROUTES])
def test_the_back_office_sends_all_but_back_office_staff_to_its_sign_in(route, name, regex):
    url = ADMIN_REGEX_SAMPLES[name] if regex else _page_url(route, {})
    callers = {"anonymous": Client()} | {role: _signed_in(_stranger(role)) for role in ("patient", *sorted(CLINICAL))}
    for who, client in callers.items():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), (route, who)
