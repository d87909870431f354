"""Security administrators manage accounts in the back office; every save goes through a service and leaves
an audit entry with the old and new values (never a password). Staff are deactivated, never deleted."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from ihospital.accounts import services
from ihospital.accounts.backoffice import account_change, account_password_reset
from ihospital.accounts.models import ApiToken, User
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.testing.personas import PASSWORD

NEW_PASSWORD = "Fresh-Hospital-Pass-77"


def change_page(user: User) -> str:
    return f"/admin/accounts/user/{user.pk}/change/"


def posted(user: User, **overrides) -> dict:
    """The change form as the page would post it, with ``overrides``."""
    data = {
        "full_name": user.full_name,
        "role": user.role,
        "title": user.title,
        "practice_certificate_no": user.practice_certificate_no,
        "is_active": "on" if user.is_active else "",
        "_save": "Save",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not False}


def last_entry(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def test_a_title_and_certificate_change_is_saved_through_the_service_with_old_and_new_values(admin_client_for, dr_bob):
    client = admin_client_for("security_admin")
    response = client.post(
        change_page(dr_bob), posted(dr_bob, title="主治医师", practice_certificate_no="110320100009999")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    dr_bob.refresh_from_db()
    assert (dr_bob.title, dr_bob.practice_certificate_no) == ("主治医师", "110320100009999")
    entry = last_entry("account.update")
    assert entry.target_id == str(dr_bob.public_id) and entry.actor_role == "security_admin"
    assert entry.details == {
        "title": ["主任医师", "主治医师"],
        "practice_certificate_no": ["110320100000001", "110320100009999"],
    }


def test_a_role_change_is_audited_and_gives_back_office_roles_the_admin(admin_client_for, carol):
    client = admin_client_for("security_admin")
    assert client.post(change_page(carol), posted(carol, role="hospital_admin")).status_code == 302
    carol.refresh_from_db()
    assert (carol.role, carol.is_staff) == ("hospital_admin", True)
    assert last_entry("account.role_change").details == {"role": ["pharmacist", "hospital_admin"]}


def test_deactivation_revokes_tokens_ends_sessions_and_is_audited(admin_client_for, dr_bob):
    services.api_token_issue(user=dr_bob, actor=Actor.system())
    doctor = Client()
    doctor.force_login(dr_bob)
    assert doctor.get("/staff/").status_code == 200
    client = admin_client_for("security_admin")
    assert client.post(change_page(dr_bob), posted(dr_bob, is_active=False)).status_code == 302
    dr_bob.refresh_from_db()
    assert not dr_bob.is_active
    assert not ApiToken.objects.filter(user=dr_bob, revoked_at__isnull=True).exists()
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(dr_bob.pk)]
    assert doctor.get("/staff/").status_code == 302  # signed out
    entry = last_entry("account.deactivate")
    assert entry.details == {"is_active": [True, False], "tokens_revoked": 1, "sessions_ended": 1}


def test_reactivation_is_audited(admin_client_for, dr_bob):
    User.objects.filter(pk=dr_bob.pk).update(is_active=False)
    dr_bob.refresh_from_db()
    client = admin_client_for("security_admin")
    assert client.post(change_page(dr_bob), posted(dr_bob, is_active="on")).status_code == 302
    assert User.objects.get(pk=dr_bob.pk).is_active
    assert last_entry("account.activate").details == {"is_active": [False, True]}


def test_a_staff_account_created_in_the_back_office_goes_through_staff_account_create(admin_client_for):
    client = admin_client_for("security_admin")
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "dr_new",
            "full_name": "新医生",
            "role": "doctor",
            "title": "住院医师",
            "practice_certificate_no": "110320100000777",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="dr_new")
    assert user.check_password(NEW_PASSWORD) and user.practice_certificate_no == "110320100000777"
    assert last_entry("account.staff_create").target_id == str(user.public_id)


def test_a_new_doctor_needs_a_certificate_number_and_a_strong_password(admin_client_for):
    client = admin_client_for("security_admin")
    response = client.post(
        "/admin/accounts/user/add/",
        {"username": "dr_weak", "full_name": "弱", "role": "doctor", "password1": "123", "password2": "123"},
    )
    errors = response.context["adminform"].form.errors
    assert {"practice_certificate_no", "password2"} <= set(errors)
    assert not User.objects.filter(username="dr_weak").exists()


def test_a_password_reset_applies_the_validators_signs_out_and_never_records_the_password(admin_client_for, dr_bob):
    services.api_token_issue(user=dr_bob, actor=Actor.system())
    client = admin_client_for("security_admin")
    page = f"/admin/accounts/user/{dr_bob.pk}/password/"
    weak = client.post(page, {"password1": "password", "password2": "password"})
    assert weak.status_code == 200 and weak.context["form"].errors
    assert User.objects.get(pk=dr_bob.pk).check_password(PASSWORD)

    assert client.post(page, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 302
    assert User.objects.get(pk=dr_bob.pk).check_password(NEW_PASSWORD)
    assert not ApiToken.objects.filter(user=dr_bob, revoked_at__isnull=True).exists()
    entry = last_entry("account.password_reset")
    assert entry.target_id == str(dr_bob.public_id)
    assert NEW_PASSWORD not in str(entry.details) and "password" not in entry.details


def test_nobody_changes_their_own_role_or_deactivates_themselves(admin_client_for):
    client = admin_client_for("security_admin")
    me = User.objects.get(username="bo_security_admin")
    response = client.post(change_page(me), posted(me, role="auditor", is_active=False))
    assert response.status_code == 200
    assert {"role", "is_active"} <= set(response.context["adminform"].form.errors)
    me.refresh_from_db()
    assert me.role == "security_admin" and me.is_active
    with pytest.raises(DomainError) as refused:
        account_password_reset(user=me, password=NEW_PASSWORD, actor=Actor.of(me))
    assert refused.value.code == "account.own_account"


def test_patients_and_staff_are_not_turned_into_one_another(alice, secadmin):
    with pytest.raises(DomainError) as refused:
        account_change(user=alice, changes={"role": "doctor"}, actor=Actor.of(secadmin))
    assert refused.value.code == "account.role_invalid"
    assert User.objects.get(pk=alice.pk).role == "patient"
    assert not AuditEvent.objects.filter(action="account.role_change").exists()


@pytest.mark.parametrize("role", ["hospital_admin", "auditor"])
def test_other_back_office_roles_cannot_change_accounts(role, admin_client_for, dr_bob):
    client = admin_client_for(role)
    assert client.post(change_page(dr_bob), posted(dr_bob, is_active=False)).status_code == 403
    assert client.post(f"/admin/accounts/user/{dr_bob.pk}/password/", {}).status_code == 403
    assert User.objects.get(pk=dr_bob.pk).is_active


def test_accounts_are_never_deleted_from_the_back_office(admin_client_for, dr_bob):
    client = admin_client_for("security_admin")
    assert client.post(f"/admin/accounts/user/{dr_bob.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=dr_bob.pk).exists()
