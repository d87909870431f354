"""Every API route, found by walking the OpenAPI documents, refuses anonymous, wrong-role and wrong-owner
callers. Routes added later are covered without touching this file — unless they are public or take a new
kind of path parameter, which must then be declared here on purpose."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

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


def discover() -> list[tuple[str, str, str, bool]]:
    routes = []
    for audience, (_prefix, api) in APIS.items():
        schema = api.get_openapi_schema(path_prefix="")
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
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


def _call(client: Client, method: str, url: str, **headers):
    return client.generic(method, url, data="{}", content_type="application/json", headers=headers)


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


def _alice_visit_person(owner) -> str:
    created = services.visit_person_create(
        account=owner,
        data=services.VisitPersonInput(
            relationship="self", name="艾丽斯", id_number="11010519491231002X", phone="13800000001"
        ),
        actor=Actor.system(),
    )
    return str(created.public_id)


# One factory per kind of path parameter: makes an object owned by alice and returns its public id.
OWNED_BY_ALICE: dict[str, Callable] = {"person_id": _alice_visit_person}
PARAMETERISED = [(a, m, p) for a, m, p in PROTECTED if "{" in p]


def test_every_path_parameter_has_an_owner_factory():
    names = {name for _, _, path in PARAMETERISED for name in re.findall(r"\{(\w+)\}", path)}
    assert names <= set(OWNED_BY_ALICE), f"declare how to create an owned object for: {names - set(OWNED_BY_ALICE)}"


@pytest.mark.parametrize(("audience", "method", "path"), PARAMETERISED)
def test_wrong_owner_gets_not_found_and_the_owner_does_not(audience, method, path, alice, mallory):
    params = {name: OWNED_BY_ALICE[name](alice) for name in re.findall(r"\{(\w+)\}", path)}
    url = _url(audience, path, params)
    owner, intruder = Client(), Client()
    owner.force_login(alice)
    intruder.force_login(mallory)
    refused = _call(intruder, method, url)
    assert refused.status_code == 404 and refused.json()["code"] == "core.not_found"
    assert _call(owner, method, url).status_code != 404
