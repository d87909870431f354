"""Sessions (issue 10 point 5): staff are signed out after STAFF_IDLE_TIMEOUT_SECONDS without a request and
everyone after SESSION_ABSOLUTE_SECONDS; a staff member lists their sessions and signs the others out. The
clock is moved, never waited for."""

from django.test import Client

from ihospital.accounts.models import UserSession
from ihospital.accounts.tests.totp import code, enrol
from ihospital.audit.models import AuditEvent
from ihospital.core.testing.personas import PASSWORD


def signed_in_staff(user, *, steps_ahead: int = 0) -> Client:
    """Through the real sign-in pages (so the session is recorded), password then authenticator code."""
    client = Client(HTTP_USER_AGENT=f"browser {steps_ahead}")
    client.post("/staff/sign-in/", {"username": user.username, "password": PASSWORD})
    client.post("/staff/sign-in/verify/", {"code": code(user, steps_ahead=steps_ahead)})
    assert client.session.get("_auth_user_id") == str(user.pk)
    return client


def test_staff_are_signed_out_after_the_idle_timeout_and_it_is_audited(dr_bob, clock, settings):
    enrol(dr_bob)
    client = signed_in_staff(dr_bob)
    clock.move(seconds=settings.STAFF_IDLE_TIMEOUT_SECONDS - 60)
    assert client.get("/staff/").status_code == 200  # activity keeps it alive
    clock.move(seconds=settings.STAFF_IDLE_TIMEOUT_SECONDS - 60)
    assert client.get("/staff/").status_code == 200
    clock.move(seconds=settings.STAFF_IDLE_TIMEOUT_SECONDS + 1)
    response = client.get("/staff/")
    assert response.status_code == 302 and response.url.startswith("/staff/sign-in/")
    assert "_auth_user_id" not in client.session
    entry = AuditEvent.objects.get(action="account.session_expired")
    assert entry.details == {"reason": "idle"} and entry.actor_name == "dr_bob"
    assert UserSession.objects.get(user=dr_bob).end_reason == "idle"


def test_every_session_ends_at_its_absolute_age_however_active(dr_bob, alice, clock, settings):
    settings.SESSION_ABSOLUTE_SECONDS = 60 * 60
    enrol(dr_bob)
    staff = signed_in_staff(dr_bob)
    patient = Client()
    patient.force_login(alice)
    for _ in range(6):
        clock.move(minutes=10)
        assert staff.get("/staff/").status_code == 200
        assert patient.get("/p/").status_code == 200
    clock.move(minutes=10, seconds=1)
    assert staff.get("/staff/").status_code == 302
    assert patient.get("/p/").status_code == 302
    reasons = AuditEvent.objects.filter(action="account.session_expired").values_list("details", flat=True)
    assert list(reasons) == [{"reason": "absolute"}, {"reason": "absolute"}]


def test_patients_have_no_fifteen_minute_idle_timeout(alice, clock, settings):
    patient = Client()
    patient.force_login(alice)
    patient.get("/p/")
    clock.move(seconds=settings.STAFF_IDLE_TIMEOUT_SECONDS + 60)
    assert patient.get("/p/").status_code == 200


def test_a_staff_member_sees_their_sessions_and_signs_the_others_out(dr_bob, dr_erin):
    enrol(dr_bob)
    enrol(dr_erin)
    here = signed_in_staff(dr_bob)
    there = signed_in_staff(dr_bob, steps_ahead=1)
    erin = signed_in_staff(dr_erin)
    page = here.get("/staff/sessions/").content.decode()
    assert page.count('data-testid="session"') == 2 and page.count('data-testid="this-session"') == 1
    assert "browser 0" in page and "browser 1" in page

    assert here.post("/staff/sessions/").status_code == 302
    assert there.get("/staff/").status_code == 302  # signed out
    assert here.get("/staff/").status_code == 200 and erin.get("/staff/").status_code == 200
    assert here.get("/staff/sessions/").content.decode().count('data-testid="session"') == 1
    entry = AuditEvent.objects.get(action="account.sessions_end_others")
    assert entry.details == {"count": 1} and entry.actor_name == "dr_bob"


def test_signing_out_ends_the_recorded_session(nina):
    client = Client()
    client.post("/staff/sign-in/", {"username": "nina", "password": PASSWORD})
    client.post("/sign-out/")
    assert UserSession.objects.get(user=nina).end_reason == "signed_out"
    assert AuditEvent.objects.filter(action="account.sign_out", actor_name="nina").exists()
