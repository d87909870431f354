"""Every API route, found by walking the OpenAPI documents, refuses anonymous, wrong-role and wrong-owner
callers. Routes added later are covered without touching this file — unless they are public or take a new
kind of path parameter, which must then be declared here on purpose."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable

import pikepdf
import pytest
from django.test import Client

from config.api import patient_api, staff_api
from ihospital.accounts import services
from ihospital.audit.services import Actor
from ihospital.core.testing.personas import make_user

APIS = {"patient": ("/api/patient/v1", patient_api), "staff": ("/api/staff/v1", staff_api)}
AUDIENCE_ROLES = {"patient": {"patient"}, "staff": {"doctor", "pharmacist", "nurse"}}
ALL_ROLES = {"patient", "doctor", "pharmacist", "nurse", "hospital_admin", "security_admin", "auditor"}

# Routes anyone may call (signing in). Any other route without auth fails test_only_declared_routes_are_public.
PUBLIC = {
    ("patient", "POST", "/auth/sms-code"),
    ("patient", "POST", "/auth/token"),
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
PROTECTED = [(a, m, p) for a, m, p, secured in ROUTES if secured]


def test_the_matrix_sees_the_routes():
    assert len(PROTECTED) >= 8, PROTECTED  # guards against the discovery silently finding nothing


def test_only_declared_routes_are_public():
    assert {(a, m, p) for a, m, p, secured in ROUTES if not secured} == PUBLIC


def _url(audience: str, path: str, params: dict[str, str] | None = None) -> str:
    params = params or {}
    return APIS[audience][0] + re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), str(uuid.uuid4())), path)


def _blank_pdf() -> bytes:
    """A one-page PDF as a real writer makes it: uploads are parsed, so a sketch of one is refused."""
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out)
    return out.getvalue()


PDF = _blank_pdf()


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


def _visit_person(owner) -> str:
    from ihospital.appointments.tests.factories import visit_person

    return str(visit_person(owner, 77).public_id)


def _appointment(owner, doctor):
    from ihospital.appointments.services import appointment_book
    from ihospital.appointments.tests.factories import booking, online_schedule, visit_person

    return appointment_book(
        account=owner, data=booking(visit_person(owner, 78), online_schedule(doctor)), actor=Actor.system()
    )


def _appointment_id(owner, doctor) -> str:
    return str(_appointment(owner, doctor).public_id)


def _attachment_id(owner, doctor) -> str:
    from ihospital.appointments.services import appointment_attach

    attachment = appointment_attach(
        appointment=_appointment(owner, doctor), name="r.pdf", data=PDF, actor=Actor.system()
    )
    return str(attachment.public_id)


def _consultation_id(owner, doctor) -> str:
    """A checked-in consultation (written directly: check-in's time window is tested in its own app)."""
    import secrets

    from ihospital.appointments.models import Appointment
    from ihospital.consultations.models import Consultation
    from ihospital.core.time import now

    appointment = _appointment(owner, doctor)
    Appointment.objects.filter(pk=appointment.pk).update(status="waiting")
    consultation = Consultation.objects.create(
        appointment=appointment, doctor=doctor, patient=owner, queue_token=secrets.token_hex(6), checked_in_at=now()
    )
    return str(consultation.public_id)


def _department_id(owner, doctor) -> str:
    from ihospital.appointments.tests.factories import department

    return str(department().public_id)


def _doctor_id(owner, doctor) -> str:
    from ihospital.appointments.tests.factories import doctor_profile

    return str(doctor_profile(doctor).public_id)


# One factory per kind of path parameter. OWNED: the object belongs to the audience's owner (alice's
# booking; dr_bob's session) and the other persona of the same role must get "not found". SHARED: the
# hospital's catalogue, readable by every caller of the audience.
OWNED: dict[str, Callable] = {
    "person_id": lambda owner, doctor: _visit_person(owner),
    "appointment_id": _appointment_id,
    "attachment_id": _attachment_id,
    "consultation_id": _consultation_id,
}
SHARED: dict[str, Callable] = {"department_id": _department_id, "doctor_id": _doctor_id}
PARAMETERISED = [(a, m, p) for a, m, p in PROTECTED if "{" in p]


def test_every_path_parameter_is_declared_owned_or_shared():
    names = {name for _, _, path in PARAMETERISED for name in re.findall(r"\{(\w+)\}", path)}
    assert names <= set(OWNED) | set(SHARED), f"declare owned/shared for: {names - set(OWNED) - set(SHARED)}"


OWNED_ROUTES = [(a, m, p) for a, m, p in PARAMETERISED if set(re.findall(r"\{(\w+)\}", p)) & set(OWNED)]


@pytest.mark.parametrize(("audience", "method", "path"), OWNED_ROUTES)
def test_wrong_owner_gets_not_found_and_the_owner_does_not(audience, method, path, alice, mallory, dr_bob, dr_erin):
    names = re.findall(r"\{(\w+)\}", path)
    params = {name: {**OWNED, **SHARED}[name](alice, dr_bob) for name in names}
    url = _url(audience, path, params)
    owner, intruder = Client(), Client()
    owner.force_login(alice if audience == "patient" else dr_bob)
    intruder.force_login(mallory if audience == "patient" else dr_erin)
    refused = _call(intruder, method, url)
    assert refused.status_code == 404 and refused.json()["code"] == "core.not_found", (method, path)
    assert _call(owner, method, url).status_code != 404, (method, path)
