"""The web shell: language switch, back office by role, developer inbox, demo data."""

import pytest
from django.core.management import call_command
from django.test import Client

from ihospital.accounts.models import User, VisitPerson
from ihospital.audit.models import AuditEvent
from ihospital.scheduling.models import Department, DoctorProfile


def test_chinese_by_default_and_english_on_request(db):
    client = Client()
    assert "互联网医院" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Internet Hospital" in client.get("/").content.decode()


def test_pages_use_only_vendored_assets(db):
    page = Client().get("/p/sign-in/").content.decode()
    assert "/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css" in page
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in page
    assert "https://" not in page and "http://" not in page


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            "hospital_admin",
            ["/admin/scheduling/department/", "/admin/core/outboxmessage/"],
            ["/admin/accounts/user/", "/admin/audit/auditevent/"],
        ),
        ("security_admin", ["/admin/accounts/user/"], ["/admin/audit/auditevent/", "/admin/scheduling/department/"]),
        ("auditor", ["/admin/audit/auditevent/"], ["/admin/accounts/user/", "/admin/core/outboxmessage/"]),
    ],
)
def test_back_office_separates_duties(role, allowed, refused, admin_client_for):
    client = admin_client_for(role)
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in refused:
        assert client.get(path).status_code == 403, path


def test_auditors_cannot_change_the_trail(admin_client_for):
    from ihospital.audit.services import Actor, record

    event = record(actor=Actor.system(), action="x")
    client = admin_client_for("auditor")
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200  # read-only view
    client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "y"})
    client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
    event.refresh_from_db()
    assert event.action == "x"


def test_clinical_staff_and_patients_have_no_back_office(dr_bob, alice):
    for user in (dr_bob, alice):
        client = Client()
        client.force_login(user)
        assert client.get("/admin/").status_code == 302  # sent to the admin sign-in


def test_developer_sms_inbox_only_when_enabled(db, settings):
    from ihospital.integrations.models import SandboxSms

    SandboxSms.objects.create(phone="13800000001", text="code 123456", provider_message_id="a", idempotency_key="a")
    settings.DEV_INBOX_ENABLED = False
    assert Client().get("/dev/sms/").status_code == 404
    settings.DEV_INBOX_ENABLED = True
    assert "code 123456" in Client().get("/dev/sms/").content.decode()


def test_demo_data_loads_idempotently(db, capsys):
    call_command("load_demo")
    counts = (Department.objects.count(), User.objects.count(), VisitPerson.objects.count(), AuditEvent.objects.count())
    call_command("load_demo")
    assert (
        Department.objects.count(),
        User.objects.count(),
        VisitPerson.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    assert counts[0] >= 15
    assert DoctorProfile.objects.count() >= 20
    assert not User.objects.filter(role="doctor", practice_certificate_no="").exists()
    assert set(User.objects.values_list("role", flat=True)) == {
        "patient",
        "doctor",
        "pharmacist",
        "nurse",
        "hospital_admin",
        "security_admin",
        "auditor",
    }
    assert Department.objects.filter(parent__isnull=False).exists()
    printed = capsys.readouterr().out
    for login in ("alice", "mallory", "dr_bob", "dr_erin", "carol", "admin", "auditor", "Demo-Hospital-2026"):
        assert login in printed


def test_the_shipped_symptom_rules_name_exactly_the_demo_departments():
    """The rule table (scheduling/data/symptom_rules.json) and the demo hospital must not drift apart."""
    from ihospital.scheduling.guidance import KNOWN_DEPARTMENT_CODES, load_rules
    from ihospital.web.demo_data import DEPARTMENTS

    demo_codes = {code for code, *_ in DEPARTMENTS}
    assert KNOWN_DEPARTMENT_CODES <= demo_codes
    assert load_rules() is not None


STAFF_ROLES = ["doctor", "pharmacist", "nurse", "hospital_admin", "security_admin", "auditor"]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_the_staff_landing_page_offers_only_what_exists(db, role):
    """Every card leads somewhere that opens for this person: no card describing work not built yet."""
    import re

    from ihospital.core.testing.personas import make_user

    client = Client()
    client.force_login(make_user(f"landing_{role}", role))
    page = client.get("/staff/").content.decode()
    cards = re.findall(r'<div class="card-body">(.*?)</div></div>', page, re.S)
    assert cards
    for card in cards:
        links = re.findall(r'href="([^"]+)"', card)
        assert links, f"a card with nothing to open: {card.strip()[:120]}"
        for link in links:
            assert client.get(link).status_code == 200, link
