"""Staff passwords (issue 10 point 5): complexity, no reuse of the last PASSWORD_HISTORY_COUNT, expiry after
PASSWORD_MAX_AGE_DAYS (changed at the next sign-in, before anything else), audited."""

import pytest
from django.test import Client

from ihospital.accounts import backoffice, services
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.testing.personas import PASSWORD


def change(user, new: str, current: str = PASSWORD):
    services.staff_password_change(user=user, current_password=current, new_password=new, actor=Actor.of(user))


def refused(user, new: str, current: str = PASSWORD) -> DomainError:
    with pytest.raises(DomainError) as error:
        change(user, new, current)
    return error.value


@pytest.mark.parametrize("weak", ["alllowercaseletters", "ALLUPPERCASE1234", "onlyletters-and"])
def test_a_password_mixes_at_least_three_kinds_of_characters(nina, weak):
    error = refused(nina, weak)
    assert error.code == "account.password_invalid" and "new_password" in error.fields
    change(nina, "Tiger-Lily-42")
    assert AuditEvent.objects.filter(action="account.password_change", actor_name="nina").count() == 1


def test_the_current_password_is_required(nina):
    assert refused(nina, "Tiger-Lily-42", current="wrong").code == "account.password_wrong"
    assert AuditEvent.objects.filter(action="account.password_change.refused").count() == 1


def test_none_of_the_last_passwords_may_be_used_again(nina, settings):
    settings.PASSWORD_HISTORY_COUNT = 3
    history = ["Tiger-Lily-41", "Tiger-Lily-42", "Tiger-Lily-43"]
    current = PASSWORD
    for new in history:
        change(nina, new, current)
        current = new
    for old in [PASSWORD, *history]:  # the current one, and the three before it
        assert refused(nina, old, current).code == "account.password_invalid"
    change(nina, "Tiger-Lily-44", current)
    change(nina, PASSWORD, "Tiger-Lily-44")  # four changes later the first one is allowed again


def test_an_expired_password_is_changed_at_the_next_sign_in(nina, clock, settings):
    clock.move(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    client = Client()
    response = client.post("/staff/sign-in/", {"username": "nina", "password": PASSWORD})
    assert response.url == "/staff/password/" and "_auth_user_id" not in client.session
    assert 'data-testid="password-expired"' in client.get("/staff/password/").content.decode()
    same = client.post(
        "/staff/password/",
        {"current_password": PASSWORD, "new_password": PASSWORD, "new_password_again": PASSWORD},
    )
    assert same.status_code == 200 and same.context["form"].errors["new_password"]
    new = "Tiger-Lily-42"
    done = client.post(
        "/staff/password/", {"current_password": PASSWORD, "new_password": new, "new_password_again": new}
    )
    assert done.status_code == 302 and client.session["_auth_user_id"] == str(nina.pk)


def test_the_staff_api_refuses_an_expired_password(nina, clock, settings):
    clock.move(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    body = {"username": "nina", "password": PASSWORD}
    response = Client().post("/api/staff/v1/auth/token", body, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "account.password_expired")


def test_a_password_set_by_a_security_administrator_must_be_changed_at_the_next_sign_in(nina, secadmin):
    backoffice.account_password_reset(user=nina, password="Given-By-Admin-7", actor=Actor.of(secadmin))
    client = Client()
    response = client.post("/staff/sign-in/", {"username": "nina", "password": "Given-By-Admin-7"})
    assert response.url == "/staff/password/"
