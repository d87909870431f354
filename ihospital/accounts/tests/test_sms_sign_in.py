"""Patients sign in with phone + SMS code: 6 digits, 5 minutes, single use, 5 wrong tries lock for 15."""

import re
from datetime import timedelta

import pytest
from django.conf import settings

from ihospital.accounts import services
from ihospital.accounts.models import PrivacyConsent, SignInThrottle, SmsCode, User
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.integrations.models import SandboxSms
from ihospital.integrations.sms import sandbox

PHONE = "13912345678"
VISITOR = Actor(ip="203.0.113.9", user_agent="test-phone")


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Send a code and return it as the patient would read it from the SMS."""

    def send_code(phone: str = PHONE) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            services.sms_code_send(phone=phone, actor=VISITOR)
        text = SandboxSms.objects.filter(phone=phone[-11:].replace("-", "")).first().text
        return re.search(r"\b(\d{6})\b", text).group(1)

    return send_code


def _refused(error_code: str, call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call(**kwargs)
    assert refused.value.code == error_code
    return refused.value


def consent(version: str | None = None, *, notice: bool = True, health: bool = True) -> services.ConsentGiven:
    from django.conf import settings

    return services.ConsentGiven(
        notice_version=version or settings.PRIVACY_NOTICE_VERSION, privacy_notice=notice, health_data=health
    )


def _sign_in(code: str, phone: str = PHONE, given: services.ConsentGiven | None = None) -> User:
    return services.patient_sign_in(phone=phone, code=code, actor=VISITOR, consent=given or consent())


def _allow_resend() -> None:
    SmsCode.objects.update(created_at=now() - timedelta(minutes=2))


def test_code_is_sent_by_sms_and_signs_in_a_new_patient(send, db):
    code = send()
    assert len(code) == 6
    assert not SmsCode.objects.filter(code_hash__contains=code).exists()  # only a keyed hash is kept
    user = _sign_in(code)
    assert (user.role, user.phone) == ("patient", PHONE)
    assert AuditEvent.objects.filter(action="account.sign_in", target_id=str(user.public_id)).exists()


def test_phone_number_formats_are_normalised(send, db):
    code = send("+86 13912345678")
    assert _sign_in(code, phone="13912345678").phone == PHONE


@pytest.mark.parametrize("phone", ["12345", "23912345678", "1391234567a", "", "139123456789"])
def test_malformed_phone_numbers_are_refused_and_nothing_is_sent(phone, db):
    error = _refused("account.phone_invalid", services.sms_code_send, phone=phone, actor=VISITOR)
    assert "phone" in error.fields
    assert SmsCode.objects.count() == 0
    assert AuditEvent.objects.filter(action="account.sms_code_send.refused").count() == 1


def test_a_code_works_once(send, db):
    code = send()
    _sign_in(code)
    _refused("account.sms_code_expired", _sign_in, code=code)


def test_a_code_expires_after_five_minutes(send, db):
    code = send()
    SmsCode.objects.update(expires_at=now() - timedelta(seconds=1))
    _refused("account.sms_code_expired", _sign_in, code=code)


@pytest.mark.parametrize("bad", ["12345", "1234567", "abcdef", ""])
def test_malformed_codes_are_refused_without_counting_as_a_guess(bad, send, db):
    send()
    _refused("account.sms_code_format", _sign_in, code=bad)
    assert not SignInThrottle.objects.filter(failures__gt=0).exists()


def test_five_wrong_codes_lock_the_number_for_fifteen_minutes_even_for_the_right_code(send, db):
    code = send()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    remaining = [_refused("account.sms_code_wrong", _sign_in, code=wrong).params["remaining"] for _ in range(4)]
    assert remaining == [4, 3, 2, 1]
    _refused("account.sign_in_locked", _sign_in, code=wrong)  # the fifth wrong try locks
    locked = _refused("account.sign_in_locked", _sign_in, code=code)
    assert locked.params["minutes"] == 15
    _refused("account.sign_in_locked", services.sms_code_send, phone=PHONE, actor=VISITOR)
    # every refusal is audited
    assert AuditEvent.objects.filter(action="account.sign_in.refused").count() == 6

    SignInThrottle.objects.update(locked_until=now() - timedelta(seconds=1))  # 15 minutes later
    assert _sign_in(code).phone == PHONE


def test_resending_is_limited_per_minute_and_per_hour(send, db, settings):
    send()
    _refused("account.sms_resend_too_soon", services.sms_code_send, phone=PHONE, actor=VISITOR)
    for _ in range(settings.SMS_MAX_PER_HOUR - 1):
        _allow_resend()
        send()
    _allow_resend()
    _refused("account.sms_hourly_limit", services.sms_code_send, phone=PHONE, actor=VISITOR)
    assert SmsCode.objects.count() == settings.SMS_MAX_PER_HOUR


def test_only_the_latest_code_is_valid(send, db):
    first = send()
    _allow_resend()
    second = send()
    if first != second:
        _refused("account.sms_code_wrong", _sign_in, code=first)
    assert _sign_in(second).phone == PHONE


def test_sms_provider_outage_is_retried_by_the_outbox(db, django_capture_on_commit_callbacks):
    from ihospital.core import outbox
    from ihospital.core.models import OutboxMessage

    sandbox.fail_next(1)
    with django_capture_on_commit_callbacks(execute=True):
        services.sms_code_send(phone=PHONE, actor=VISITOR)
    message = OutboxMessage.objects.get(topic="sms.send")
    assert message.status == "pending" and "injected" in message.last_error
    assert not SandboxSms.objects.exists()
    OutboxMessage.objects.update(next_attempt_at=now())
    assert outbox.drain() == {"sent": 1}
    assert SandboxSms.objects.filter(phone=PHONE).count() == 1


def test_a_staff_phone_cannot_be_used_to_sign_in_as_a_patient(send, db):
    User.objects.create(username="dr_x", role="doctor", phone=PHONE)
    code = send()
    _refused("account.disabled", _sign_in, code=code)


# --- consent to the privacy notice (PIPL) -----------------------------------------------------------


def test_a_first_sign_in_without_consent_creates_no_account_and_leaves_the_code_usable(send, db):
    code = send()
    for partial in (None, consent(health=False), consent(notice=False), consent("2020-01")):
        with pytest.raises(DomainError) as refused:
            services.patient_sign_in(phone=PHONE, code=code, actor=VISITOR, consent=partial)
        assert refused.value.code == "account.consent_required"
        assert set(refused.value.fields) == {"consent_privacy_notice", "consent_health_data"}
    assert not User.objects.matching(phone=PHONE).exists()
    assert not SmsCode.objects.filter(used_at__isnull=False).exists()
    assert SignInThrottle.objects.get(phone=PHONE).failures == 0  # not counted as wrong codes
    assert AuditEvent.objects.filter(action="account.sign_in.refused").count() == 4

    user = _sign_in(code, given=consent())
    consents = PrivacyConsent.objects.filter(user=user)
    assert sorted(consents.values_list("kind", flat=True)) == ["health_data", "privacy_notice"]
    assert {c.notice_version for c in consents} == {settings.PRIVACY_NOTICE_VERSION}
    assert all(c.given_at and c.ip == VISITOR.ip for c in consents)
    entry = AuditEvent.objects.get(action="account.consent")
    assert entry.details == {
        "notice_version": settings.PRIVACY_NOTICE_VERSION,
        "consents": ["privacy_notice", "health_data"],
    }


def test_a_patient_who_consented_is_not_asked_again_until_the_notice_changes(send, db, settings):
    first = settings.PRIVACY_NOTICE_VERSION
    _sign_in(send())
    SmsCode.objects.update(created_at=now() - timedelta(minutes=2))
    again = services.patient_sign_in(phone=PHONE, code=send(), actor=VISITOR)  # no consent needed
    assert PrivacyConsent.objects.filter(user=again).count() == 2

    settings.PRIVACY_NOTICE_VERSION = "2027-06"
    SmsCode.objects.update(created_at=now() - timedelta(minutes=2))
    code = send()
    with pytest.raises(DomainError) as refused:
        services.patient_sign_in(phone=PHONE, code=code, actor=VISITOR)
    assert (refused.value.code, refused.value.params["version"]) == ("account.consent_required", "2027-06")
    _sign_in(code, given=consent("2027-06"))
    versions = PrivacyConsent.objects.filter(user=again).values_list("notice_version", flat=True)
    assert sorted(versions) == sorted([first, first, "2027-06", "2027-06"])
