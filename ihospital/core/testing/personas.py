"""The test personas (ARCHITECTURE §5), as pytest fixtures.

    alice    patient            mallory  another patient, always refused alice's things
    dr_bob   doctor             dr_erin  another doctor
    carol    pharmacist         nina     nurse
    admin    hospital admin     secadmin security admin     auditor  auditor

Core imports no app: users are made through the configured user model and role strings.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

PASSWORD = "Persona-Pass-2026"


def make_user(username: str, role: str, *, phone: str | None = None, **extra):
    user_model = get_user_model()
    user = user_model(
        username=username,
        role=role,
        phone=phone,
        full_name=extra.pop("full_name", username),
        is_staff=role in {"hospital_admin", "security_admin", "auditor"},
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def alice(db):
    return make_user("alice", "patient", phone="13800000001")


@pytest.fixture
def mallory(db):
    return make_user("mallory", "patient", phone="13800000002")


@pytest.fixture
def dr_bob(db):
    return make_user("dr_bob", "doctor", title="主任医师", practice_certificate_no="110320100000001")


@pytest.fixture
def dr_erin(db):
    return make_user("dr_erin", "doctor", title="副主任医师", practice_certificate_no="110320100000002")


@pytest.fixture
def carol(db):
    return make_user("carol", "pharmacist", practice_certificate_no="110320100000100")


@pytest.fixture
def nina(db):
    return make_user("nina", "nurse", practice_certificate_no="110320100000103")


@pytest.fixture
def admin(db):
    return make_user("admin", "hospital_admin")


@pytest.fixture
def secadmin(db):
    return make_user("secadmin", "security_admin")


@pytest.fixture
def auditor(db):
    return make_user("auditor", "auditor")
